"""`robustsim check` on real renders: verdicts, exit status, JUnit XML, verdict files, reuse on rerun."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from scenes import BALL_NEAR_AND_FAR

pytestmark = pytest.mark.integration

EXPERIMENT = """
name: checktest
objects: [soccer_ball, strawberry]
environments: ['#d0d0d0']
controls:
  - type: orientation
    yaw: {min: -180, max: 180}
  - type: camera
    distance: {min: 2.0, max: 3.0}
policy: {type: random, samples: 4}
render: {resolution: 64, samples: 4, denoise: true}
specs:
  - {name: ball_recognised, kind: accuracy, where: {objects: [soccer_ball]}, at_least: 0.9, budget: 80}
  - {name: strawberry_recognised, kind: accuracy, where: {objects: strawberry}, at_least: 0.9, budget: 80}
  - {name: ball_turns, kind: invariance, where: {objects: [soccer_ball]}, at_least: 0.9, budget: 80}
  - {name: too_few, kind: accuracy, where: {objects: [soccer_ball]}, at_least: 0.9, budget: 6}
"""


def check(config: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "simulator", "check", str(config), "--workers", "0", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    folder = tmp_path_factory.mktemp("check")
    config = folder / "specs.yaml"
    config.write_text(textwrap.dedent(EXPERIMENT))
    result = check(config, "-o", str(folder / "out"), "--junit", str(folder / "junit.xml"))
    return config, folder, result


def test_verdicts_exit_status_and_files(checked: tuple[Path, Path, subprocess.CompletedProcess]) -> None:
    _config, folder, result = checked
    assert result.returncode == 1, result.stderr[-3000:]  # a spec failed
    verdicts = {record["spec"]: record for record in json.loads((folder / "out" / "verdicts.json").read_text())}
    assert verdicts["ball_recognised"]["verdict"] == "PASS" and verdicts["ball_turns"]["verdict"] == "PASS"
    assert verdicts["strawberry_recognised"]["verdict"] == "FAIL"
    assert verdicts["too_few"]["verdict"] == "INCONCLUSIVE" and verdicts["too_few"]["n"] == 6
    passed = verdicts["ball_recognised"]
    assert passed["failures"] == 0 and 20 <= passed["n"] <= 30  # SPRT stops after ~22 straight passes at p0 = 0.1
    assert passed["saved"] > 0 and passed["share_low"] > 0.8
    frame = pd.read_parquet(folder / "out" / "verdicts.parquet")
    assert sorted(frame["spec"]) == sorted(verdicts) and (frame.set_index("spec")["verdict"] == pd.Series(
        {name: record["verdict"] for name, record in verdicts.items()})).all()
    renders = pd.read_parquet(folder / "out" / "specs" / "ball_recognised" / "results")
    assert set(renders["object"]) == {"soccer_ball"} and len(renders) >= passed["n"]
    assert "FAIL" in result.stdout and "strawberry_recognised" in result.stdout


def test_junit_has_one_case_per_spec(checked: tuple[Path, Path, subprocess.CompletedProcess]) -> None:
    _config, folder, _result = checked
    suite = ET.parse(folder / "junit.xml").getroot()
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"ball_recognised", "strawberry_recognised", "ball_turns", "too_few"}
    assert suite.get("tests") == "4" and suite.get("failures") == "2"  # the FAIL, and INCONCLUSIVE fails by default
    assert cases["strawberry_recognised"].find("failure") is not None
    assert cases["too_few"].find("failure").get("type") == "INCONCLUSIVE"
    assert cases["ball_recognised"].find("failure") is None and cases["ball_turns"].find("failure") is None


def test_a_rerun_reuses_the_renders_and_inconclusive_can_pass(checked: tuple[Path, Path, subprocess.CompletedProcess]) -> None:
    config, folder, _result = checked
    lenient = check(config, "-o", str(folder / "out"), "--spec", "too_few", "--spec", "ball_recognised", "--inconclusive", "pass")
    assert lenient.returncode == 0, lenient.stderr[-3000:]
    strict = check(config, "-o", str(folder / "out"), "--spec", "too_few")
    assert strict.returncode == 1
    verdicts = {record["spec"]: record for record in json.loads((folder / "out" / "verdicts.json").read_text())}
    assert verdicts["too_few"]["renders"] == 0 and verdicts["too_few"]["reused"] == 6  # nothing rendered again
    assert verdicts["strawberry_recognised"]["verdict"] == "FAIL"  # the specs not rerun keep their verdicts


def test_the_report_of_the_folder_shows_the_spec_sheet(checked: tuple[Path, Path, subprocess.CompletedProcess]) -> None:
    config, folder, _result = checked
    run = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(config), "-o", str(folder / "out"), "--workers", "0"],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    page = folder / "report.html"
    report = subprocess.run(
        [sys.executable, "-m", "simulator", "report", str(folder / "out"), "-o", str(page)], capture_output=True, text=True, timeout=600
    )
    assert report.returncode == 0, report.stderr[-3000:]
    sheet = page.read_text().split('id="spec-sheet"')[1].split("</table>")[0]
    for name, verdict in (("ball_recognised", "PASS"), ("strawberry_recognised", "FAIL"), ("too_few", "INCONCLUSIVE")):
        assert name in sheet and verdict in sheet
    assert "objects soccer_ball" in sheet


def test_an_unknown_spec_name_is_a_clear_error(checked: tuple[Path, Path, subprocess.CompletedProcess]) -> None:
    config, folder, _result = checked
    result = check(config, "-o", str(folder / "out"), "--spec", "nope")
    assert result.returncode == 2 and "no spec named 'nope'" in result.stderr and "Traceback" not in result.stderr


def test_the_example_specs_give_their_documented_verdicts(tmp_path: Path) -> None:
    example = Path(__file__).parents[2] / "examples" / "specs.yaml"
    config = tmp_path / "small.yaml"
    config.write_text(f"base: {example}\nrender: {{resolution: 64}}\n")  # the same specs, smaller renders
    result = check(config, "-o", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr[-3000:]
    verdicts = {record["spec"]: record["verdict"] for record in json.loads((tmp_path / "out" / "verdicts.json").read_text())}
    assert verdicts == {"soccer_ball_recognised": "PASS", "strawberry_recognised": "FAIL", "soccer_ball_turns": "PASS"}


def test_falsify_turns_a_pass_into_a_fail_with_the_render_found(tmp_path: Path) -> None:
    """Near the camera the ball is recognised (the test passes); the search finds the far views where it is not."""
    config = tmp_path / "falsify.yaml"
    config.write_text(
        "name: falsifytest\n"
        + BALL_NEAR_AND_FAR
        + textwrap.dedent(
            """
            policy: {type: random, samples: 4}
            specs:
              - name: near_ball
                kind: accuracy
                where: {camera.distance: {min: 2.0, max: 4.5}}
                at_least: 0.6
                budget: 80
                falsify: {policy: tpe, budget: 24}
            """
        )
    )
    result = check(config, "-o", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr[-3000:]
    (record,) = json.loads((tmp_path / "out" / "verdicts.json").read_text())
    assert (record["test_verdict"], record["verdict"]) == ("PASS", "FAIL") and record["falsify_renders"] == 24
    searched = pd.read_parquet(tmp_path / "out" / "specs" / "near_ball" / "falsify" / "results").set_index("id")
    found = searched.loc[record["counterexample"]]
    assert not found["correct_top1"] and 2.0 <= found["camera.distance"] <= 4.5  # a real failure inside the box
    assert record["counterexample"] in result.stdout and "counterexample found by search" in result.stderr


def test_agreement_of_two_models_and_an_accuracy_spec_of_the_second(tmp_path: Path) -> None:
    config = tmp_path / "agree.yaml"
    config.write_text(
        textwrap.dedent(EXPERIMENT).split("specs:")[0]
        + "models: [{module: efficientnet_lite0}, {module: efficientnet_lite1}]\n"
        + "specs:\n"
        + "  - {name: agree, kind: agreement, where: {objects: [soccer_ball]}, models: [efficientnet_lite0, efficientnet_lite1], at_least: 0.8, budget: 40}\n"
        + "  - {name: lite1_ball, kind: accuracy, where: {objects: [soccer_ball]}, model: efficientnet_lite1, at_least: 0.8, budget: 40}\n"
    )
    result = check(config, "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr[-3000:]
    verdicts = {record["spec"]: record for record in json.loads((tmp_path / "out" / "verdicts.json").read_text())}
    assert verdicts["agree"]["verdict"] == verdicts["lite1_ball"]["verdict"] == "PASS"
    rows = pd.read_parquet(tmp_path / "out" / "specs" / "agree" / "results")
    assert sorted(rows["model"].unique()) == ["efficientnet_lite0", "efficientnet_lite1"]  # one row per model and render
    assert rows.groupby("id").size().eq(2).all()

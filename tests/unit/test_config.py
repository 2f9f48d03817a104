"""Experiment files: valid ones resolve, malformed ones fail with one clear message each."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simulator.config import ConfigError, deep_merge
from simulator.experiment import load_experiment
from simulator.search_space import Continuous, Discrete, Fixed

VALID = """
name: unit
objects: [coffee_mug]
environments: [interior, '#808080']
controls:
  - type: orientation
    yaw: {min: -30, max: 30}
  - type: camera
    elevation: {choices: [0, 20, 40]}
  - type: camera
    name: far_camera
    distance: 3.5
policy: {type: random, samples: 4, seed: 1}
render: {resolution: [64, 48], samples: 4}
"""


def write(tmp_path: Path, text: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_valid_config_resolves(tmp_path: Path) -> None:
    experiment = load_experiment(write(tmp_path, VALID))
    dims = {d.key: d.distribution for d in experiment.space.dimensions}
    assert dims["orientation.yaw"] == Continuous(-30.0, 30.0)
    assert dims["camera.elevation"] == Discrete((0.0, 20.0, 40.0))
    assert dims["far_camera.distance"] == Fixed(3.5)
    assert dims["orientation.pitch"] == Fixed(0.0)  # undeclared parameters keep their defaults
    assert list(experiment.environments) == ["interior", "#808080"]
    settings = experiment.render_settings()
    assert (settings.width, settings.height, settings.samples) == (64, 48, 4)
    assert experiment.base_scene("coffee_mug", "interior").camera.aspect == pytest.approx(64 / 48)


def test_cluster_section_is_optional_and_parsed(tmp_path: Path) -> None:
    assert load_experiment(write(tmp_path, VALID)).config.cluster.address is None
    text = VALID + "cluster: {address: 'tcp://head:8786', workers: 3, resources: {GPU: 1}}\n"
    cluster = load_experiment(write(tmp_path, text, "cluster.yaml")).config.cluster
    assert (cluster.address, cluster.workers, cluster.resources) == ("tcp://head:8786", 3, {"GPU": 1.0})


def test_base_file_deep_merges_and_resolves_paths_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    write(tmp_path / "shared", "render: {samples: 8, resolution: 32}\npolicy: {type: random, samples: 2}\n", "base.yaml")
    child = write(
        tmp_path,
        """
        base: shared/base.yaml
        name: child
        objects: [coffee_mug]
        environments: [studio]
        render: {samples: 2}
        """,
    )
    experiment = load_experiment(child)
    assert experiment.config.render.samples == 2  # child wins
    assert experiment.config.render.resolution == 32  # inherited
    assert experiment.config.policy.samples == 2


def test_deep_merge_replaces_lists_and_merges_mappings() -> None:
    merged = deep_merge({"a": {"x": 1, "y": [1]}, "b": 1}, {"a": {"y": [2]}, "c": 3})
    assert merged == {"a": {"x": 1, "y": [2]}, "b": 1, "c": 3}


MINIMAL = "name: x\nobjects: [coffee_mug]\nenvironments: [studio]\npolicy: {type: random, samples: 2}\n"

# Whole files: (text, key path, part of the message)
MALFORMED_FILES = {
    "yaml_syntax": ("name: [unclosed", "", "not valid YAML: line"),
    "not_a_mapping": ("- a\n- b", "", "must be a mapping"),
    "missing_name": ("objects: [coffee_mug]\nenvironments: [studio]", "name", "Field required"),
    "bad_name": ("name: 'my experiment!'\nobjects: [coffee_mug]\nenvironments: [studio]", "name", "should match pattern"),
    "missing_objects": ("name: x\nenvironments: [studio]", "objects", "Field required"),
    "empty_objects": ("name: x\nobjects: []\nenvironments: [studio]", "objects", "at least 1"),
    "unknown_top_key": ("name: x\nobjetcs: [a]\nobjects: [coffee_mug]\nenvironments: [studio]", "", "did you mean 'objects'"),
    "unknown_object": ("name: x\nobjects: [no_such_thing]\nenvironments: [studio]", "objects[0]", "neither a built-in object"),
    "unknown_environment": ("name: x\nobjects: [coffee_mug]\nenvironments: [intrior]", "environments[0]", "did you mean 'interior'"),
    "bad_colour": ("name: x\nobjects: [coffee_mug]\nenvironments: ['#12345']", "environments[0]", "'#12345'"),
    "missing_hdri": ("name: x\nobjects: [coffee_mug]\nenvironments: [missing.exr]", "environments[0]", "does not exist"),
    "duplicate_environment": ("name: x\nobjects: [coffee_mug]\nenvironments: [studio, studio]", "environments[1]", "used twice"),
}

# Appended to MINIMAL (later keys replace earlier ones)
MALFORMED_ADDITIONS = {
    "unknown_control": ("controls: [{type: orientaton}]", "controls[0].type", "did you mean 'orientation'"),
    "control_without_type": ("controls: [{yaw: 3}]", "controls[0]", "missing `type`"),
    "unknown_parameter": ("controls: [{type: orientation, yaww: 3}]", "controls[0].yaww", "did you mean 'yaw'"),
    "out_of_bounds": ("controls: [{type: camera, elevation: 100}]", "controls[0].elevation", "[-89.0, 89.0]"),
    "min_above_max": ("controls: [{type: orientation, yaw: {min: 30, max: -30}}]", "controls[0].yaw", "greater than max"),
    "bare_list": ("controls: [{type: orientation, yaw: [0, 30]}]", "controls[0].yaw", "ambiguous"),
    "empty_choices": ("controls: [{type: orientation, yaw: {choices: []}}]", "controls[0].yaw", "non-empty list"),
    "string_for_float": ("controls: [{type: orientation, yaw: abc}]", "controls[0].yaw", "is not a float"),
    "bool_for_float": ("controls: [{type: scale, factor: true}]", "controls[0].factor", "is not a float"),
    "range_on_string": ("controls: [{type: background, color: {min: 0, max: 1}}]", "controls[0].color", "numeric parameter"),
    "bad_background_colour": ("controls: [{type: background, color: red}]", "controls[0].color", "not a colour"),
    "mixed_range_keys": ("controls: [{type: orientation, yaw: {min: 0, high: 3}}]", "controls[0].yaw", "expected a value"),
    "duplicate_control": ("controls: [{type: orientation}, {type: orientation}]", "controls[1]", "used twice"),
    "in_frame_before_camera": ("controls: [{type: in_frame, x: 0.5}, {type: camera}]", "controls", "after every camera"),
    "unknown_policy": ("policy: {type: sobel, samples: 4}", "policy.type", "did you mean 'sobol'"),
    "zero_samples": ("policy: {type: random, samples: 0}", "policy.samples", "greater than or equal to 1"),
    "tiny_resolution": ("render: {resolution: 4}", "render.resolution", "between 8 and 8192"),
    "bad_device": ("render: {device: tpu}", "render.device", "'cpu', 'cuda', 'optix' or 'auto'"),
    "render_typo": ("render: {resolutoin: 64}", "render", "did you mean 'resolution'"),
    "bad_channel": ("render: {channels: [rgb, normals]}", "render.channels[1]", "'segmentation'"),
    "zero_topk": ("evaluator: {topk: 0}", "evaluator", "topk must be >= 1 (got 0)"),
    "evaluator_option_typo": ("evaluator: {tpok: 3}", "evaluator.tpok", "did you mean 'topk'?; allowed: topk"),
    "unknown_evaluator": ("evaluator: {type: clasification}", "evaluator.type", "did you mean 'classification'"),
    "unknown_model_name": ("model: {module: efficientnet_lite}", "model.module", "'efficientnet_lite0'?"),
    "bad_batch_size": ("model: {batch_size: 0}", "model.batch_size", "greater than or equal to 1"),
    "cluster_typo": ("cluster: {adress: 'tcp://head:8786'}", "cluster", "did you mean 'address'"),
    "negative_workers": ("cluster: {workers: -1}", "cluster.workers", "greater than or equal to 0"),
    "zero_resource": ("cluster: {resources: {GPU: 0}}", "cluster.resources", "must be > 0"),
}

POLICY = "\npolicy: {type: random, samples: 2}"
CASES = {
    **{k: (t if k in ("yaml_syntax", "not_a_mapping") else t + POLICY, key, m) for k, (t, key, m) in MALFORMED_FILES.items()},
    **{k: (MINIMAL + t, key, m) for k, (t, key, m) in MALFORMED_ADDITIONS.items()}}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_config_names_key_and_problem(tmp_path: Path, case: str) -> None:
    text, key, message = CASES[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_experiment(path)
    problems = raised.value.problems
    assert len(problems) == 1, problems
    found_key, found_message = problems[0]
    assert found_key == key
    assert message in found_message
    assert str(path) in str(raised.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("[studio]", "[intrior]") + "controls: [{type: orientaton}]\n")
    with pytest.raises(ConfigError) as raised:
        load_experiment(path)
    assert [key for key, _ in raised.value.problems] == ["environments[0]", "controls[0].type"]


def test_circular_base_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "base: b.yaml\n", "a.yaml")
    write(tmp_path, "base: a.yaml\n", "b.yaml")
    with pytest.raises(ConfigError, match="circular base chain"):
        load_experiment(tmp_path / "a.yaml")


def test_missing_base_file_is_reported_with_the_file_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"exp.yaml: invalid .*\n  - base: file .*nowhere.yaml not found"):
        load_experiment(write(tmp_path, MINIMAL + "base: nowhere.yaml\n"))


def test_validate_command_prints_message_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "controls: [{type: orientation, yaww: 3}]\n")
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "validate", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "controls[0].yaww" in result.stderr and "did you mean 'yaw'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_validate_command_prints_square_brackets_verbatim(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "controls: [{type: orientation, yaw: {min: 10, max: 5}}]\n")
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "validate", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "controls[0].yaw" in result.stderr and "[-360.0, 360.0]" in result.stderr  # not eaten as markup


def test_validate_command_accepts_valid_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "validate", str(write(tmp_path, VALID))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "8 renders" in result.stderr  # 1 object x 2 environments x 4 samples
    assert "is valid" in result.stderr

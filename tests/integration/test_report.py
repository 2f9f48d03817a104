"""`robustsim report` on a tiny real experiment with saved images: one self-contained HTML file."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simulator.analysis.loading import load
from simulator.analysis.modes import failure_modes

pytestmark = pytest.mark.integration

TINY = """
name: tiny-report
objects: [coffee_mug, banana]
environments: [interior, '#d0d0d0']
controls:
  - type: orientation
    yaw: {min: -60, max: 60}
  - type: camera
    elevation: {choices: [5, 45]}
policy: {type: random, samples: 3, seed: 3}
render: {resolution: 64, samples: 4}
output: {save_images: true}
"""


def robustsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("report")
    config = folder / "exp.yaml"
    config.write_text(textwrap.dedent(TINY))
    output = folder / "out"
    ran = robustsim("run", str(config), "-o", str(output), "--workers", "0")
    assert ran.returncode == 0, ran.stderr[-3000:]
    written = robustsim("report", str(output), "-o", str(folder / "report.html"))
    assert written.returncode == 0, written.stderr[-3000:]
    return output, (folder / "report.html").read_text()


def test_html_is_self_contained(report: tuple[Path, str]) -> None:
    _output, page = report
    links = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", page, flags=re.IGNORECASE)
    assert links and all(link.startswith("data:") for link in links), [link[:40] for link in links if not link.startswith("data:")]
    assert "url(" not in page and "<script" not in page and "<link" not in page


def test_tables_and_plots(report: tuple[Path, str]) -> None:
    _output, page = report
    for section in ('id="per-object"', 'id="per-environment"', 'id="ranking"', "object × environment"):
        assert section in page
    for name in ("coffee_mug", "banana", "interior", "#d0d0d0", "orientation.yaw", "camera.elevation"):
        assert name in page
    # heat map, 2 sensitivity plots and the interaction heat map at least
    assert page.count('src="data:image/png;base64,') >= 4
    assert 'alt="accuracy over ' in page


def test_gallery_embeds_the_saved_renders(report: tuple[Path, str]) -> None:
    output, page = report
    frame = load(output)
    misclassified = int((~frame["correct_top1"]).sum())
    gallery = page[page.index('<h2 id="gallery">') :]
    figures = re.findall(r"<figure>(.*?)</figure>", gallery, flags=re.DOTALL)
    assert len(figures) == min(misclassified, 12)
    for figure in figures:
        assert '<img src="data:image/png;base64,' in figure and "no image saved" not in figure


def test_worst_case_of_each_object_with_its_render_and_the_search_curve(report: tuple[Path, str]) -> None:
    output, page = report
    frame = load(output)
    section = page[page.index('<h2 id="worst-cases">') : page.index('<h2 id="objects">')]
    cases = re.findall(r"<figure>(.*?)</figure>", section, flags=re.DOTALL)
    assert len(cases) == frame["object"].nunique()
    for name, part in frame.groupby("object"):
        worst = part.loc[part["objective"].idxmin()]
        case = next(c for c in cases if f"<b>{name}</b>" in c)
        assert f"margin = {worst['objective']:.2f}" in case and '<img src="data:image/png;base64,' in case
        assert f"{int((~part['correct_top1']).sum())} failures" in case
    assert 'alt="lowest objective so far against renders"' in section


def test_failure_mode_sentences(report: tuple[Path, str]) -> None:
    output, page = report
    sentences = failure_modes(load(output), top=8)["sentence"].tolist()
    text = html.unescape(page)
    for sentence in sentences:
        assert sentence in text
    if sentences:
        assert re.search(r"accuracy (on '|over all objects).*drops from [01]\.\d\d to [01]\.\d\d when", sentences[0])


def test_missing_results_is_a_message(tmp_path: Path) -> None:
    result = robustsim("report", str(tmp_path / "nowhere"), "-o", str(tmp_path / "r.html"))
    assert result.returncode == 2
    assert "no results folder" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "r.html").exists()

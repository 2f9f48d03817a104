"""A results folder is data someone may have crafted: reading it never reaches files outside it."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.analysis import plots
from simulator.analysis.gallery import failure_gallery
from simulator.analysis.report import render_report, write_report
from simulator.dashboard.files import image_file
from simulator.results.images import saved_image
from test_analysis import frame

SECRET = b"root:x:0:0:secret\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An output folder with one genuine image, next to a secret file outside it."""
    (tmp_path / "secret.png").write_bytes(SECRET)
    root = tmp_path / "out"
    (root / "images" / "sub").mkdir(parents=True)
    (root / "images" / "good.png").write_bytes(b"png")
    (root / "images" / "sub" / "nested.png").write_bytes(b"png")
    (root / "results").mkdir()
    (root / "images" / "link.png").symlink_to(tmp_path / "secret.png")
    (root / "images" / "dirlink").symlink_to(tmp_path)
    (root / "results" / "secret.png").write_bytes(SECRET)
    return root


HOSTILE = [
    "/etc/passwd",
    "{secret}",  # the absolute path of a file outside
    "../secret.png",
    "images/../../secret.png",
    "images/../results/secret.png",  # inside the output folder, but not in images/
    "results/secret.png",
    "images/link.png",  # a symlink inside images/ pointing outside
    "images/dirlink/secret.png",  # through a linked folder
    "images\\..\\..\\secret.png",
    "images",
    "",
    None,
    3,
]


@pytest.mark.parametrize("relative", HOSTILE)
def test_saved_image_refuses_every_path_out_of_images(folder: Path, relative: object) -> None:
    if relative == "{secret}":
        relative = str(folder.parent / "secret.png")
    assert saved_image(folder, relative) is None


def test_saved_image_accepts_files_inside_images(folder: Path) -> None:
    assert saved_image(folder, "images/good.png") == (folder / "images" / "good.png").resolve()
    assert saved_image(folder, "images/sub/nested.png") == (folder / "images" / "sub" / "nested.png").resolve()
    assert saved_image(folder, "images/./good.png") is not None


def test_images_folder_that_is_a_link_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "abc.png").write_bytes(SECRET)
    root = tmp_path / "out"
    root.mkdir()
    (root / "images").symlink_to(outside)
    assert saved_image(root, "images/abc.png") is None
    assert image_file(root / "images", "abc") is None  # the dashboard's look-up too


def test_report_embeds_no_file_from_outside_the_images_folder(folder: Path) -> None:
    data = frame()
    failing = data.index[~data["correct_top1"]]
    paths = ["/etc/passwd", str(folder.parent / "secret.png"), "../secret.png", "images/link.png", "results/secret.png"]
    data["image_path"] = None
    data.loc[failing, "image_path"] = [paths[i % len(paths)] for i in range(len(failing))]
    data.loc[failing[0], "image_path"] = "images/good.png"
    assert failure_gallery(data, n=len(failing), root=folder)["image"].notna().sum() == 1
    data.to_parquet(folder / "results" / "part-0.parquet")
    html = write_report(folder, folder.parent / "report.html").read_text()
    assert base64.b64encode(SECRET).decode()[:16] not in html
    if os.path.exists("/etc/passwd"):
        assert base64.b64encode(Path("/etc/passwd").read_bytes()).decode()[:16] not in html
    assert base64.b64encode(b"png").decode() in html  # the genuine image is still shown


MATH = ["$\\frac{1}{$", "a_$b", "$$", "cost $5 and $6", "\\$x$^"]  # each would break, or be typeset by, mathtext


def test_report_shows_user_strings_with_dollar_signs_as_plain_text() -> None:
    data = frame().rename(columns={"camera.elevation": "cam$era.ele_$vation"})
    data["object"] = data["object"].map({"banana": MATH[0], "mug": MATH[1]})
    data["environment"] = data["environment"].map({"studio": MATH[2], "forest": MATH[3]})
    data.loc[~data["correct_top1"], "pred_top1_name"] = MATH[4]
    data["background_edge_density"] = np.linspace(0, 1, len(data))
    html = render_report(data)
    assert "cost $5 and $6" in html and "data:image/png;base64," in html


@pytest.mark.parametrize("text", MATH)
def test_every_plot_takes_dollar_signs(text: str) -> None:
    table = pd.DataFrame([[0.5, 1.0]], index=pd.Index([text], name=text), columns=pd.Index([text, "b"], name=text))
    assert plots.heatmap_png(table, text, text, text)
    bins = pd.DataFrame({"bin": [text, "b"], "top1": [0.5, 0.6], "top1_low": [0.4, 0.5], "top1_high": [0.6, 0.7]})
    assert plots.sensitivity_png(bins, text)
    assert plots.predictions_png(pd.DataFrame({"pred_top1_name": [text], "count": [3]}), text)
    complexity = bins.rename(columns={"bin": "environment"}).assign(edge_density=[0.1, 0.2])
    assert plots.complexity_png(complexity)
    curves = pd.DataFrame({"object": [text] * 2, "environment": [text] * 2, "renders": [1, 2], "best": [0.3, 0.1]})
    assert plots.best_so_far_png(curves, text)

"""`robustsim preview`: a real contact sheet of six distinct views, and warnings for meshes that look wrong."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simulator.gallery import LABEL_HEIGHT
from simulator.preview import COLUMNS, VIEWS

pytestmark = pytest.mark.integration

SIZE = 32


def preview(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "preview", *args, "--resolution", str(SIZE), "--samples", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "400"},
    )


def frames(sheet: Image.Image) -> list[np.ndarray]:
    pixels = np.asarray(sheet.convert("RGB"), dtype=np.float64)
    cells = []
    for index in range(len(VIEWS)):
        row, column = divmod(index, COLUMNS)
        top = row * (SIZE + LABEL_HEIGHT)
        cells.append(pixels[top : top + SIZE, column * SIZE : (column + 1) * SIZE])
    return cells


def test_a_contact_sheet_of_six_distinct_views(tmp_path: Path) -> None:
    result = preview("coffee_mug", "--environment", "#808080", "-o", "sheet.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "warning" not in result.stderr and "Preview: sheet.png" in result.stderr
    assert result.stdout == ""  # Blender's own prints stay off the terminal
    sheet = Image.open(tmp_path / "sheet.png")
    rows = -(-len(VIEWS) // COLUMNS)
    assert sheet.size == (COLUMNS * SIZE, rows * (SIZE + LABEL_HEIGHT))
    cells = frames(sheet)
    for first, second in itertools.combinations(range(len(VIEWS)), 2):
        difference = np.abs(cells[first] - cells[second]).mean()
        assert difference > 1.0, (VIEWS[first].label, VIEWS[second].label, difference)
    assert all(cell.std() > 5 for cell in cells)  # the object is in every view


NO_UVS = "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 2 0 0\nv 0 0 1\nv nan 0 0\nf 1 2 3\nf 1 2 4\nf 1 3 5\n"  # f 1 2 4 is a line
A_POINT = "v 0.5 0.5 0.5\nv 0.5 0.5 0.5\nv 0.5 0.5 0.5\nf 1 2 3\n"


@pytest.mark.parametrize(
    ("mesh", "expected"),
    [
        (NO_UVS, ["no UV coordinates", "1 of its 3 faces have zero area", "1 vertices are not finite"]),
        (A_POINT, ["bounding box has zero size", "1 of its 1 faces have zero area"]),
    ],
    ids=["no uvs, a degenerate face, nan", "a point"],
)
def test_a_mesh_that_looks_wrong_is_warned_about(tmp_path: Path, mesh: str, expected: list[str]) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "mesh.obj").write_text(mesh)
    (folder / "object.yaml").write_text("name: odd\nmesh: mesh.obj\nlabels: [cup]\n")
    result = preview("./odd", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: odd:")]
    for text in expected:
        assert any(text in line for line in warnings), (text, result.stderr)
    assert Image.open(tmp_path / "preview-odd.png").size == (COLUMNS * SIZE, 2 * (SIZE + LABEL_HEIGHT))

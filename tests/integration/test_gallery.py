"""`robustsim gallery`: every registered control gets a parameter table and a strip of real renders."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from simulator import registry
from simulator.gallery import Sweep, sweep_for, sweep_values
from simulator.search_space import ParameterSpec

pytestmark = pytest.mark.integration


def test_gallery_lists_every_control_with_a_strip(tmp_path: Path) -> None:
    pytest.importorskip("bpy")
    from simulator.gallery import write_gallery

    markdown = write_gallery(tmp_path / "docs" / "controls.md", resolution=32, steps=2, samples=2)
    text = markdown.read_text()
    for name in registry.names("controls"):
        control = registry.lookup("controls", name)
        assert f"## {name}" in text
        for spec in control.parameters:
            assert f"| `{spec.name}` |" in text
        picture = tmp_path / "docs" / "gallery" / f"{name}.png"
        assert picture.is_file() and f"(gallery/{name}.png)" in text
        with Image.open(picture) as image:
            assert image.width == 2 * 32 and image.height > 32


def test_sweeps_fall_back_to_the_first_numeric_parameter() -> None:
    specs = (
        ParameterSpec("mode", "str", "a", "", choices=("a", "b", "c", "d")),
        ParameterSpec("level", "int", 1, "", bounds=(0, 4)),
    )
    control = type("Plugin", (), {"parameters": specs})
    sweep = sweep_for("not_in_the_mapping", control)  # type: ignore[arg-type]
    assert sweep == Sweep("level")
    assert sweep_values(sweep, specs[1], 5) == [0, 1, 2, 3, 4]
    assert sweep_values(Sweep("mode"), specs[0], 3) == ["a", "c", "d"]  # spread over the choices, ends kept

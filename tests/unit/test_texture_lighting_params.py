"""Texture, lighting and sun controls without a renderer: parameters, errors and the scenes they build."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from controls.lighting import Lighting, Sun, blackbody_rgb
from controls.texture import PATTERNS, Texture
from simulator.config import ConfigError
from simulator.experiment import load_experiment
from simulator.scene import ORIGINAL_SURFACE, Environment, Light, ObjectAsset, Scene, SceneObject, Surface
from simulator.search_space import Discrete, ParameterError

MINIMAL = "name: x\nobjects: [coffee_mug]\nenvironments: [studio]\npolicy: {type: random, samples: 2}\n"
SCENE = Scene(SceneObject(ObjectAsset("thing", Path("thing.ply"), (504,))), Environment("grey", color=(0.5,) * 3))


def load(tmp_path: Path, controls: str):
    path = tmp_path / "exp.yaml"
    path.write_text(MINIMAL + "controls:\n" + textwrap.indent(textwrap.dedent(controls), "  "))
    return load_experiment(path)


def problem(tmp_path: Path, controls: str) -> tuple[str, str]:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, controls)
    assert len(raised.value.problems) == 1, raised.value.problems
    return raised.value.problems[0]


def test_valid_texture_lighting_and_sun_config(tmp_path: Path) -> None:
    image = tmp_path / "skin.png"
    image.write_bytes(b"")  # only its existence is checked here
    experiment = load(tmp_path, f"""
        - type: texture
          pattern: {{choices: [zebra, leopard, image, keep_original]}}
          image: {image}
          hue_shift: {{min: -0.2, max: 0.2}}
        - type: lighting
          name: key_light
          kind: {{choices: [point, area, spot]}}
          power: {{min: 10, max: 500}}
        - type: lighting
          name: fill_light
          temperature: 3200
        - type: sun
          elevation: {{min: 0, max: 60}}
    """)
    dims = {d.key: d.distribution for d in experiment.space.dimensions}
    assert dims["texture.pattern"] == Discrete(("zebra", "leopard", "image", "keep_original"))
    assert "key_light.power" in dims and "fill_light.temperature" in dims and "sun.elevation" in dims


@pytest.mark.parametrize(
    "controls,key,message",
    [
        ("- {type: texture, pattern: zebr}", "controls[0].pattern", "not one of"),
        ("- {type: texture, scale: 0}", "controls[0].scale", "outside the allowed range"),
        ("- {type: texture, roughness: 2}", "controls[0].roughness", "outside the allowed range"),
        ("- {type: texture, hue_shift: {min: 0, max: 0.9}}", "controls[0].hue_shift", "outside the allowed range"),
        ("- {type: texture, image: /no/such/skin.png}", "controls[0].image", "does not exist"),
        ("- {type: texture, image: notes.txt}", "controls[0].image", "is not an image file"),
        ("- {type: texture, tint: red}", "controls[0].tint", "is not a colour"),
        ("- {type: texture, patern: zebra}", "controls[0].patern", "unknown parameter"),
        ("- {type: lighting, kind: laser}", "controls[0].kind", "not one of: point, area, spot"),
        ("- {type: lighting, power: -5}", "controls[0].power", "outside the allowed range"),
        ("- {type: lighting, temperature: 500}", "controls[0].temperature", "below 1000 K"),
        ("- {type: lighting, saturation: {choices: [0.5, 2]}}", "controls[0].saturation", "outside the allowed range"),
        ("- {type: lighting, distance: 0}", "controls[0].distance", "outside the allowed range"),
        ("- {type: lighting}\n- {type: lighting}", "controls[1]", "used twice"),
        ("- {type: sun, elevation: 100}", "controls[0].elevation", "outside the allowed range"),
        ("- {type: sun, strength: bright}", "controls[0].strength", "is not a float"),
    ],
)
def test_invalid_parameters_name_key_and_problem(tmp_path: Path, controls: str, key: str, message: str) -> None:
    found_key, found_message = problem(tmp_path, controls)
    assert found_key == key
    assert message in found_message


def values(control, **changes):
    return {**control.defaults(), **changes}


def test_texture_builds_a_surface_and_keep_original_removes_it(tmp_path: Path) -> None:
    control = Texture("texture")
    assert PATTERNS[-1] == "keep_original" and {"zebra", "tiger", "leopard", "giraffe", "cow", "scales", "wood",
                                                 "marble", "checker", "noise", "image"} <= set(PATTERNS)
    zebra = control.apply(SCENE, values(control, pattern="zebra", scale=2.0, roughness=0.3, tint="#ff0000"))
    surface = zebra.object.surface
    assert surface == Surface("zebra", scale=2.0, tint=(1.0, 0.0, 0.0), roughness=0.3)
    assert surface.metallic is None  # -1 keeps the pattern's own
    assert SCENE.object.surface is None  # the input scene is untouched
    assert control.apply(zebra, values(control)).object.surface is None
    image = tmp_path / "a.png"
    image.write_bytes(b"")
    textured = control.apply(SCENE, values(control, pattern="image", image=str(image)))
    assert textured.object.surface.image_path == image.resolve()
    with pytest.raises(ParameterError, match="needs an `image`"):
        control.apply(SCENE, values(control, pattern="image"))
    with pytest.raises(ParameterError, match="both color1 and color2"):
        control.apply(SCENE, values(control, pattern="cow", color1="#ffffff"))
    with pytest.raises(ValueError, match="unknown surface pattern"):
        Surface("paisley")


def test_keep_original_with_adjustments_keeps_the_material_and_adjusts_it() -> None:
    control = Texture("texture")
    tinted = control.apply(SCENE, values(control, pattern="keep_original", tint="#ff0000", metallic=0.5, color1="#ffffff"))
    assert tinted.object.surface == Surface(ORIGINAL_SURFACE, tint=(1.0, 0.0, 0.0), metallic=0.5)  # colours: patterns'
    assert control.apply(SCENE, values(control, pattern="keep_original", scale=3.0)).object.surface is None


def test_lighting_adds_one_light_per_control_and_aims_it_at_the_object() -> None:
    key, fill = Lighting("key_light"), Lighting("fill_light")
    moved = SCENE.with_object(location=(0.5, 0.0, 0.0))
    one = key.apply(moved, values(key, kind="spot", azimuth=90.0, elevation=0.0, distance=3.0, power=40.0))
    both = fill.apply(one, values(fill, azimuth=0.0, elevation=0.0))
    assert SCENE.lights == () and len(one.lights) == 1 and len(both.lights) == 2
    light = one.lights[0]
    assert light.kind == "spot" and light.power == 40.0 and light.target == (0.5, 0.0, 0.0)
    np.testing.assert_allclose(light.location, (3.5, 0.0, 0.0), atol=1e-12)
    matrix = light.world_matrix()
    np.testing.assert_allclose(matrix[:3, 2], (1.0, 0.0, 0.0), atol=1e-12)  # shines down local -Z at the object
    np.testing.assert_allclose(both.lights[1].location, (0.5, -2.0, 0.0), atol=1e-12)  # azimuth 0: in front
    hsv = key.apply(SCENE, values(key, temperature=0.0, hue=1 / 3, saturation=1.0, value=0.5))
    np.testing.assert_allclose(hsv.lights[0].color, (0.0, 0.5, 0.0), atol=1e-12)
    with pytest.raises(ValueError, match="unknown light kind"):
        Light("laser", (0.0, 0.0, 0.0))


def test_blackbody_colours() -> None:
    warm, daylight, cold = blackbody_rgb(2000.0), blackbody_rgb(6500.0), blackbody_rgb(15000.0)
    assert warm[0] == 1.0 and warm[2] < 0.1
    np.testing.assert_allclose(daylight, (1.0, 1.0, 1.0), atol=0.05)
    assert cold[2] == 1.0 and cold[0] < 0.7


def test_sun_sets_the_sky() -> None:
    control = Sun("sun")
    sky = control.apply(SCENE, values(control, elevation=10.0, azimuth=45.0)).sky
    assert (sky.sun_elevation, sky.sun_azimuth, sky.strength) == (10.0, 45.0, control.parameter("strength").default)
    assert SCENE.sky is None

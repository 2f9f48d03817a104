"""The liquid control without a renderer: weights, mixes, the look, load-time errors, `interior`."""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pytest

from controls.liquid import COFFEE_COLOR, MILK_COLOR, MIXES, LiquidControl, look, normalize
from simulator.assets import AssetError, builtin_objects, builtin_objects_dir, load_object
from simulator.config import ConfigError
from simulator.experiment import load_experiment
from simulator.results.schema import measured_columns
from simulator.scene import Camera, Environment, Interior, Liquid, Scene, SceneObject
from simulator.search_space import ParameterError

HEAD = "name: x\nenvironments: [studio]\npolicy: {type: random, samples: 2}\n"
MUG = builtin_objects()["coffee_mug"]
SCENE = Scene(SceneObject(MUG), Environment("grey", color=(0.5,) * 3), camera=Camera(elevation=60.0))


def load(tmp_path: Path, controls: str, objects: str = "[coffee_mug]"):
    path = tmp_path / "exp.yaml"
    body = "controls:\n" + textwrap.indent(textwrap.dedent(controls), "  ")
    path.write_text(HEAD + f"objects: {objects}\n" + body)
    return load_experiment(path)


def values(**changes):
    return {**LiquidControl.defaults(), **changes}


def apply(**changes) -> Scene:
    return LiquidControl("liquid").apply(SCENE, values(**changes))


def test_weights_are_normalized_to_fractions() -> None:
    assert normalize(2.0, 1.0, 1.0) == pytest.approx((0.5, 0.25, 0.25))
    assert normalize(0.0, 0.0, 7.0) == (0.0, 0.0, 1.0)
    assert sum(normalize(0.3, 0.3, 0.3)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "weights,message",
    [((0.0, 0.0, 0.0), "all 0"), ((-1.0, 1.0, 1.0), ">= 0"), ((1.0, float("nan"), 0.0), "finite")],
)
def test_bad_weights_are_a_parameter_error(weights, message) -> None:
    with pytest.raises(ParameterError, match=message):
        normalize(*weights)
    water, milk, coffee = weights
    with pytest.raises(ParameterError, match=message):
        apply(water=water, milk=milk, coffee=coffee)


def test_look_water_is_clear_coffee_and_milk_are_their_colours() -> None:
    assert look(1.0, 0.0, 0.0) == ((1.0, 1.0, 1.0), 0.0)
    coffee, coffee_opacity = look(0.0, 0.0, 1.0)
    milk, milk_opacity = look(0.0, 1.0, 0.0)
    assert coffee == pytest.approx(COFFEE_COLOR, abs=2e-3) and coffee_opacity > 0.999
    assert milk == pytest.approx(MILK_COLOR, abs=2e-3) and milk_opacity > 0.999


def test_mixtures_lie_between_their_ingredients() -> None:
    latte, _ = look(0.0, 0.75, 0.25)
    au_lait, _ = look(0.0, 0.5, 0.5)
    for channel in range(3):
        assert COFFEE_COLOR[channel] < au_lait[channel] < latte[channel] < MILK_COLOR[channel]
    assert latte[0] > latte[1] > latte[2]  # brown: red over green over blue
    # Water makes a mixture clearer (less opaque, paler) without changing its hue.
    weak, weak_opacity = look(0.9, 0.0, 0.1)
    assert 0.3 < weak_opacity < 0.9
    assert all(weak[c] > COFFEE_COLOR[c] for c in range(3)) and weak[0] > weak[1] > weak[2]


def test_apply_describes_the_liquid_in_the_scene() -> None:
    scene = apply()  # defaults: black coffee to 70% of the depth
    assert scene.liquid == Liquid(0.7, 0.0, 0.0, 1.0, *look(0.0, 0.0, 1.0))
    assert SCENE.liquid is None  # the input is left alone
    assert replace(scene, liquid=None) == SCENE  # nothing else changes
    weighted = apply(water=1.0, milk=2.0, coffee=1.0, fill=0.4).liquid
    assert (weighted.fill, weighted.water, weighted.milk, weighted.coffee) == pytest.approx((0.4, 0.25, 0.5, 0.25))


def test_named_mixes_replace_the_weights() -> None:
    for mix, parts in MIXES.items():
        liquid = apply(mix=mix, water=0.0, milk=0.0, coffee=0.0).liquid  # weights ignored
        assert (liquid.water, liquid.milk, liquid.coffee) == pytest.approx(normalize(*parts)), mix


@pytest.mark.parametrize("changes", [{"fill": 0.0}, {"mix": "none"}, {"fill": 0.0, "coffee": 0.0}])
def test_no_liquid_leaves_the_scene_as_without_the_control(changes) -> None:
    assert apply(**changes) == SCENE
    assert LiquidControl("liquid").apply(apply(), values(**changes)) == SCENE  # and removes an earlier one


def test_an_object_without_interior_is_refused() -> None:
    banana = replace(SCENE, object=SceneObject(builtin_objects()["banana"]))
    with pytest.raises(ParameterError, match="'banana' has no `interior`"):
        LiquidControl("liquid").apply(banana, values())


def test_liquid_and_interior_reject_impossible_values() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        Liquid(0.5, 0.5, 0.0, 0.0, (1.0, 1.0, 1.0), 0.0)
    with pytest.raises(ValueError, match="fill"):
        Liquid(0.0, 1.0, 0.0, 0.0, (1.0, 1.0, 1.0), 0.0)
    with pytest.raises(ValueError, match="radius"):
        Interior((0.0, 0.0), 0.0, -0.3, 0.4)
    with pytest.raises(ValueError, match="above its floor"):
        Interior((0.0, 0.0), 0.3, 0.4, 0.4)


def test_measured_fractions() -> None:
    control = LiquidControl("liquid")
    assert control.measure({}, values(water=1.0, coffee=3.0)) == {
        "water_fraction": 0.25, "milk_fraction": 0.0, "coffee_fraction": 0.75}
    assert control.measure({}, values(mix="milk")) == {"water_fraction": 0.0, "milk_fraction": 1.0,
                                                        "coffee_fraction": 0.0}
    assert set(control.measure({}, values(fill=0.0)).values()) == {0.0}


def test_valid_experiment_declares_columns(tmp_path: Path) -> None:
    experiment = load(tmp_path, """
        - type: liquid
          fill: {min: 0.2, max: 1}
          milk: {min: 0, max: 1}
          coffee: {min: 0.01, max: 1}
        - type: liquid
          name: drink
          mix: {choices: [none, water, milk, coffee, latte]}
    """)
    keys = {d.key for d in experiment.space.dimensions}
    assert {"liquid.fill", "liquid.milk", "drink.mix"} <= keys
    columns = measured_columns(step.control for step in experiment.steps)
    assert columns["liquid.coffee_fraction"] == pa.float64() and "drink.water_fraction" in columns


@pytest.mark.parametrize(
    "controls,objects,key,message",
    [
        ("- {type: liquid}", "[coffee_mug, banana]", "controls[0]", "object 'banana' has no `interior`"),
        ("- {type: liquid, coffee: 0}", "[coffee_mug]", "controls[0]", "can all be 0"),
        ("- {type: liquid, water: {choices: [0, 1]}, coffee: {min: 0, max: 1}}", "[coffee_mug]", "controls[0]",
         "can all be 0"),
        ("- {type: liquid, mix: {choices: [milk, coffee]}, milk: 2}", "[coffee_mug]", "controls[0]",
         "only apply with mix: weights"),
        ("- {type: liquid, fill: 1.5}", "[coffee_mug]", "controls[0].fill", "outside the allowed range"),
        ("- {type: liquid, milk: -1}", "[coffee_mug]", "controls[0].milk", "outside the allowed range"),
        ("- {type: liquid, mix: tea}", "[coffee_mug]", "controls[0].mix", "not one of"),
    ],
)
def test_invalid_experiments_name_key_and_problem(tmp_path: Path, controls, objects, key, message) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, controls, objects)
    assert len(raised.value.problems) == 1, raised.value.problems
    found_key, found_message = raised.value.problems[0]
    assert found_key == key
    assert message in found_message


def test_zero_weights_are_fine_when_a_mix_always_replaces_them(tmp_path: Path) -> None:
    load(tmp_path, "- {type: liquid, mix: {choices: [none, water, coffee]}}")  # weights at their defaults


def _object_folder(tmp_path: Path, interior: str) -> Path:
    folder = tmp_path / "cup"
    folder.mkdir()
    (folder / "mesh.obj").write_text("v 0 0 0\n")
    (folder / "object.yaml").write_text(f"name: cup\nmesh: mesh.obj\nlabels: [cup]\n{interior}")
    return folder


def test_object_yaml_interior(tmp_path: Path) -> None:
    folder = _object_folder(tmp_path, "interior: {axis: [0.1, 0], radius: 0.4, floor: -0.4, rim: 0.45}\n")
    assert load_object(folder).interior == Interior((0.1, 0.0), 0.4, -0.4, 0.45)


@pytest.mark.parametrize(
    "interior,message",
    [
        ("interior: {axis: [0, 0], radius: 0.4, floor: -0.4}", "exactly the keys axis, radius, floor, rim"),
        ("interior: {axis: [0], radius: 0.4, floor: -0.4, rim: 0.4}", "interior.axis must be [x, y]"),
        ("interior: {axis: [0, 0], radius: wide, floor: -0.4, rim: 0.4}", "must be finite numbers"),
        ("interior: {axis: [0, 0], radius: 0.4, floor: 0.4, rim: -0.4}", "above its floor"),
    ],
)
def test_bad_interior_names_the_file_and_key(tmp_path: Path, interior: str, message: str) -> None:
    folder = _object_folder(tmp_path, interior + "\n")
    with pytest.raises(AssetError) as raised:
        load_object(folder)
    assert str(folder / "object.yaml") in str(raised.value) and message in str(raised.value)


def test_builtin_mug_interior_matches_its_documented_geometry() -> None:
    text = (builtin_objects_dir() / "coffee_mug" / "object.yaml").read_text()
    documented = [float(re.search(pattern, text).group(1)) for pattern in (
        r"the vertical line x = ([-\d.]+)", r"inner radius: ([-\d.]+)", r"floor\) height z: ([-\d.]+)",
        r"rim height z: ([-\d.]+)")]
    interior = MUG.interior
    assert [interior.axis[0], interior.radius, interior.floor, interior.rim] == documented
    assert interior.axis[1] == 0.0
    assert all(asset.interior is None for name, asset in builtin_objects().items() if name != "coffee_mug")


def test_missing_interior_is_reported_beside_parameter_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, "- {type: camera}\n- {type: liquid, name: drink, fill: 1.5}", "[banana]")
    assert [key for key, _ in raised.value.problems] == ["controls[1].fill", "controls[1]"]
    assert "object 'banana' has no `interior`" in raised.value.problems[1][1]

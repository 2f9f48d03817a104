"""The liquid control on real (tiny) Cycles renders of the built-in coffee mug."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pixels import far_background

from controls.liquid import LiquidControl
from controls.pose import Orientation, Position
from simulator.assets import builtin_objects
from simulator.render.base import RenderSettings
from simulator.scene import Camera, Environment, Liquid, ObjectAsset, Scene, SceneObject

pytestmark = pytest.mark.integration

SETTINGS = RenderSettings(width=64, height=64, samples=8, channels=("rgb", "depth", "segmentation"))
GREY = Environment("grey", color=(0.5, 0.5, 0.5))
INTO = Camera(elevation=60.0, azimuth=30.0)  # looks down into the mug
SIDE = Camera(elevation=5.0, azimuth=30.0)  # the rim hides the inside
BELOW = Camera(elevation=-30.0, azimuth=30.0)
MIXES = ("water", "milk", "latte", "coffee")


def mug(camera: Camera = INTO) -> Scene:
    return Scene(SceneObject(builtin_objects()["coffee_mug"]), GREY, camera)


def fill(base: Scene, **values: object) -> Scene:
    return LiquidControl("liquid").apply(base, {**LiquidControl.defaults(), **values})


def surface(empty: dict, full: dict) -> np.ndarray:
    """Pixels where the liquid is what the camera sees: the depth changed (the surface is nearer)."""
    both = np.isfinite(empty["depth"]) & np.isfinite(full["depth"])
    change = np.subtract(full["depth"], empty["depth"], out=np.zeros_like(empty["depth"]), where=both)
    return both & (np.abs(change) > 1e-4)


def assert_same(first: dict, second: dict) -> None:
    for channel in SETTINGS.channels:
        np.testing.assert_array_equal(first[channel], second[channel], err_msg=channel)


def test_each_liquid_shows_inside_the_mug_and_nowhere_else(renderers):
    renderer = renderers.get(SETTINGS)
    empty = renderer.render(mug(), seed=0)
    outs = {mix: renderer.render(fill(mug(), mix=mix), seed=0) for mix in MIXES}
    inside = surface(empty, outs["coffee"])
    assert inside.sum() > 200  # the liquid's surface, seen from above
    assert (empty["segmentation"][inside] == 1).all()
    background = far_background(empty["segmentation"])
    for mix, out in outs.items():
        np.testing.assert_array_equal(out["segmentation"], empty["segmentation"], err_msg=mix)  # liquid is object
        np.testing.assert_array_equal(out["rgb"][background], empty["rgb"][background], err_msg=mix)
        np.testing.assert_array_equal(surface(empty, out), inside, err_msg=mix)  # same surface for every mix
        assert np.abs(out["rgb"] - empty["rgb"])[inside].mean() > 0.05, mix

    def colour(mix: str) -> np.ndarray:
        return outs[mix]["rgb"][inside].mean(axis=0)

    assert np.abs(colour("milk") - colour("coffee")).mean() > 0.3
    assert colour("coffee").mean() < colour("latte").mean() < colour("milk").mean()
    red, _green, blue = colour("coffee")
    assert red > 1.5 * blue  # brown
    red, _green, blue = colour("latte")
    assert red > 1.2 * blue


@pytest.mark.parametrize("camera", [SIDE, BELOW], ids=["side", "below"])
def test_liquid_changes_nothing_where_the_inside_is_hidden(renderers, camera):
    renderer = renderers.get(SETTINGS)
    empty = renderer.render(mug(camera), seed=0)
    for mix in MIXES:
        out = renderer.render(fill(mug(camera), mix=mix, fill=0.9), seed=0)
        np.testing.assert_array_equal(out["depth"], empty["depth"])
        np.testing.assert_array_equal(out["segmentation"], empty["segmentation"])
        assert np.abs(out["rgb"] - empty["rgb"]).mean() < 0.002, mix


def test_fill_raises_the_surface(renderers):
    renderer = renderers.get(SETTINGS)
    empty = renderer.render(mug(), seed=0)
    mask = empty["segmentation"] == 1
    depths = [renderer.render(fill(mug(), fill=level), seed=0)["depth"][mask].mean() for level in (0.2, 0.5, 0.9)]
    assert depths[0] < empty["depth"][mask].mean()
    assert depths[0] > depths[1] > depths[2]  # a higher surface is nearer the camera


def test_liquid_follows_the_object(renderers):
    renderer = renderers.get(SETTINGS)
    for name, move in [("position", lambda s: Position("position").apply(s, {"x": 0.25, "y": 0.0, "z": 0.1})),
                       ("orientation", lambda s: Orientation("orientation").apply(s, {"yaw": 90.0, "pitch": 15.0,
                                                                                      "roll": 10.0}))]:
        empty = renderer.render(move(mug()), seed=0)
        full = renderer.render(fill(move(mug())), seed=0)
        inside = surface(empty, full)
        assert inside.sum() > 150, name
        assert (empty["segmentation"][inside] == 1).all(), name
        background = far_background(empty["segmentation"])
        np.testing.assert_array_equal(full["rgb"][background], empty["rgb"][background], err_msg=name)
    still = surface(renderer.render(mug(), seed=0), renderer.render(fill(mug()), seed=0))
    moved = Position("position").apply(mug(), {"x": 0.25, "y": 0.0, "z": 0.0})
    shifted = surface(renderer.render(moved, seed=0), renderer.render(fill(moved), seed=0))
    columns = np.arange(SETTINGS.width)
    assert (columns * shifted).sum() / shifted.sum() > (columns * still).sum() / still.sum() + 5  # moved right


def test_sample_after_another_equals_it_alone(renderers):
    tilted = Orientation("orientation").apply(mug(), {"yaw": 40.0, "pitch": 20.0, "roll": 0.0})
    first = fill(tilted, mix="coffee", fill=1.0)
    for second in (mug(), fill(mug(), mix="milk", fill=0.4), fill(mug(), water=1.0, milk=1.0, coffee=0.5)):
        renderer = renderers.get(SETTINGS, fresh=True)
        renderer.render(first, seed=3)
        after = renderer.render(second, seed=3)
        assert_same(after, renderers.get(SETTINGS, fresh=True).render(second, seed=3))


def test_a_liquid_in_an_object_without_interior_is_a_clear_error(renderers, mesh_dir: Path):
    from simulator.render.blender import RenderError

    cube = Scene(SceneObject(ObjectAsset("cube", mesh_dir / "cube.obj", (504,), size=0.6)), GREY, INTO)
    liquid = Liquid(0.5, 0.0, 0.0, 1.0, (0.08, 0.03, 0.01), 1.0)
    renderer = renderers.get(SETTINGS)
    with pytest.raises(RenderError, match="'cube' has no `interior`"):
        renderer.render(Scene(cube.object, GREY, INTO, liquid=liquid), seed=0)
    assert renderer.render(cube, seed=0)["rgb"].shape == (64, 64, 3)  # the renderer still works

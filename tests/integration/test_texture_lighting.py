"""Texture, lighting and sun controls on real (tiny) Cycles renders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pixels import far_background

from controls.lighting import Lighting, Sun
from controls.texture import PATTERNS, Texture
from simulator.render.base import RenderSettings
from simulator.scene import Camera, Environment, ObjectAsset, Scene, SceneObject

pytestmark = pytest.mark.integration

SETTINGS = RenderSettings(width=48, height=48, samples=4, channels=("rgb", "depth", "segmentation", "uv"))
GREY = Environment("grey", color=(0.3, 0.3, 0.3))
DARK = Environment("dark", color=(0.0, 0.0, 0.0))
# Sees the cube's front (-Y) face on the left of the image and its +X face on the right.
VIEW = Camera(azimuth=30.0, elevation=20.0)
PROCEDURAL = [p for p in PATTERNS if p not in ("image", "keep_original")]


def scene(mesh: Path, environment: Environment = GREY, **fields: object) -> Scene:
    asset = ObjectAsset(name=mesh.name, mesh_path=mesh, labels=(504,), **{"size": 0.6, **fields})
    return Scene(object=SceneObject(asset), environment=environment, camera=VIEW)


def texture(base: Scene, name: str = "texture", **values: object) -> Scene:
    return Texture(name).apply(base, {**Texture.defaults(), **values})


def light(base: Scene, name: str = "lighting", **values: object) -> Scene:
    return Lighting(name).apply(base, {**Lighting.defaults(), **values})


def sun(base: Scene, **values: object) -> Scene:
    return Sun("sun").apply(base, {**Sun.defaults(), **values})


def assert_only_object_changed(before: dict, after: dict, min_change: float = 0.03) -> None:
    np.testing.assert_array_equal(before["segmentation"], after["segmentation"])
    np.testing.assert_array_equal(before["depth"], after["depth"])
    mask = before["segmentation"] == 1
    change = np.abs(after["rgb"] - before["rgb"])
    assert change[mask].mean() > min_change
    background = far_background(before["segmentation"])
    assert background.sum() > 500
    np.testing.assert_array_equal(after["rgb"][background], before["rgb"][background])


def assert_same(first: dict, second: dict) -> None:
    for channel in SETTINGS.channels:
        np.testing.assert_array_equal(first[channel], second[channel], err_msg=channel)


def test_every_pattern_changes_only_the_object_and_each_differs(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    base = scene(mesh_dir / "cube.obj")
    plain = renderer.render(base, seed=0)
    looks = {}
    for pattern in PROCEDURAL:
        out = renderer.render(texture(base, pattern=pattern), seed=0)
        assert_only_object_changed(plain, out)
        looks[pattern] = out["rgb"][plain["segmentation"] == 1]
    for i, first in enumerate(PROCEDURAL):
        for second in PROCEDURAL[i + 1 :]:
            assert np.abs(looks[first] - looks[second]).mean() > 0.02, (first, second)


def test_keep_original_restores_the_assets_material(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    base = scene(mesh_dir / "cube.obj", base_color=(0.1, 0.6, 0.1))
    plain = renderer.render(base, seed=1)
    renderer.render(texture(base, pattern="giraffe"), seed=1)
    assert_same(renderer.render(texture(base, pattern="keep_original"), seed=1), plain)


def test_adjustments_apply_to_the_original_material_and_never_stick(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    base = scene(mesh_dir / "cube.obj", base_color=(0.1, 0.6, 0.1))
    plain = renderer.render(base, seed=1)
    mask = plain["segmentation"] == 1
    for changes in ({"hue_shift": 0.3}, {"tint": "#ff4040"}, {"roughness": 0.0}, {"metallic": 1.0}):
        assert_only_object_changed(plain, renderer.render(texture(base, **changes), seed=1), min_change=0.01)
    red, green, blue = renderer.render(texture(base, hue_shift=0.33), seed=1)["rgb"][mask].mean(axis=0)
    assert blue > 1.5 * green  # green turned a third of the way round the colour wheel: blue
    assert_same(renderer.render(base, seed=1), plain)  # the asset's own material is untouched


def test_scale_hue_tint_roughness_and_metallic_adjust_the_surface(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    base = texture(scene(mesh_dir / "cube.obj"), pattern="tiger")
    reference = renderer.render(base, seed=0)
    mask = reference["segmentation"] == 1
    for changes in ({"scale": 2.5}, {"hue_shift": 0.4}, {"tint": "#4060ff"}, {"roughness": 0.0},
                    {"metallic": 1.0}, {"color1": "#ffffff", "color2": "#0000ff"}):
        out = renderer.render(texture(base, pattern="tiger", **changes), seed=0)
        assert_only_object_changed(reference, out, min_change=0.01)
    red, green, blue = reference["rgb"][mask].mean(axis=0)
    assert red > 1.5 * blue  # orange and black
    red, green, blue = renderer.render(texture(base, pattern="tiger", hue_shift=0.5), seed=0)["rgb"][mask].mean(axis=0)
    assert blue > 1.5 * red  # the opposite hue


def test_image_texture_on_uvs_with_scale(renderers, mesh_dir, tmp_path):
    halves = tmp_path / "halves.png"
    pixels = np.zeros((4, 4, 3), dtype=np.uint8)
    pixels[:, :2, 0] = pixels[:, 2:, 1] = 255  # left red, right green
    Image.fromarray(pixels).save(halves)
    renderer = renderers.get(SETTINGS)
    base = scene(mesh_dir / "cube.obj")
    plain = renderer.render(base, seed=0)
    out = renderer.render(texture(base, pattern="image", image=str(halves)), seed=0)
    assert_only_object_changed(plain, out)
    colours = out["rgb"][out["segmentation"] == 1]
    reds = (colours[:, 0] > 2 * colours[:, 1]).sum()
    greens = (colours[:, 1] > 2 * colours[:, 0]).sum()
    assert reds > 50 and greens > 50
    tiled = renderer.render(texture(base, pattern="image", image=str(halves), scale=3.0), seed=0)
    assert np.abs(tiled["rgb"] - out["rgb"])[out["segmentation"] == 1].mean() > 0.05


def test_image_texture_on_a_mesh_without_uvs_is_a_clear_error(renderers, mesh_dir, tmp_path):
    from simulator.render.blender import RenderError

    image = tmp_path / "grey.png"
    Image.fromarray(np.full((2, 2, 3), 128, dtype=np.uint8)).save(image)
    renderer = renderers.get(SETTINGS)
    no_uvs = scene(mesh_dir / "tall.glb", up_axis="Y")  # the test glTF has positions only
    with pytest.raises(RenderError, match="no UV map"):
        renderer.render(texture(no_uvs, pattern="image", image=str(image)), seed=0)
    assert renderer.render(texture(no_uvs, pattern="wood"), seed=0)["rgb"].shape == (48, 48, 3)  # no UVs needed


@pytest.mark.parametrize("kind", ["point", "area", "spot"])
def test_each_light_kind_lights_only_the_object(renderers, mesh_dir, kind):
    renderer = renderers.get(SETTINGS)
    base = scene(mesh_dir / "cube.obj")
    plain = renderer.render(base, seed=0)
    lit = renderer.render(light(base, kind=kind, power=200.0, azimuth=30.0), seed=0)
    assert_only_object_changed(plain, lit)
    mask = plain["segmentation"] == 1
    assert lit["rgb"][mask].mean() > plain["rgb"][mask].mean() + 0.05


def test_light_direction_and_colour(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    base = scene(mesh_dir / "cube.obj", environment=DARK)
    mask = renderer.render(base, seed=0)["segmentation"] == 1
    columns = np.nonzero(mask)[1]
    middle = (columns.min() + columns.max()) / 2
    left, right = mask & (np.arange(48) < middle - 3), mask & (np.arange(48) > middle + 3)

    def brightness(out, part):
        return out["rgb"][part].mean()

    from_front = renderer.render(light(base, kind="area", size=1.0, azimuth=0.0, elevation=0.0, power=300), seed=0)
    from_right = renderer.render(light(base, kind="area", size=1.0, azimuth=90.0, elevation=0.0, power=300), seed=0)
    assert brightness(from_front, left) > brightness(from_front, right) + 0.1  # the -Y face
    assert brightness(from_right, right) > brightness(from_right, left) + 0.1  # the +X face
    warm = renderer.render(light(base, temperature=2000.0, power=300), seed=0)["rgb"][mask].mean(axis=0)
    cold = renderer.render(light(base, temperature=12000.0, power=300), seed=0)["rgb"][mask].mean(axis=0)
    assert warm[0] > 1.3 * warm[2] and cold[2] > 1.05 * cold[0]
    green = renderer.render(light(base, temperature=0.0, hue=1 / 3, saturation=1.0, power=300), seed=0)["rgb"]
    red, grn, blue = green[mask].mean(axis=0)
    assert grn > 3 * red and grn > 3 * blue


def test_two_lighting_controls_add_up_within_a_sample(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    base = scene(mesh_dir / "cube.obj", environment=DARK)
    key = light(base, "key_light", azimuth=-30.0, power=150.0)
    both = light(key, "fill_light", azimuth=60.0, power=150.0)
    assert len(both.lights) == 2
    fill = light(base, "fill_light", azimuth=60.0, power=150.0)
    outs = [renderer.render(s, seed=0)["rgb"] for s in (key, fill, both)]
    mask = renderer.render(base, seed=0)["segmentation"] == 1
    key_mean, fill_mean, both_mean = (o[mask].mean() for o in outs)
    assert both_mean > max(key_mean, fill_mean) + 0.03


def test_lights_never_carry_over_to_the_next_sample(renderers, mesh_dir):
    base = scene(mesh_dir / "cube.obj")
    lit = light(light(base, "key", kind="spot", power=500.0), "fill", kind="area", azimuth=-60.0)
    renderer = renderers.get(SETTINGS, fresh=True)
    alone = renderer.render(base, seed=4)
    renderer.render(lit, seed=4)
    assert_same(renderer.render(base, seed=4), alone)
    one = light(base, "key", kind="point", power=80.0)
    after = renderer.render(one, seed=4)
    assert_same(after, renderers.get(SETTINGS, fresh=True).render(one, seed=4))


def test_sample_after_another_equals_it_alone(renderers, mesh_dir):
    first = sun(texture(light(scene(mesh_dir / "cube.obj"), kind="spot"), pattern="zebra", scale=2.0), azimuth=40.0)
    first = first.with_environment(strength=2.0, rotation=30.0)
    second = light(texture(scene(mesh_dir / "cube.obj"), pattern="leopard", hue_shift=0.2), kind="area", power=50.0)
    second = second.with_environment(strength=0.7)
    renderer = renderers.get(SETTINGS, fresh=True)
    renderer.render(first, seed=2)
    after = renderer.render(second, seed=2)
    assert_same(after, renderers.get(SETTINGS, fresh=True).render(second, seed=2))


def test_with_lights_environment_strength_scales_only_the_environment(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    lit = light(scene(mesh_dir / "cube.obj"), power=300.0, azimuth=0.0)
    out = renderer.render(lit.with_environment(strength=0.0), seed=0)
    mask = out["segmentation"] == 1
    assert out["rgb"][far_background(out["segmentation"])].max() <= 1.01 / 255  # the environment is off (+ dither) ...
    assert out["rgb"][mask].mean() > 0.2  # ... the lamp still lights the object
    brighter = renderer.render(lit.with_environment(strength=2.0), seed=0)["rgb"]
    background = far_background(out["segmentation"])
    normal = renderer.render(lit, seed=0)["rgb"]
    assert brighter[background].mean() > normal[background].mean() + 0.1


def test_sun_sky_replaces_the_environment_and_follows_the_sun(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    base = scene(mesh_dir / "cube.obj")
    plain = renderer.render(base, seed=0)
    mask = plain["segmentation"] == 1
    front = sun(base, azimuth=0.0, elevation=20.0)
    behind = sun(base, azimuth=180.0, elevation=20.0)
    lit, shaded = renderer.render(front, seed=0), renderer.render(behind, seed=0)
    np.testing.assert_array_equal(lit["segmentation"], plain["segmentation"])
    assert np.abs(lit["rgb"] - plain["rgb"])[~mask].mean() > 0.05  # a sky, not the grey
    assert lit["rgb"][mask].mean() > shaded["rgb"][mask].mean() + 0.1  # sun behind the camera
    columns = np.nonzero(mask)[1]
    middle = (columns.min() + columns.max()) / 2
    left, right = mask & (np.arange(48) < middle - 3), mask & (np.arange(48) > middle + 3)
    assert lit["rgb"][left].mean() > lit["rgb"][right].mean() + 0.1  # the -Y face
    side = renderer.render(sun(base, azimuth=90.0, elevation=20.0), seed=0)["rgb"]
    assert side[right].mean() > side[left].mean() + 0.1  # the +X face
    # The sun direction is in the scene frame: turning the environment does not move it.
    turned = renderer.render(front.with_environment(rotation=90.0), seed=0)
    assert abs(turned["rgb"][mask].mean() - lit["rgb"][mask].mean()) < 0.03
    # Back to the environment: exactly as before.
    assert_same(renderer.render(base, seed=0), plain)


def test_textures_on_a_builtin_object(renderers):
    from simulator.assets import builtin_objects

    objects = builtin_objects()
    mug = Scene(SceneObject(objects["coffee_mug"]), GREY, VIEW)
    renderer = renderers.get(SETTINGS)
    plain = renderer.render(mug, seed=0)
    zebra = renderer.render(texture(mug, pattern="zebra", scale=2.0), seed=0)
    assert_only_object_changed(plain, zebra)
    skin = renderer.render(texture(mug, pattern="image", image=str(objects["basketball"].texture_path)), seed=0)
    assert_only_object_changed(plain, skin, min_change=0.01)  # the mug has UVs
    assert_same(renderer.render(texture(mug, pattern="keep_original"), seed=0), plain)

"""BlenderRenderer on real (tiny) Cycles renders."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simulator.assets import builtin_environments
from simulator.render.base import RenderSettings
from simulator.scene import Camera, Environment, ObjectAsset, Scene, SceneObject

pytestmark = pytest.mark.integration

SETTINGS = RenderSettings(width=64, height=64, samples=4, channels=("rgb", "depth", "segmentation", "uv"))
SKY = Environment("sky", color=(0.2, 0.5, 0.8))
STRAIGHT_ON = Camera(elevation=0.0)  # on -Y at the object's height, sees only its front face


def srgb(linear: float) -> float:
    return 12.92 * linear if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055


def asset(mesh: Path, **fields: object) -> ObjectAsset:
    return ObjectAsset(name=mesh.name, mesh_path=mesh, labels=(504,), **fields)


def scene(mesh: Path, environment: Environment = SKY, camera: Camera = STRAIGHT_ON, **fields: object) -> Scene:
    return Scene(object=SceneObject(asset(mesh, **fields)), environment=environment, camera=camera)


def interior() -> Environment:
    return Environment("interior", hdri_path=builtin_environments()["interior"])


def centroid(mask: np.ndarray) -> tuple[float, float]:
    rows, columns = np.nonzero(mask)
    return float(rows.mean()), float(columns.mean())


def extent(mask: np.ndarray) -> tuple[int, int]:
    """Height and width in pixels of the mask's bounding box."""
    rows, columns = np.nonzero(mask)
    return int(rows.max() - rows.min() + 1), int(columns.max() - columns.min() + 1)


def test_channels_have_documented_shapes_dtypes_and_ranges(renderers, mesh_dir):
    settings = replace(SETTINGS, width=64, height=48)
    out = renderers.get(settings).render(scene(mesh_dir / "cube.obj"), seed=0)
    assert set(out) == {"rgb", "depth", "segmentation", "uv"}
    assert out["rgb"].shape == (48, 64, 3) and out["rgb"].dtype == np.float32
    assert 0.0 <= out["rgb"].min() and out["rgb"].max() <= 1.0
    assert out["depth"].shape == (48, 64) and out["depth"].dtype == np.float32
    assert out["segmentation"].shape == (48, 64) and out["segmentation"].dtype == np.uint8
    assert set(np.unique(out["segmentation"])) == {0, 1}
    assert out["uv"].shape == (48, 64, 2) and out["uv"].dtype == np.float32
    background = out["segmentation"] == 0
    assert np.all(out["uv"][background] == 0.0) and np.all(np.isinf(out["depth"][background]))
    assert 0.0 <= out["uv"].min() and out["uv"].max() <= 1.0


def test_rgb_only_by_default(renderers, mesh_dir):
    out = renderers.get(replace(SETTINGS, channels=("rgb",))).render(scene(mesh_dir / "cube.obj"), seed=0)
    assert set(out) == {"rgb"}


def test_solid_background_is_the_srgb_encoded_colour_times_strength(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    for strength in (1.0, 2.0):
        sky = replace(SKY, strength=strength)
        rgb = renderer.render(scene(mesh_dir / "cube.obj", environment=sky), seed=0)["rgb"]
        expected = [srgb(min(1.0, c * strength)) for c in SKY.color]
        np.testing.assert_allclose(rgb[0, 0], expected, atol=1.5 / 255)  # 8-bit with +-1 step of dither
        np.testing.assert_allclose(rgb[0].mean(axis=0), expected, atol=0.35 / 255)  # top row: background; dither is unbiased


def test_object_is_centred_upright_and_moves_right_with_x(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    base = scene(mesh_dir / "cube.obj", size=0.5)
    mask = renderer.render(base, seed=0)["segmentation"]
    np.testing.assert_allclose(centroid(mask), (31.5, 31.5), atol=0.6)
    right = renderer.render(base.with_object(location=(0.3, 0.0, 0.0)), seed=0)["segmentation"]
    up = renderer.render(base.with_object(location=(0.0, 0.0, 0.3)), seed=0)["segmentation"]
    assert centroid(right)[1] > centroid(mask)[1] + 5
    assert centroid(up)[0] < centroid(mask)[0] - 5  # rows come top first


def test_depth_is_along_the_camera_axis_and_inf_on_background(renderers, mesh_dir):
    depth = renderers.get(SETTINGS).render(scene(mesh_dir / "cube.obj"), seed=0)["depth"]
    hit = np.isfinite(depth)
    # The front face is perpendicular to the view axis: one depth everywhere (radial would grow
    # towards its edges, to sqrt(1.5^2 + 0.5^2) = 1.58 at the corners).
    np.testing.assert_allclose(depth[hit], STRAIGHT_ON.distance - 0.5, atol=1e-3)
    assert hit[32, 32] and hit.sum() > 200
    assert np.isinf(depth[0, 0]) and np.isinf(depth[-1, -1])


def test_non_square_image_honours_the_horizontal_field_of_view(renderers, mesh_dir):
    width, height = 64, 48
    camera = Camera(elevation=0.0, distance=3.0, focal_length=35.0, aspect=width / height)
    renderer = renderers.get(replace(SETTINGS, width=width, height=height))
    u, v = 0.5, -0.4
    location = tuple(camera.unproject(u, v, depth=camera.distance))
    probe = scene(mesh_dir / "cube.obj", camera=camera, size=0.25).with_object(location=location)
    mask = renderer.render(probe, seed=0)["segmentation"]
    expected_row, expected_column = (1 - v) / 2 * height - 0.5, (u + 1) / 2 * width - 0.5
    np.testing.assert_allclose(centroid(mask), (expected_row, expected_column), atol=1.0)


def test_result_does_not_depend_on_what_was_rendered_before(renderers, mesh_dir):
    first = scene(mesh_dir / "cube.obj", environment=replace(interior(), rotation=40.0, strength=1.5))
    first = first.with_camera(azimuth=30.0, aperture=2.8).with_object(location=(0.1, 0.0, 0.2))
    second = scene(mesh_dir / "tall.obj", up_axis="Y").with_camera(elevation=20.0)
    renderer = renderers.get(SETTINGS, fresh=True)
    renderer.render(first, seed=7)
    after = renderer.render(second, seed=3)
    alone = renderers.get(SETTINGS, fresh=True).render(second, seed=3)
    for channel in SETTINGS.channels:
        np.testing.assert_allclose(after[channel], alone[channel], atol=1e-6, err_msg=channel)


def test_seed_changes_the_noise_and_repeats_exactly(renderers, mesh_dir):
    lit = scene(mesh_dir / "cube.obj", environment=interior())
    renderer = renderers.get(SETTINGS)
    first, other, again = (renderer.render(lit, seed=s)["rgb"] for s in (11, 12, 11))
    assert np.abs(first - other).max() > 0.01  # 4 spp: different sampling noise
    np.testing.assert_array_equal(first, again)


def test_hdri_background_varies_and_rotates(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    base = scene(mesh_dir / "cube.obj", environment=interior())
    out = renderer.render(base, seed=0)
    background = out["segmentation"] == 0
    assert out["rgb"][background].std(axis=0).max() > 0.02
    turned = renderer.render(base.with_environment(rotation=90.0), seed=0)["rgb"]
    assert np.abs(turned - out["rgb"])[background].mean() > 0.02
    # Turning the environment and the camera together by the same angle changes the view of
    # neither the background nor the cube (same from every side; only its noise differs).
    both = renderer.render(base.with_environment(rotation=90.0).with_camera(azimuth=90.0), seed=0)["rgb"]
    np.testing.assert_allclose(both[background], out["rgb"][background], atol=2e-3)
    assert np.abs(both - out["rgb"]).mean() < 0.01


def test_switching_objects_back_and_forth(renderers, mesh_dir):
    renderer = renderers.get(SETTINGS)
    cube, tall = scene(mesh_dir / "cube.obj", size=0.6), scene(mesh_dir / "tall.obj", up_axis="Y")
    first = renderer.render(cube, seed=1)
    other = renderer.render(tall, seed=1)
    again = renderer.render(cube, seed=1)
    for channel in SETTINGS.channels:
        np.testing.assert_array_equal(first[channel], again[channel])
    assert extent(other["segmentation"])[0] > extent(first["segmentation"])[0]
    assert extent(other["segmentation"])[1] < extent(first["segmentation"])[1]


@pytest.mark.parametrize("suffix", [".obj", ".ply", ".glb", ".blend"])
def test_imports_each_format_in_file_coordinates(renderers, mesh_dir, suffix):
    """The test box is tall along the file's Y axis: with up_axis Y it stands upright."""
    mask = renderers.get(SETTINGS).render(scene(mesh_dir / f"tall{suffix}", up_axis="Y"), seed=0)["segmentation"]
    height, width = extent(mask)
    assert height > 1.8 * width


def test_front_yaw_turns_the_object_about_up(renderers, mesh_dir):
    lying = scene(mesh_dir / "tall.obj", front_yaw=90.0)  # long side along Y, turned to X
    height, width = extent(renderers.get(SETTINGS).render(lying, seed=0)["segmentation"])
    assert width > 1.8 * height


def test_vertex_colours_shade_the_object(renderers, mesh_dir):
    grey = Environment("grey", color=(0.5, 0.5, 0.5))
    out = renderers.get(SETTINGS).render(scene(mesh_dir / "tall.ply", environment=grey, up_axis="Y"), seed=0)
    red, green, blue = out["rgb"][out["segmentation"] == 1].mean(axis=0)
    assert red > 0.3 and red > 3 * green and red > 3 * blue


def test_texture_and_base_colour(renderers, mesh_dir, tmp_path):
    texture = tmp_path / "halves.png"
    pixels = np.zeros((4, 4, 3), dtype=np.uint8)
    pixels[:, :2, 0] = pixels[:, 2:, 1] = 255  # left red, right green
    Image.fromarray(pixels).save(texture)
    renderer = renderers.get(SETTINGS)
    out = renderer.render(scene(mesh_dir / "cube.obj", texture_path=texture), seed=0)
    colours = out["rgb"][out["segmentation"] == 1]
    assert (colours[:, 0] > 2 * colours[:, 1]).sum() > 50 and (colours[:, 1] > 2 * colours[:, 0]).sum() > 50
    out = renderer.render(scene(mesh_dir / "cube.obj", base_color=(0.0, 0.0, 0.8)), seed=0)
    red, green, blue = out["rgb"][out["segmentation"] == 1].mean(axis=0)
    assert blue > 2 * red and blue > 2 * green


def test_settings_reach_cycles(renderers):
    import bpy

    renderers.get(replace(SETTINGS, adaptive_threshold=0.02, denoise=True, threads=1, max_bounces=2))
    scene_ = bpy.context.scene
    assert scene_.render.engine == "CYCLES" and scene_.cycles.samples == SETTINGS.samples
    assert scene_.cycles.use_adaptive_sampling and scene_.cycles.adaptive_threshold == pytest.approx(0.02)
    assert scene_.cycles.use_denoising and scene_.cycles.max_bounces == 2
    assert scene_.render.threads_mode == "FIXED" and scene_.render.threads == 1
    assert scene_.view_settings.view_transform == "Standard" and not scene_.render.film_transparent
    renderers.get(SETTINGS)
    scene_ = bpy.context.scene
    assert not scene_.cycles.use_adaptive_sampling and not scene_.cycles.use_denoising
    assert scene_.render.threads_mode == "AUTO"


def test_depth_of_field_only_with_an_aperture(renderers, mesh_dir):
    import bpy

    renderer = renderers.get(SETTINGS)
    renderer.render(scene(mesh_dir / "cube.obj", camera=Camera(distance=3.0, aperture=2.8)), seed=0)
    dof = bpy.context.scene.camera.data.dof
    assert dof.use_dof and dof.aperture_fstop == pytest.approx(2.8) and dof.focus_distance == pytest.approx(3.0)
    renderer.render(scene(mesh_dir / "cube.obj"), seed=0)
    assert not dof.use_dof


def test_auto_device_renders_and_a_missing_gpu_backend_is_a_clear_error(renderers, mesh_dir):
    from simulator.render.blender import RenderError

    rgb = renderers.get(replace(SETTINGS, device="auto")).render(scene(mesh_dir / "cube.obj"), seed=0)["rgb"]
    assert rgb.shape == (64, 64, 3)
    try:
        renderers.get(replace(SETTINGS, device="cuda"))
    except RenderError as error:
        assert "CUDA" in str(error)
    else:
        pytest.skip("this machine has a CUDA device")


def test_many_renders_leave_nothing_behind(renderers, mesh_dir):
    import bpy

    renderer = renderers.get(replace(SETTINGS, width=32, height=32, samples=1))
    base = scene(mesh_dir / "cube.obj", environment=interior())
    renderer.render(base, seed=0)
    counts = {name: len(getattr(bpy.data, name)) for name in ("images", "objects", "meshes", "materials", "worlds")}
    for i in range(60):
        varied = base.with_environment(rotation=6.0 * i).with_camera(azimuth=6.0 * i).with_object(scale=0.5 + i / 100)
        renderer.render(varied, seed=i)
    assert counts == {name: len(getattr(bpy.data, name)) for name in counts}
    assert not list(renderer._exr_path.parent.glob(f"{renderer._exr_path.stem}*"))


def test_a_new_renderer_closes_the_previous_one(renderers, mesh_dir):
    from simulator.render.blender import BlenderRenderer, RenderError

    old = renderers.get(SETTINGS)
    renderers.current = new = BlenderRenderer(SETTINGS)
    with pytest.raises(RenderError, match="closed"):
        old.render(scene(mesh_dir / "cube.obj"), seed=0)
    assert new.render(scene(mesh_dir / "cube.obj"), seed=0)["rgb"].shape == (64, 64, 3)

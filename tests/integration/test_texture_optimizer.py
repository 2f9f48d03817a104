"""The texture optimizer with real Mitsuba renders and the real default model, at tiny sizes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from simulator.config import ConfigError
from simulator.models.loading import load_model
from simulator.models.preprocessing import preprocess
from simulator.texture.config import load_texture_config
from simulator.texture.loop import CheckpointMismatchError, TextureOptimizer
from simulator.texture.loss import linear_to_srgb, model_input
from simulator.texture.outputs import write_outputs

pytestmark = pytest.mark.integration

TINY = """
name: tiny_texture
objects: [coffee_mug]
environments: [interior]
controls:
  - type: orientation
    yaw: {yaw}
  - type: camera
    elevation: 15
    distance: 2.0
  - type: background
    rotation: 0
render: {{resolution: {resolution}}}
optimize:
  iterations: {iterations}
  batch: 1
  lr: 0.3
  texture_resolution: {texture}
  spp: 4
  init: gray
  checkpoint_every: 2
  device: cpu
  seed: 3
"""


def write(tmp_path: Path, text: str, name: str = "texture.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def tiny(tmp_path: Path, iterations: int = 10, yaw: object = 30, resolution: int = 64, texture: int = 16) -> Path:
    return write(tmp_path, TINY.format(iterations=iterations, yaw=yaw, resolution=resolution, texture=texture))


def fixed_loss(optimizer: TextureOptimizer, seed: int = 11) -> float:
    """The loss of the current texture on iteration 0's condition with a fixed Mitsuba seed and 64 spp."""
    condition = optimizer.sampler.draw(0, 0)
    renderer = optimizer.renderer
    spp = renderer.spp
    renderer.spp = 64
    try:
        with torch.no_grad():
            image = renderer.render(optimizer.texture.linear(), condition.scene, seed)
            srgb = linear_to_srgb(image).permute(2, 0, 1).unsqueeze(0)
            loss, _ = optimizer.ensemble.loss_and_hits(srgb, optimizer.labels)
    finally:
        renderer.spp = spp
    return float(loss.sum())


def test_short_optimization_lowers_the_loss(tmp_path: Path) -> None:
    experiment, optimize = load_texture_config(tiny(tmp_path, iterations=10))
    optimizer = TextureOptimizer(experiment, optimize, tmp_path / "out")
    before = fixed_loss(optimizer)
    optimizer.run()
    after = fixed_loss(optimizer)
    assert after < before - 0.1, (before, after)
    summary = write_outputs(optimizer.history, optimizer.output, "tiny")
    for name in ("texture.png", "curves.png", "history.csv", "summary.md", "summary.json", "checkpoint.pt"):
        assert (optimizer.output / name).is_file(), name
    assert summary["iterations"] == 10
    from PIL import Image

    assert Image.open(optimizer.output / "texture.png").size == (16, 16)


def test_gradient_matches_central_finite_differences(tmp_path: Path) -> None:
    """d/d texel of a fixed random linear functional of the render, AD (Mitsuba's adjoint pass via
    @dr.wrap into torch) against central differences with the same seed, 512 spp, 24 px.

    Tolerance: each of the 4 largest-gradient texels within 5% of the finite difference (measured:
    0.3-1.4%; the adjoint pass uses its own samples, so both carry Monte Carlo noise)."""
    experiment, optimize = load_texture_config(tiny(tmp_path, iterations=1, resolution=24, texture=4))
    optimizer = TextureOptimizer(experiment, optimize, tmp_path / "out")
    renderer = optimizer.renderer
    renderer.spp = renderer.spp_grad = 512
    scene = optimizer.sampler.draw(0, 0).scene
    weights = torch.rand(24, 24, 3, generator=torch.Generator().manual_seed(0))
    texture = torch.full((4, 4, 3), 0.4, requires_grad=True)
    (renderer.render(texture, scene, 5) * weights).sum().backward()
    gradient = texture.grad.clone()
    eps = 0.05
    largest = torch.topk(gradient.flatten(), 4).indices
    for flat in largest.tolist():
        index = np.unravel_index(flat, texture.shape)
        values = []
        for sign in (1, -1):
            bumped = texture.detach().clone()
            bumped[index] += sign * eps
            with torch.no_grad():
                values.append(float((renderer.render(bumped, scene, 5) * weights).sum()))
        finite = (values[0] - values[1]) / (2 * eps)
        assert abs(gradient[index] - finite) <= 0.05 * abs(finite), (index, float(gradient[index]), finite)


def test_checkpoint_resume_reproduces_an_uninterrupted_run(tmp_path: Path) -> None:
    config = tiny(tmp_path, iterations=4, yaw="{min: -180, max: 180}", resolution=32, texture=8)
    experiment, optimize = load_texture_config(config)
    straight = TextureOptimizer(experiment, optimize, tmp_path / "straight")
    straight.run()

    first = TextureOptimizer(experiment, optimize.model_copy(update={"iterations": 2}), tmp_path / "resumed")
    first.run()
    second = TextureOptimizer(experiment, optimize, tmp_path / "resumed")
    assert second.load_checkpoint() and second.iteration == 2
    second.run()
    assert second.iteration == 4 and len(second.history) == 4
    # Same conditions and seeds; Mitsuba's adjoint pass adds up texel gradients with float atomics
    # (order varies from run to run), so the textures agree to a tolerance, not bit for bit: a texel
    # whose gradient is near zero can get Adam's step in the other direction (seen once in ~200 values).
    resumed, uninterrupted = second.texture.srgb().detach(), straight.texture.srgb().detach()
    moved = (uninterrupted - 0.5).abs().max()
    difference = (resumed - uninterrupted).abs()
    assert moved > 0.1 and (difference < 0.02 * moved).float().mean() > 0.97 and difference.mean() < 0.01 * moved
    assert [r.loss for r in second.history] == pytest.approx([r.loss for r in straight.history], rel=1e-2)
    assert second.adam.state_dict()["state"][0]["step"] == straight.adam.state_dict()["state"][0]["step"]

    other = optimize.model_copy(update={"lr": 0.01})
    with pytest.raises(CheckpointMismatchError, match="different configuration"):
        TextureOptimizer(experiment, other, tmp_path / "resumed").load_checkpoint()


def test_mitsuba_render_matches_blender(tmp_path: Path) -> None:
    """Same Scene (pose, camera, HDRI rotation), same texture: Mitsuba (optimizer) vs Cycles (robustsim run)."""
    from simulator.render.blender import BlenderRenderer
    from simulator.render.mitsuba_scene import read_texture
    from simulator.texture.render import image_surface

    experiment, optimize = load_texture_config(tiny(tmp_path, iterations=1, resolution=48))
    optimizer = TextureOptimizer(experiment, optimize, tmp_path / "out")
    optimizer.renderer.spp = 64
    asset = optimizer.renderer.asset
    params = {**experiment.space.fixed_values(), "orientation.yaw": -80.0, "background.rotation": 290.0}
    scene = experiment.scene_for(asset.name, "interior", params)
    texture = torch.from_numpy(read_texture(asset.texture_path)).clone()
    with torch.no_grad():
        mitsuba = linear_to_srgb(optimizer.renderer.render(texture, scene, 1)).numpy()
    settings = experiment.render_settings()
    settings = type(settings)(**{**settings.__dict__, "samples": 64})
    blender = BlenderRenderer(settings).render(scene.with_object(surface=image_surface(asset, asset.texture_path)), 0)["rgb"]
    assert np.abs(mitsuba - blender).mean() < 0.03
    turned = experiment.scene_for(asset.name, "interior", {**params, "background.rotation": 110.0})
    with torch.no_grad():
        other = linear_to_srgb(optimizer.renderer.render(texture, turned, 1)).numpy()
    assert np.abs(other - blender).mean() > 2 * np.abs(mitsuba - blender).mean()  # the check can fail


def test_model_input_is_the_runs_preprocessing() -> None:
    model = load_model({})
    image = np.random.default_rng(0).random((64, 80, 3), dtype=np.float32)
    expected = preprocess([image], model.preprocessing)
    got = model_input(torch.from_numpy(image).permute(2, 0, 1).unsqueeze(0), model.preprocessing)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ("optimize:\n  iteraions: 5\n", "optimize", "unknown key 'iteraions'; did you mean 'iterations'"),
        ("optimize:\n  color_range: [0.9, 0.1]\n", "optimize.color_range", "low < high"),
        ("optimize:\n  parametrization: tanh\n", "optimize.parametrization", "sigmoid"),
        ("optimize:\n  init: nowhere.png\n", "optimize", "existing image file"),
        ("objects: [coffee_mug, teapot]\n", "objects", "exactly one object"),
        ("controls:\n  - type: corruption\n    kind: fog\n", "controls[0].type", "not supported while optimizing"),
        ("environments: [interier]\n", "environments[0]", "did you mean 'interior'"),
        ("controls:\n  - type: camera\n    aperture: 2.8\n", "controls[0].aperture", "pinhole"),
    ],
)
def test_config_errors_name_the_file_and_key(tmp_path: Path, change: str, key: str, message: str) -> None:
    base = tiny(tmp_path, iterations=1)
    path = write(tmp_path, f"base: {base.name}\n{change}", "child.yaml")
    with pytest.raises(ConfigError) as caught:
        load_texture_config(path)
    text = str(caught.value)
    assert str(path) in text and f"  - {key}" in text and message in text, text


def test_training_fog_is_the_evaluations_fog() -> None:
    """The differentiable fog of the optimizer equals the `corruption` control's fog for the same draws."""
    from simulator.corruptions.weather import fog as numpy_fog
    from simulator.texture.augment import fog

    image = np.random.default_rng(1).random((40, 56, 3)).astype(np.float32)
    for severity in (1, 4):
        expected = numpy_fog(image, severity, np.random.default_rng(5))
        tensor = torch.from_numpy(image).permute(2, 0, 1).unsqueeze(0).requires_grad_(True)
        got = fog(tensor, severity, np.random.default_rng(5))
        np.testing.assert_allclose(got[0].permute(1, 2, 0).detach().numpy(), expected, atol=1e-5)
        got.sum().backward()
        assert tensor.grad.abs().sum() > 0


def test_cli_reports_config_errors_before_rendering(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from simulator.cli import main

    path = write(tmp_path, "name: bad\nobjects: [coffee_mug]\nenvironments: [interior]\noptimize: {spp: 0}\n")
    result = CliRunner().invoke(main, ["optimize-texture", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "optimize.spp" in result.output and "greater than or equal to 1" in result.output
    assert not (tmp_path / "out" / "checkpoint.pt").exists()
    result = CliRunner().invoke(main, ["optimize-texture", str(tiny(tmp_path)), "-o", str(tmp_path / "o2"), "--resume"])
    assert result.exit_code == 2 and "--resume" in result.output


def test_ensemble_averages_the_models_losses() -> None:
    from simulator.texture.loss import ModelEnsemble, accepted_class_loss

    model = load_model({})
    srgb = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    labels = (504, 968)  # coffee mug, cup
    single, _ = ModelEnsemble([model]).loss_and_hits(srgb, labels)
    double, _ = ModelEnsemble([model, model]).loss_and_hits(srgb, labels)
    torch.testing.assert_close(single, double)
    logits = model.module(model_input(srgb, model.preprocessing))
    torch.testing.assert_close(single, accepted_class_loss(logits, labels))
    assert torch.all(accepted_class_loss(logits, labels) < accepted_class_loss(logits, labels[:1]))

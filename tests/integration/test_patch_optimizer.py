"""Unadversarial 2D patches on a tiny image set with the real default model."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from simulator.config import ConfigError
from simulator.texture.patch import PatchOptimizer, load_patch_config, paste, random_placements, write_patch_outputs

pytestmark = pytest.mark.integration


def image_folder(tmp_path: Path, count: int = 6) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(count):
        pixels = (rng.random((48, 64, 3)) * 255).astype(np.uint8)  # noise: the model sees no mug in it
        Image.fromarray(pixels).save(folder / f"noise_{index}.png")
    return folder


def patch_file(tmp_path: Path, extra: str = "") -> Path:
    folder = image_folder(tmp_path)
    path = tmp_path / "patch.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name: tiny_patch
            patch:
              label: coffee mug
              accepted: [coffee mug, cup]
              images: {folder.name}
              holdout: 0.34
              resolution: 64
              patch_resolution: 16
              size: 0.35
              iterations: 12
              batch: 4
              lr: 0.2
              placements: 3
              seed: 1
            """
        )
        + extra
    )
    return path


def loss_on_fixed_placements(optimizer: PatchOptimizer) -> float:
    placements = random_placements(optimizer.settings, len(optimizer.train), np.random.default_rng(99))
    with torch.no_grad():
        images = paste(optimizer.train, optimizer.patch_chw(), placements, optimizer.settings.size)
        loss, _ = optimizer.ensemble.loss_and_hits(images, optimizer.labels)
    return float(loss.mean())


def test_patch_optimization_lowers_the_loss_and_is_evaluated(tmp_path: Path) -> None:
    optimizer = PatchOptimizer(load_patch_config(patch_file(tmp_path)))
    assert len(optimizer.train_paths) == 4 and len(optimizer.test_paths) == 2
    before = loss_on_fixed_placements(optimizer)
    for iteration in range(optimizer.settings.iterations):
        optimizer.step(iteration)
    after = loss_on_fixed_placements(optimizer)
    assert after < before - 0.5, (before, after)
    evaluation = optimizer.evaluate()
    assert len(evaluation) == 2 * (1 + 3)
    summary = write_patch_outputs(optimizer, evaluation, tmp_path / "out")
    assert summary["accuracy"]["clean"]["n"] == 2 and summary["accuracy"]["patched"]["n"] == 6
    saved = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert 0 <= saved["accuracy"]["patched"]["low"] <= saved["accuracy"]["patched"]["accuracy"]
    assert Image.open(tmp_path / "out" / "patch.png").size == (16, 16)


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ("  sise: 0.2\n", "patch", "unknown key 'sise'; did you mean 'size'"),
        ("  accepted: [coffee mugg]\n", "patch.accepted", "did you mean 'coffee mug'"),
        ("  accepted: [cup]\n  label: teh cup\n", "patch.label", "not an ImageNet class name"),
        ("  holdout: 1.5\n", "patch.holdout", "less than 1"),
    ],
)
def test_patch_config_errors(tmp_path: Path, extra: str, key: str, message: str) -> None:
    path = patch_file(tmp_path)
    text = path.read_text().replace("  accepted: [coffee mug, cup]\n", "").replace("  holdout: 0.34\n", "")
    path.write_text(text + extra)
    with pytest.raises(ConfigError) as caught:
        load_patch_config(path)
    assert str(path) in str(caught.value) and key in str(caught.value) and message in str(caught.value), str(caught.value)

"""The differentiable paste of 2D patches: where the sticker lands, and that gradients reach it."""

from __future__ import annotations

import torch

from simulator.texture.patch import Placement, paste


def test_an_unturned_sticker_covers_the_expected_square() -> None:
    images = torch.zeros(1, 3, 40, 40)
    patch = torch.ones(3, 8, 8)
    # centre at x = 0.5 (right half), y = 0; side = 2 * size = 0.4 of the normalized width -> 8 px.
    out = paste(images, patch, [Placement(x=0.5, y=0.0, scale=1.0, rotation=0.0)], size=0.2)
    covered = out[0, 0] > 0.5
    rows, cols = torch.nonzero(covered, as_tuple=True)
    assert covered.sum() == 64
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (16, 23, 26, 33)


def test_rotation_keeps_the_area_and_gradients_reach_the_patch() -> None:
    images = torch.rand(2, 3, 64, 64)
    patch = torch.rand(3, 16, 16, requires_grad=True)
    placements = [Placement(0.0, 0.0, 1.0, 0.0), Placement(0.0, 0.0, 1.0, 45.0)]
    out = paste(images, patch, placements, size=0.25)
    changed = (out != images).any(dim=1).sum(dim=(1, 2)).float()
    assert abs(changed[1] - changed[0]) / changed[0] < 0.15  # a turned square has about the same area
    out.sum().backward()
    assert patch.grad is not None and patch.grad.abs().sum() > 0

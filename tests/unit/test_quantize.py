"""8-bit quantization of rendered colour, with and without dither."""

from __future__ import annotations

import numpy as np

from simulator.render.base import quantize_8bit


def test_values_are_8_bit_levels_and_rounding_without_dither() -> None:
    rgb = np.random.default_rng(0).uniform(0, 1, (16, 16, 3)).astype(np.float32)
    out = quantize_8bit(rgb, dither=0.0, seed=0)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out * 255, np.rint(out * 255), atol=1e-4)
    assert np.abs(out - rgb).max() <= 0.5 / 255 + 1e-6


def test_dither_is_seeded_unbiased_and_within_its_amplitude() -> None:
    flat = np.full((64, 64, 3), 0.3, dtype=np.float32)
    out = quantize_8bit(flat, dither=1.0, seed=5)
    assert len(np.unique(out)) > 1  # flat areas get grain
    assert np.abs(out - flat).max() <= 1.5 / 255 + 1e-6
    assert abs(out.mean() - 0.3) < 0.05 / 255
    np.testing.assert_array_equal(out, quantize_8bit(flat, dither=1.0, seed=5))
    assert not np.array_equal(out, quantize_8bit(flat, dither=1.0, seed=6))


def test_clipped_to_the_unit_range() -> None:
    out = quantize_8bit(np.array([[[0.0, 1.0, 0.999]]], dtype=np.float32), dither=4.0, seed=1)
    assert out.min() >= 0.0 and out.max() <= 1.0

"""Resizing, cropping, normalization and batching of rendered images."""

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from simulator.models.preprocessing import Preprocessing, preprocess


def identity(**changes) -> Preprocessing:
    """No resize, no crop, no normalization, except the fields given."""
    fields = {"resize": None, "crop": None, "mean": (0.0, 0.0, 0.0), "std": (1.0, 1.0, 1.0)}
    return Preprocessing(**{**fields, **changes})


def constant(height: int, width: int, value: float = 0.5) -> np.ndarray:
    return np.full((height, width, 3), value, dtype=np.float32)


def test_images_of_different_sizes_become_one_nchw_batch():
    images = [constant(224, 224), constant(300, 200), constant(150, 400)]
    batch = preprocess(images, Preprocessing(resize=224, crop=224))
    assert batch.shape == (3, 3, 224, 224)
    assert batch.dtype == torch.float32
    assert batch.is_contiguous()


def test_normalization_is_per_channel():
    image = np.stack([np.full((8, 8), v, dtype=np.float32) for v in (0.2, 0.5, 0.9)], axis=-1)
    prep = Preprocessing(resize=None, crop=None, mean=(0.1, 0.5, 0.5), std=(0.5, 0.25, 0.2))
    batch = preprocess([image], prep)
    expected = torch.tensor([(0.2 - 0.1) / 0.5, 0.0, (0.9 - 0.5) / 0.2]).view(1, 3, 1, 1).expand(1, 3, 8, 8)
    torch.testing.assert_close(batch, expected)


def test_pixels_keep_their_layout():
    image = np.random.default_rng(0).random((5, 7, 3), dtype=np.float32)
    batch = preprocess([image], identity())
    np.testing.assert_array_equal(batch[0].permute(1, 2, 0).numpy(), image)


@pytest.mark.parametrize(
    ("size", "resize", "expected"),
    [((100, 200), 50, (50, 100)), ((200, 100), 50, (100, 50)), ((100, 301), 50, (50, 150)), ((64, 64), 64, (64, 64))],
)
def test_resize_sets_the_shorter_side(size, resize, expected):
    batch = preprocess([constant(*size)], Preprocessing(resize=resize, crop=None))
    assert tuple(batch.shape[-2:]) == expected


def test_resize_keeps_a_constant_image_constant():
    batch = preprocess([constant(97, 131, 0.3)], identity(resize=40))
    torch.testing.assert_close(batch, torch.full_like(batch, 0.3))


def test_downscaling_is_antialiased():
    stripes = (np.arange(400) % 5 < 2).astype(np.float32)  # 2-of-5 px stripes: mean 0.4
    image = np.repeat(np.tile(stripes, (400, 1))[..., None], 3, axis=2)
    batch = preprocess([image], identity(resize=50))
    assert float(batch.std()) < 0.02
    assert float(batch.mean()) == pytest.approx(0.4, abs=0.01)


def test_centre_crop_takes_the_middle():
    image = np.random.default_rng(1).random((6, 8, 3), dtype=np.float32)
    batch = preprocess([image], identity(crop=4))
    np.testing.assert_array_equal(batch[0].permute(1, 2, 0).numpy(), image[1:5, 2:6])


def test_preprocessing_validates_its_fields():
    with pytest.raises(ValidationError, match="std"):
        Preprocessing(std=(0.5, 0.0, 0.5))
    with pytest.raises(ValidationError):
        Preprocessing(resize=0)
    with pytest.raises(ValidationError):
        Preprocessing(scale=2)
    with pytest.raises(ValidationError):
        Preprocessing(mean=(0.5, 0.5))


@pytest.mark.parametrize(
    ("images", "prep", "message"),
    [
        ([], identity(), "no images"),
        ([np.zeros((8, 8), dtype=np.float32)], identity(), "expected HxWx3"),
        ([np.zeros((8, 8, 4), dtype=np.float32)], identity(), "expected HxWx3"),
        ([constant(100, 100)], identity(crop=224), "smaller than the 224 px crop"),
        ([constant(8, 8), constant(8, 9)], identity(), "differ in size"),
    ],
)
def test_bad_input_is_refused(images, prep, message):
    with pytest.raises(ValueError, match=message):
        preprocess(images, prep)

"""Turning rendered images into the normalized NCHW tensor a model takes (pure torch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, field_validator

Finite = Annotated[float, Field(allow_inf_nan=False)]
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Preprocessing(BaseModel):
    """How images are resized, cropped and normalized before the model sees them.

    resize: length of the shorter side after an antialiased bilinear resize (None: keep the size).
    crop: side of the square centre crop taken after resizing (None: no crop).
    mean, std: per-channel normalization of [0, 1] sRGB values: (x - mean) / std.
    The defaults (224 / 224 / ImageNet statistics) suit most ImageNet-trained torch models.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    resize: int | None = Field(224, ge=1)
    crop: int | None = Field(224, ge=1)
    mean: tuple[Finite, Finite, Finite] = IMAGENET_MEAN
    std: tuple[Finite, Finite, Finite] = IMAGENET_STD

    @field_validator("std")
    @classmethod
    def _positive_std(cls, std: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(value <= 0 for value in std):
            raise ValueError(f"every std value must be > 0 (got {std})")
        return std


def _resize_shorter_side(image: torch.Tensor, size: int) -> torch.Tensor:
    """Resize a 1xCxHxW tensor so its shorter side is `size` (longer side as torchvision computes it)."""
    height, width = image.shape[-2:]
    short, long = min(height, width), max(height, width)
    if short == size:
        return image
    new_long = int(size * long / short)
    new_size = (size, new_long) if height <= width else (new_long, size)
    return F.interpolate(image, size=new_size, mode="bilinear", align_corners=False, antialias=True)


def _centre_crop(image: torch.Tensor, size: int) -> torch.Tensor:
    """Square centre crop of a 1xCxHxW tensor (offsets rounded like torchvision's center_crop)."""
    height, width = image.shape[-2:]
    if height < size or width < size:
        raise ValueError(f"image of {height}x{width} px is smaller than the {size} px crop; set `resize`")
    top = int(round((height - size) / 2.0))
    left = int(round((width - size) / 2.0))
    return image[..., top : top + size, left : left + size]


def _to_tensor(image: np.ndarray, index: int) -> torch.Tensor:
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image {index} has shape {image.shape}; expected HxWx3 (RGB)")
    array = np.ascontiguousarray(image, dtype=np.float32)
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0)


def preprocess(images: Sequence[np.ndarray], preprocessing: Preprocessing) -> torch.Tensor:
    """A float32 NCHW tensor from HxWx3 sRGB float images in [0, 1] (sizes may differ).

    Each image is resized, centre-cropped and normalized; the results must all have one size
    (give `crop`, or images of one shape, when they differ).
    """
    if not images:
        raise ValueError("no images to preprocess")
    tensors = []
    for index, image in enumerate(images):
        tensor = _to_tensor(image, index)
        if preprocessing.resize is not None:
            tensor = _resize_shorter_side(tensor, preprocessing.resize)
        if preprocessing.crop is not None:
            tensor = _centre_crop(tensor, preprocessing.crop)
        tensors.append(tensor)
    sizes = {tuple(tensor.shape[-2:]) for tensor in tensors}
    if len(sizes) > 1:
        raise ValueError(f"preprocessed images differ in size {sorted(sizes)}; set `crop` to batch them")
    batch = torch.cat(tensors)
    mean = torch.tensor(preprocessing.mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(preprocessing.std, dtype=torch.float32).view(1, 3, 1, 1)
    return ((batch - mean) / std).contiguous()

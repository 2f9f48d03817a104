"""Differentiable pieces between a rendered image and a scalar loss: colour encodings, the
texture parametrization, the model input pipeline in torch, and the loss terms."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from simulator.models.loading import LoadedModel
from simulator.models.preprocessing import Preprocessing


def srgb_to_linear(srgb: torch.Tensor) -> torch.Tensor:
    """The piecewise sRGB decoding (values in [0, 1])."""
    return torch.where(srgb <= 0.04045, srgb / 12.92, ((srgb.clamp(min=0.04045) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: torch.Tensor) -> torch.Tensor:
    """Blender's "Standard" view in torch: clip to [0, 1], then the piecewise sRGB curve.

    The clamp inside the power keeps the gradient finite at 0.
    """
    x = linear.clamp(0.0, 1.0)
    return torch.where(x <= 0.0031308, x * 12.92, 1.055 * x.clamp(min=0.0031308) ** (1 / 2.4) - 0.055)


class TextureParameter(torch.nn.Module):
    """The optimized texture: an H x W x 3 tensor mapped into the printable sRGB range [lo, hi].

    `sigmoid`: texel = lo + (hi - lo) * sigmoid(z), z unconstrained. `clamp`: z is the sRGB texel
    itself and `project()` clamps it into [lo, hi] after each optimizer step.
    """

    def __init__(self, initial_srgb: torch.Tensor, color_range: tuple[float, float], parametrization: str) -> None:
        super().__init__()
        self.low, self.high = color_range
        self.parametrization = parametrization
        inside = initial_srgb.clamp(self.low, self.high)
        if parametrization == "sigmoid":
            fraction = ((inside - self.low) / (self.high - self.low)).clamp(1e-3, 1 - 1e-3)
            start = torch.logit(fraction)
        else:
            start = inside
        self.z = torch.nn.Parameter(start.float().contiguous())

    def srgb(self) -> torch.Tensor:
        """The texture as sRGB values in [lo, hi] (what texture.png stores)."""
        if self.parametrization == "sigmoid":
            return self.low + (self.high - self.low) * torch.sigmoid(self.z)
        return self.z

    def linear(self) -> torch.Tensor:
        """The texture as linear albedo (what the renderer multiplies light by)."""
        return srgb_to_linear(self.srgb())

    @torch.no_grad()
    def project(self) -> None:
        """After an optimizer step: clamp the texels into the colour range (the sigmoid parametrization needs nothing)."""
        if self.parametrization == "clamp":
            self.z.clamp_(self.low, self.high)


def model_input(srgb: torch.Tensor, preprocessing: Preprocessing) -> torch.Tensor:
    """`simulator.models.preprocessing.preprocess` for a differentiable 1 x 3 x H x W sRGB tensor.

    Same antialiased bilinear resize of the shorter side, centre crop and normalization, so the
    optimizer's model sees what `robustsim run` feeds it (checked in the tests).
    """
    image = srgb
    if preprocessing.resize is not None:
        height, width = image.shape[-2:]
        short, long = min(height, width), max(height, width)
        if short != preprocessing.resize:
            new_long = int(preprocessing.resize * long / short)
            size = (preprocessing.resize, new_long) if height <= width else (new_long, preprocessing.resize)
            image = F.interpolate(image, size=size, mode="bilinear", align_corners=False, antialias=True)
    if preprocessing.crop is not None:
        height, width = image.shape[-2:]
        top = int(round((height - preprocessing.crop) / 2.0))
        left = int(round((width - preprocessing.crop) / 2.0))
        image = image[..., top : top + preprocessing.crop, left : left + preprocessing.crop]
    mean = torch.tensor(preprocessing.mean, dtype=image.dtype, device=image.device).view(1, 3, 1, 1)
    std = torch.tensor(preprocessing.std, dtype=image.dtype, device=image.device).view(1, 3, 1, 1)
    return (image - mean) / std


def accepted_class_loss(logits: torch.Tensor, labels: Sequence[int]) -> torch.Tensor:
    """Cross-entropy to a set of accepted classes: -log sum_{c in labels} p_c, per row.

    With one label this is the usual cross-entropy; with several (coffee mug, cup) any of them
    counts, as in the classification evaluator.
    """
    index = torch.as_tensor(list(labels), device=logits.device)
    return torch.logsumexp(logits, dim=1) - torch.logsumexp(logits[:, index], dim=1)


def total_variation(texture: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring texels of an H x W x C texture."""
    dy = (texture[1:] - texture[:-1]).abs().mean()
    dx = (texture[:, 1:] - texture[:, :-1]).abs().mean()
    return dx + dy


class ModelEnsemble:
    """The target model(s): frozen, in eval mode; the loss is averaged over them."""

    def __init__(self, models: Sequence[LoadedModel]) -> None:
        if not models:
            raise ValueError("at least one model is needed")
        self.models = list(models)
        for model in self.models:
            model.module.requires_grad_(False)

    def loss_and_hits(self, srgb: torch.Tensor, labels: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean accepted-class loss over models for an N x 3 x H x W sRGB batch, and whether the
        first model's top-1 is an accepted class (per image)."""
        losses = []
        hits = torch.zeros(len(srgb), dtype=torch.bool)
        for position, model in enumerate(self.models):
            logits = model.module(model_input(srgb, model.preprocessing).to(model.device)).float()
            losses.append(accepted_class_loss(logits, labels).cpu())
            if position == 0:
                top1 = logits.argmax(dim=1).cpu()
                hits = torch.isin(top1, torch.as_tensor(list(labels)))
        return torch.stack(losses).mean(dim=0), hits

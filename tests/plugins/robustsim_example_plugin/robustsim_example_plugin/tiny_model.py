"""A `mean_colour` model: 1000 ImageNet logits from the image's mean colour (tiny, deterministic)."""

from __future__ import annotations

import torch
from torch import nn

from simulator.models.preprocessing import Preprocessing
from simulator.models.registered import RegisteredModel


class MeanColourNet(nn.Module):
    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        self.linear = nn.Linear(3, classes)
        generator = torch.Generator().manual_seed(0)
        with torch.no_grad():
            self.linear.weight.copy_(torch.randn(classes, 3, generator=generator))
            self.linear.bias.zero_()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.linear(images.mean(dim=(2, 3)))


MEAN_COLOUR = RegisteredModel(
    build=MeanColourNet, preprocessing=Preprocessing(resize=None, crop=None, mean=(0, 0, 0), std=(1, 1, 1))
)

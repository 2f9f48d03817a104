"""A tiny torch classifier that tests load by import path (`tiny_classifier:TinyClassifier`)."""

import torch
from torch import nn


class TinyClassifier(nn.Module):
    """Mean colour -> linear layer: `num_classes` logits per image."""

    def __init__(self, num_classes: int = 10, hidden: int = 4) -> None:
        super().__init__()
        self.features = nn.Linear(3, hidden)
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.features(images.mean(dim=(2, 3)))))


class FlatOutput(TinyClassifier):
    """Returns one flat vector instead of N x classes logits."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return super().forward(images).flatten()


def make_classifier(num_classes: int) -> TinyClassifier:
    """A factory: what `model.module` may name instead of a class."""
    return TinyClassifier(num_classes=num_classes)


def make_nothing() -> str:
    return "not a module"


NOT_CALLABLE = 3

"""A real, simple detector: the object is what differs from the background colour (OpenCV contours).

It takes the render unnormalized (`preprocessing: {resize: null, crop: null, mean: [0, 0, 0], std: [1, 1, 1]}`)
and returns torchvision's format per image: the box around the largest region that differs from the
median border colour, label 0, and the region's share of its box as the score.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import nn


class ContrastDetector(nn.Module):
    def __init__(self, difference: float = 0.08) -> None:
        super().__init__()
        self.difference = difference

    def forward(self, images: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        return [self._detect(image.permute(1, 2, 0).cpu().numpy()) for image in images]

    def _detect(self, image: np.ndarray) -> dict[str, torch.Tensor]:
        border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
        mask = (np.abs(image - np.median(border, axis=0)).max(axis=2) > self.difference).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            return {"boxes": torch.zeros((0, 4)), "labels": torch.zeros(0, dtype=torch.int64), "scores": torch.zeros(0)}
        largest = max(contours, key=cv2.contourArea)
        x, y, w, h = cv2.boundingRect(largest)
        fill = float(mask[y : y + h, x : x + w].mean())
        return {
            "boxes": torch.tensor([[x, y, x + w, y + h]], dtype=torch.float32),
            "labels": torch.tensor([0]),
            "scores": torch.tensor([fill]),
        }

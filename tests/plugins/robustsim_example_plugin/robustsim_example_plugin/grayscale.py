"""A `grayscale` image control: blend the render towards its luminance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from controls.base import Channels, ImageControl
from simulator.search_space import ParameterSpec

# Rec. 709 luma weights, applied to the sRGB-encoded values (like most "desaturate" filters).
LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


class Grayscale(ImageControl):
    summary = "Remove colour: blend the image towards its gray version"
    parameters = (ParameterSpec("amount", "float", 1.0, "0 keeps the colours, 1 is fully gray", "", (0.0, 1.0)),)

    def apply(self, channels: Channels, values: Mapping[str, Any], rng: np.random.Generator) -> Channels:
        rgb = channels["rgb"]
        gray = (rgb @ LUMA)[..., None]
        mixed = (1.0 - values["amount"]) * rgb + values["amount"] * gray
        return {**channels, "rgb": np.clip(mixed, 0.0, 1.0).astype(np.float32)}

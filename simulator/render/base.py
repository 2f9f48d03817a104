"""The interface every renderer implements, and the settings it renders with."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

import numpy as np

from simulator.scene import Scene

Channel = Literal["rgb", "depth", "segmentation", "uv"]
CHANNELS: tuple[Channel, ...] = ("rgb", "depth", "segmentation", "uv")
Device = Literal["cpu", "cuda", "optix", "auto"]
RendererName = Literal["blender", "mitsuba"]
RENDERERS: tuple[RendererName, ...] = ("blender", "mitsuba")


@dataclass(frozen=True)
class RenderSettings:
    renderer: RendererName = "blender"  # which Renderer realizes scenes (see RendererPool)
    width: int = 224
    height: int = 224
    samples: int = 16  # path-tracing samples per pixel
    adaptive_threshold: float = 0.0  # noise threshold for adaptive sampling; 0 turns it off
    denoise: bool = False
    max_bounces: int = 4
    device: Device = "cpu"  # "auto" uses a GPU when one is present
    threads: int = 0  # CPU render threads; 0 lets the renderer use every core
    channels: tuple[Channel, ...] = ("rgb",)
    dither: float = 1.0  # noise (in 8-bit steps) added before quantizing rgb to 8 bits; 0 rounds


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Blender's "Standard" view: clip to [0, 1], then the piecewise sRGB curve (float32)."""
    x = np.clip(linear, 0.0, 1.0, dtype=np.float32)
    curve = np.float32(1.055) * x ** np.float32(1 / 2.4) - np.float32(0.055)
    return np.where(x <= 0.0031308, x * np.float32(12.92), curve)


def quantize_8bit(rgb: np.ndarray, dither: float, seed: int) -> np.ndarray:
    """rgb as an 8-bit image would hold it (values k/255), dithered like Blender's 8-bit saves.

    Real photos are 8-bit; dithering adds the faint grain a saved render has, instead of
    perfectly flat areas (which classifiers treat differently). Deterministic per seed.
    """
    levels = rgb * np.float32(255.0)
    if dither > 0:
        noise = np.random.default_rng(seed).uniform(-dither, dither, size=rgb.shape).astype(np.float32)
        levels = levels + noise
    return (np.clip(np.rint(levels), 0, 255) / np.float32(255.0)).astype(np.float32)


class Renderer(ABC):
    """Turns a `Scene` into image channels. One instance per process; it caches loaded assets.

    Output arrays, all HxW (height, width):
      rgb           float32 HxWx3, display-encoded sRGB in [0, 1], quantized to 8 bits (`quantize_8bit`)
      depth         float32 HxW, distance along the camera axis in metres; inf where nothing is hit
      segmentation  uint8 HxW, 0 background, 1 the object
      uv            float32 HxWx2, the object's texture coordinates; 0 on background
    Rendering the same scene with the same seed gives the same image whatever was rendered before.
    """

    def __init__(self, settings: RenderSettings) -> None:
        self.settings = settings

    @abstractmethod
    def render(self, scene: Scene, seed: int) -> dict[str, np.ndarray]:
        """Channels in `settings.channels` (always including rgb) for `scene`."""

    def close(self) -> None:
        """Release renderer resources (the process may exit afterwards)."""

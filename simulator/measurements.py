"""Quantities measured on every render, whatever the controls: background complexity and visible texture.

- `background_edge_density`: the share of background pixels that lie on an edge (OpenCV Canny on
  the 8-bit grey render, thresholds 100/200), before image controls such as corruptions. 3DB's
  "background complexity" (thesis Fig. 6.7: mean of an edge-filtered image) in a form that does not
  depend on the image size. Background = segmentation 0 when the segmentation channel is rendered
  (always, with Blender), less a 2-pixel band along silhouettes; else the whole frame.
- `uv_visible` (only when the `uv` channel is rendered): which parts of the object's texture space
  the camera sees, as counts of object pixels in a `UV_GRID` x `UV_GRID` grid over [0, 1]^2 (row 0 at
  v = 0), stored as little-endian uint16 bytes. `decode_uv_visible` turns it back into an array;
  `simulator.analysis.uv_accuracy_map` paints accuracy onto texture space from it (3DB Fig. 6.12).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import cv2
import numpy as np
import pyarrow as pa

UV_GRID = 32
CANNY_THRESHOLDS = (100, 200)
SILHOUETTE_MARGIN = 2  # pixels
_UV_DTYPE = np.dtype("<u2")


def measurement_columns(channels: Iterable[str]) -> dict[str, pa.DataType]:
    """The Parquet columns `measure_render` fills for renders with these channels."""
    columns = {"background_edge_density": pa.float64()}
    if "uv" in channels:
        columns["uv_visible"] = pa.binary()
    return columns


def measure_render(channels: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Values for `measurement_columns(channels)`, from the channels a renderer returned."""
    segmentation = channels.get("segmentation")
    background = None if segmentation is None else _away_from_objects(segmentation == 0)
    measured: dict[str, Any] = {"background_edge_density": edge_density(channels["rgb"], background)}
    if "uv" in channels:
        object_mask = (channels["uv"] != 0).any(axis=-1)  # the object's textured surface (a liquid has no UVs)
        if segmentation is not None:
            object_mask &= segmentation == 1
        measured["uv_visible"] = uv_visible_counts(channels["uv"], object_mask).astype(_UV_DTYPE).tobytes()
    return measured


def _away_from_objects(background: np.ndarray) -> np.ndarray:
    """The background minus a band of `SILHOUETTE_MARGIN` pixels along silhouettes, whose edges are the object's."""
    kernel = np.ones((2 * SILHOUETTE_MARGIN + 1,) * 2, np.uint8)
    return cv2.erode(background.astype(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE) > 0


def edge_density(rgb: np.ndarray, region: np.ndarray | None = None) -> float | None:
    """Share of `region` pixels (all pixels when None) on a Canny edge of the grey image; None if empty."""
    grey = cv2.cvtColor(np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(grey, *CANNY_THRESHOLDS) > 0
    if region is None:
        return float(edges.mean())
    if not region.any():
        return None
    return float(edges[region].mean())


def uv_visible_counts(uv: np.ndarray, object_mask: np.ndarray, grid: int = UV_GRID) -> np.ndarray:
    """grid x grid counts of object pixels by texture coordinate (UVs wrap into [0, 1))."""
    coords = np.mod(uv[object_mask], 1.0)
    cells = np.minimum((coords * grid).astype(np.int64), grid - 1)
    flat = cells[:, 1] * grid + cells[:, 0]
    counts = np.bincount(flat, minlength=grid * grid).reshape(grid, grid)
    return np.minimum(counts, np.iinfo(_UV_DTYPE).max)


def decode_uv_visible(blob: bytes, grid: int = UV_GRID) -> np.ndarray:
    """The grid x grid counts `measure_render` stored (rows: v, columns: u)."""
    return np.frombuffer(blob, dtype=_UV_DTYPE).reshape(grid, grid)

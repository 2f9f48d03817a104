"""Accuracy painted onto an object's texture space from the `uv_visible` column (3DB thesis Fig. 6.12)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.analysis.loading import evaluated
from simulator.measurements import UV_GRID, decode_uv_visible

_CHUNK = 20_000  # rows decoded at a time, so a million-row frame stays within memory


@dataclass(frozen=True)
class UVAccuracy:
    """Per texture cell (rows: v from 0 at the bottom, columns: u): accuracy of the renders that see it."""

    object: str | None
    accuracy: np.ndarray  # grid x grid, NaN where fewer than `min_views` renders see the cell
    views: np.ndarray  # grid x grid, renders in which the cell is visible
    samples: int  # evaluated renders that went into the map


def uv_accuracy_map(
    frame: pd.DataFrame, obj: str | None = None, value: str = "correct_top1", min_views: int = 3
) -> UVAccuracy:
    """For each cell of texture space, the share of renders where it is visible that were correct.

    Needs results rendered with the `uv` channel (`render: {channels: [rgb, uv]}`), which fill the
    `uv_visible` column. `obj` picks one object (a map only makes sense per mesh); None uses all rows.
    Cells seen in fewer than `min_views` renders are NaN.
    """
    if "uv_visible" not in frame.columns:
        raise KeyError("no 'uv_visible' column: render with `render: {channels: [rgb, uv]}` to record it")
    rows = evaluated(frame)
    if obj is not None:
        rows = rows[rows["object"] == obj]
    rows = rows[rows["uv_visible"].notna()]
    views = np.zeros((UV_GRID, UV_GRID), np.int64)
    hits = np.zeros((UV_GRID, UV_GRID), np.int64)
    blobs, correct = rows["uv_visible"].to_numpy(), rows[value].astype(bool).to_numpy()
    for start in range(0, len(rows), _CHUNK):
        visible = np.stack([decode_uv_visible(b) > 0 for b in blobs[start : start + _CHUNK]])
        views += visible.sum(axis=0)
        hits += visible[correct[start : start + _CHUNK]].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(views >= max(min_views, 1), hits / views, np.nan)
    return UVAccuracy(obj, accuracy, views, len(rows))

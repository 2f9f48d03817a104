"""Failure gallery data: the samples the model was least sure of, with their saved images."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulator.analysis.loading import evaluated, parameter_columns
from simulator.results.images import saved_image


def failure_gallery(
    frame: pd.DataFrame, n: int = 12, root: str | Path | None = None, failures_only: bool = True
) -> pd.DataFrame:
    """The `n` rows with the lowest `true_prob` (misclassified ones only, by default).

    Columns: `id, object, environment, pred_top1_name, true_prob, correct_top1`, the varying parameter
    columns, and `image` (absolute path of the saved image, or None when none was saved, the file is
    gone or the path leads outside `root/images`, see `results.images.saved_image`). Image paths are
    resolved against `root`, by default `frame.attrs["root"]` set by `load`.
    """
    rows = evaluated(frame)
    if failures_only:
        rows = rows[~rows["correct_top1"].astype(bool)]
    rows = rows.sort_values("true_prob", kind="stable").head(n)
    root = Path(root if root is not None else frame.attrs.get("root", "."))
    columns = ["id", "object", "environment", "pred_top1_name", "true_prob", "correct_top1", *parameter_columns(frame)]
    gallery = rows[columns].reset_index(drop=True)
    paths = rows["image_path"] if "image_path" in rows.columns else pd.Series(None, index=rows.index)
    images = [saved_image(root, relative) for relative in paths]
    gallery["image"] = [str(path) if path is not None else None for path in images]
    return gallery

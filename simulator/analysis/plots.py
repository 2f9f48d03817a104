"""Report figures as PNG bytes (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import ParamSpec

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from simulator.analysis.surface import UVAccuracy  # noqa: E402

P = ParamSpec("P")


def _plain_text(plot: Callable[P, bytes]) -> Callable[P, bytes]:
    """Draw with mathtext off, so user strings (names like '$5 mug' or 'a_$b') are shown as typed."""

    @wraps(plot)
    def plain(*args: P.args, **kwargs: P.kwargs) -> bytes:
        with plt.rc_context({"text.parse_math": False}):
            return plot(*args, **kwargs)

    return plain


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


@_plain_text
def heatmap_png(table: pd.DataFrame, title: str, xlabel: str = "", ylabel: str = "") -> bytes:
    """A 0..1 accuracy heat map of a pivot table, each cell labelled with its value."""
    values = table.to_numpy(dtype=float)
    rows, columns = values.shape
    figure, axes = plt.subplots(figsize=(max(4.0, 1.1 * columns + 2.5), max(2.5, 0.45 * rows + 1.5)))
    image = axes.imshow(values, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    axes.set_xticks(range(columns), [str(c) for c in table.columns], rotation=30, ha="right")
    axes.set_yticks(range(rows), [str(r) for r in table.index])
    for i in range(rows):
        for j in range(columns):
            if not np.isnan(values[i, j]):
                axes.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=9)
    axes.set_title(title)
    axes.set_xlabel(xlabel or str(table.columns.name or ""))
    axes.set_ylabel(ylabel or str(table.index.name or ""))
    figure.colorbar(image, ax=axes, label="top-1 accuracy")
    return _png(figure)


@_plain_text
def sensitivity_png(table: pd.DataFrame, control: str) -> bytes:
    """Top-1 accuracy per bin with Wilson error bars (a `sensitivity` table)."""
    figure, axes = plt.subplots(figsize=(4.2, 2.8))
    x = np.arange(len(table))
    y = table["top1"].to_numpy(dtype=float)
    errors = np.vstack([y - table["top1_low"].to_numpy(dtype=float), table["top1_high"].to_numpy(dtype=float) - y])
    axes.errorbar(x, y, yerr=errors, fmt="o-", capsize=4, color="#1f5fa8")
    axes.set_xticks(x, [str(b) for b in table["bin"]], rotation=30, ha="right", fontsize=8)
    axes.set_ylim(0, 1.02)
    axes.set_ylabel("top-1 accuracy")
    axes.set_title(control, fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


@_plain_text
def predictions_png(counts: pd.DataFrame, group: str) -> bytes:
    """Horizontal bars: how often each wrong label was predicted (one group of `prediction_distribution`)."""
    counts = counts.iloc[::-1]
    figure, axes = plt.subplots(figsize=(4.2, 0.35 * len(counts) + 1.0))
    axes.barh([str(n) for n in counts["pred_top1_name"]], counts["count"], color="#c0504d")
    axes.set_xlabel("misclassified samples")
    axes.set_title(f"'{group}' predicted as", fontsize=10)
    axes.xaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


@_plain_text
def uv_accuracy_png(uv_map: UVAccuracy, texture: Path | None = None) -> bytes:
    """Accuracy over texture space (u right, v up), over the object's texture when one is given."""
    figure, axes = plt.subplots(figsize=(4.2, 3.6))
    if texture is not None and texture.is_file():
        with Image.open(texture) as picture:
            axes.imshow(np.asarray(picture.convert("RGB")), extent=(0, 1, 0, 1))
    image = axes.imshow(
        uv_map.accuracy, origin="lower", extent=(0, 1, 0, 1), cmap="RdYlGn", vmin=0, vmax=1, alpha=0.7,
        interpolation="nearest",
    )
    axes.set_xlabel("u")
    axes.set_ylabel("v")
    axes.set_title(f"{uv_map.object or 'all objects'}: top-1 when visible ({uv_map.samples} renders)", fontsize=10)
    figure.colorbar(image, ax=axes, label="top-1 accuracy")
    return _png(figure)


@_plain_text
def complexity_png(table: pd.DataFrame) -> bytes:
    """Per-environment top-1 accuracy (Wilson bars) against background edge density (`environment_complexity`)."""
    figure, axes = plt.subplots(figsize=(4.6, 3.2))
    x = table["edge_density"].to_numpy(dtype=float)
    y = table["top1"].to_numpy(dtype=float)
    errors = np.vstack([y - table["top1_low"].to_numpy(dtype=float), table["top1_high"].to_numpy(dtype=float) - y])
    axes.errorbar(x, y, yerr=errors, fmt="o", capsize=3, color="#1f5fa8")
    for xi, yi, name in zip(x, y, table["environment"], strict=True):
        axes.annotate(str(name), (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=7)
    axes.set_xlabel("background edge density (share of edge pixels)")
    axes.set_ylabel("top-1 accuracy")
    axes.set_ylim(0, 1.05)
    axes.grid(alpha=0.3)
    return _png(figure)


@_plain_text
def best_so_far_png(curves: pd.DataFrame, objective: str) -> bytes:
    """The lowest objective seen so far against renders, one line per (object, environment) (a `best_so_far` table)."""
    figure, axes = plt.subplots(figsize=(6.4, 3.4))
    for (obj, environment), part in curves.groupby(["object", "environment"], sort=True):
        axes.step(part["renders"], part["best"], where="post", label=f"{obj} / {environment}")
    if objective == "margin":
        axes.axhline(0.0, color="#999", lw=0.8, ls="--")  # below: the model is wrong
    axes.set_xlabel("renders of the pair (ask order)")
    axes.set_ylabel(f"lowest {objective} so far")
    axes.grid(alpha=0.3)
    if curves.groupby(["object", "environment"]).ngroups <= 12:
        axes.legend(fontsize=7, loc="upper right")
    return _png(figure)

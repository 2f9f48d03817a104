"""Report figures as PNG bytes (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


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


def predictions_png(counts: pd.DataFrame, group: str) -> bytes:
    """Horizontal bars: how often each wrong label was predicted (one group of `prediction_distribution`)."""
    counts = counts.iloc[::-1]
    figure, axes = plt.subplots(figsize=(4.2, 0.35 * len(counts) + 1.0))
    axes.barh([str(n) for n in counts["pred_top1_name"]], counts["count"], color="#c0504d")
    axes.set_xlabel("misclassified samples")
    axes.set_title(f"'{group}' predicted as", fontsize=10)
    axes.xaxis.get_major_locator().set_params(integer=True)
    return _png(figure)

"""Bins for parameter values: quantile or equal-width bins for continuous values, one bin per value otherwise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def format_value(value: object) -> str:
    """A short label for a parameter value or bin edge (3 significant digits for numbers)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{float(value):.3g}"
    return str(value)


@dataclass(frozen=True)
class Binning:
    """How one column was binned.

    `codes[i]` is row i's bin (-1 where the value is missing); `labels` name the bins in order;
    `edges` are the bin edges for continuous bins (None for one-bin-per-value); `values` are the
    values of discrete bins.
    """

    column: str
    codes: np.ndarray
    labels: list[str]
    edges: np.ndarray | None
    values: list[object] | None

    @property
    def discrete(self) -> bool:
        return self.edges is None

    def series(self, index: pd.Index) -> pd.Series:
        """The bins as an ordered categorical Series of labels (NaN where the value is missing)."""
        categories = pd.Categorical.from_codes(self.codes, categories=self.labels, ordered=True)
        return pd.Series(categories, index=index, name=self.column)

    def condition(self, code: int) -> str:
        """Bin `code` as a plain condition: 'camera.elevation > 35', '10 < x ≤ 20', 'camera.elevation = 5'."""
        if self.edges is None:
            return f"{self.column} = {format_value(self.values[code])}"
        low, high = (format_value(e) for e in self.edges[code : code + 2])
        if len(self.labels) == 1:
            return f"{self.column} is between {low} and {high}"
        if code == 0:
            return f"{self.column} ≤ {high}"
        if code == len(self.labels) - 1:
            return f"{self.column} > {low}"
        return f"{low} < {self.column} ≤ {high}"


def declared_kind(frame: pd.DataFrame, column: str) -> str | None:
    """"continuous" or "discrete" as the experiment declared `column` (see `loading.load`), else None."""
    return frame.attrs.get("parameter_kinds", {}).get(column)


def binning(
    values: pd.Series, bins: int = 4, method: str = "quantile", max_discrete: int = 8, kind: str | None = None
) -> Binning:
    """Bin a column: one bin per value when it is not numeric, when `kind` is "discrete" (declared as
    `choices`), or, with no `kind`, when it has at most `max_discrete` values; else `bins` bins by
    `method`: "quantile" (equal counts) or "width" (equal width).

    Continuous bins are closed on the right, the first one on both sides: [e0, e1], (e1, e2], ...
    Quantile edges that coincide are merged, so there may be fewer bins than asked.
    """
    if method not in ("quantile", "width"):
        raise ValueError(f"method must be 'quantile' or 'width', got {method!r}")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    name = str(values.name)
    present = values.notna().to_numpy()
    distinct = pd.unique(values[present])
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if not numeric or kind == "discrete" or (kind != "continuous" and len(distinct) <= max_discrete):
        ordered = sorted(distinct, key=lambda v: (str(type(v)), v)) if len(distinct) else []
        lookup = {value: code for code, value in enumerate(ordered)}
        codes = np.array([lookup[v] if ok else -1 for v, ok in zip(values.tolist(), present)], dtype=int)
        return Binning(name, codes, [format_value(v) for v in ordered], None, list(ordered))
    x = values.to_numpy(dtype=float)
    finite = x[present]
    if len(finite) == 0:
        return Binning(name, np.full(len(x), -1), [], np.array([]), None)
    if method == "quantile":
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)))
    else:
        edges = np.linspace(finite.min(), finite.max(), bins + 1)
    codes = np.clip(np.searchsorted(edges[1:-1], x, side="left"), 0, len(edges) - 2)
    codes = np.where(present, codes, -1)
    labels = [
        ("[" if i == 0 else "(") + f"{format_value(edges[i])}, {format_value(edges[i + 1])}]" for i in range(len(edges) - 1)
    ]
    return Binning(name, codes, labels, edges, None)


def bin_parameter(
    values: pd.Series, bins: int = 4, method: str = "quantile", max_discrete: int = 8, kind: str | None = None
) -> pd.Series:
    """`values` replaced by their bin labels, as an ordered categorical (see `binning`)."""
    return binning(values, bins, method, max_discrete, kind).series(values.index)

"""Background complexity (edge density of the background) against accuracy (3DB thesis Fig. 6.7)."""

from __future__ import annotations

import pandas as pd

from simulator.analysis.bins import binning
from simulator.analysis.loading import evaluated
from simulator.analysis.tables import accuracy

COLUMN = "background_edge_density"


def _require(frame: pd.DataFrame) -> None:
    if COLUMN not in frame.columns:
        raise KeyError(f"no {COLUMN!r} column: these results predate it (every new run records it)")


def environment_complexity(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per environment: mean background edge density and `accuracy` columns, simplest background first."""
    _require(frame)
    rows = evaluated(frame)
    density = rows.groupby("environment", observed=True)[COLUMN].mean().rename("edge_density")
    table = accuracy(frame, "environment", confidence).merge(density, on="environment", how="left")
    return table.sort_values("edge_density", kind="stable").reset_index(drop=True)


def complexity_accuracy(
    frame: pd.DataFrame, bins: int = 4, method: str = "quantile", confidence: float = 0.95
) -> pd.DataFrame:
    """`accuracy` per bin of background edge density (column `bin`, with `condition` in words)."""
    _require(frame)
    rows = evaluated(frame)
    rows = rows[rows[COLUMN].notna()]
    binned = binning(rows[COLUMN], bins, method, kind="continuous")
    rows = rows.assign(bin=binned.series(rows.index))
    table = accuracy(rows, "bin", confidence)
    table.insert(1, "condition", [binned.condition(int(c)) for c in table["bin"].cat.codes])
    return table

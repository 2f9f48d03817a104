"""Two-control interaction: accuracy over the bins of two parameters."""

from __future__ import annotations

import pandas as pd

from simulator.analysis.bins import binning, declared_kind
from simulator.analysis.loading import evaluated
from simulator.analysis.tables import accuracy


def interaction(
    frame: pd.DataFrame, first: str, second: str, bins: int = 4, method: str = "quantile", max_discrete: int = 8
) -> pd.DataFrame:
    """Long form: accuracy (with Wilson intervals) per pair of bins of `first` and `second`
    (columns named after the two controls, holding bin labels)."""
    if first == second:
        raise ValueError("interaction needs two different columns")
    rows = evaluated(frame)
    a = binning(rows[first], bins, method, max_discrete, declared_kind(frame, first))
    b = binning(rows[second], bins, method, max_discrete, declared_kind(frame, second))
    keep = (a.codes >= 0) & (b.codes >= 0)
    binned = pd.DataFrame(
        {first: a.series(rows.index), second: b.series(rows.index)}, index=rows.index
    ).join(rows.drop(columns=[first, second]))[keep]
    return accuracy(binned, [first, second])


def interaction_table(
    frame: pd.DataFrame,
    first: str,
    second: str,
    bins: int = 4,
    method: str = "quantile",
    value: str = "top1",
    max_discrete: int = 8,
) -> pd.DataFrame:
    """A pivot of `value` (top1, topk, n, ...): bins of `first` as rows, bins of `second` as columns,
    both in bin order; NaN where no row falls in a cell."""
    table = interaction(frame, first, second, bins, method, max_discrete)
    return table.pivot(index=first, columns=second, values=value)

"""Top failure modes in plain words, from per-object sensitivity to each control, with support:
a minimum count per mode and a Holm correction over every comparison made."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from simulator.analysis.bins import Binning, binning, declared_kind
from simulator.analysis.loading import evaluated, parameter_columns
from simulator.analysis.stats import wilson_interval

COLUMNS = ["object", "control", "condition", "n_in", "top1_in", "top1_in_low", "top1_in_high", "n_rest",
           "top1_rest", "drop", "p_value", "sentence"]


def failure_modes(
    frame: pd.DataFrame,
    controls: Sequence[str] | None = None,
    bins: int = 4,
    method: str = "quantile",
    top: int = 5,
    min_n: int = 10,
    per_object: bool = True,
    max_discrete: int = 8,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Conditions under which accuracy drops, each with a sentence, kept only when the data support them.

    For each object (all rows together too, and only that with `per_object=False`) and each control
    (the varying parameters, plus `environment`), every bin with at least `min_n` rows (and `min_n` rows
    outside it) is compared with the object's other rows by a one-sided Fisher exact test (is the bin's
    top-1 accuracy lower?). The p-values of all these comparisons are Holm-adjusted together; a bin is a
    mode when its adjusted `p_value` is below `alpha`. The worst mode per (object, control) is kept,
    a mode covering exactly the rows of a higher-ranked one is dropped (one sentence per set of rows),
    and modes are ranked by the drop (`top1_rest - top1_in`).

    Columns: `object` (None: all objects), `control`, `condition`, `n_in`, `top1_in`, `top1_in_low`,
    `top1_in_high`, `n_rest`, `top1_rest`, `drop`, `p_value` (Holm-adjusted), `sentence`, e.g.
    "accuracy on 'banana' drops from 0.81 to 0.22 when camera.elevation > 35 (9 samples)".
    """
    rows = evaluated(frame).reset_index(drop=True)
    controls = [*parameter_columns(frame), "environment"] if controls is None else list(controls)
    correct = rows["correct_top1"].astype(bool).to_numpy()
    groups: list[tuple[str | None, np.ndarray]] = [(None, np.ones(len(rows), dtype=bool))]
    if per_object:
        groups += [(name, (rows["object"] == name).to_numpy()) for name in sorted(rows["object"].unique())]
    tests = []
    for control in controls:
        if control not in rows.columns or rows[control].nunique(dropna=True) < 2:
            continue
        binned = binning(rows[control], bins, method, max_discrete, declared_kind(frame, control))  # shared bins
        for obj, member in groups:
            tests += _comparisons(obj, control, binned, member, correct, min_n)
    modes = _supported(tests, alpha)
    return pd.DataFrame(modes, columns=COLUMNS).head(top).reset_index(drop=True)


def _comparisons(
    obj: str | None, control: str, binned: Binning, member: np.ndarray, correct: np.ndarray, min_n: int
) -> list[dict]:
    """One comparison per bin with enough rows inside and outside it (within `member`)."""
    codes = np.where(member, binned.codes, -1)
    found = []
    for code in range(len(binned.labels)):
        inside = codes == code
        rest = (codes >= 0) & ~inside
        n_in, n_rest = int(inside.sum()), int(rest.sum())
        if n_in < min_n or n_rest < min_n:
            continue
        hits_in, hits_rest = int(correct[inside].sum()), int(correct[rest].sum())
        table = [[hits_in, n_in - hits_in], [hits_rest, n_rest - hits_rest]]
        condition = binned.condition(code)
        if control == "environment":
            condition = f"the environment is '{binned.values[code]}'"
        low, high = wilson_interval(hits_in, n_in)
        found.append(
            {
                "object": obj,
                "control": control,
                "condition": condition,
                "n_in": n_in,
                "top1_in": hits_in / n_in,
                "top1_in_low": float(low),
                "top1_in_high": float(high),
                "n_rest": n_rest,
                "top1_rest": hits_rest / n_rest,
                "drop": hits_rest / n_rest - hits_in / n_in,
                "p_raw": float(fisher_exact(table, alternative="less").pvalue),
                "rows": np.flatnonzero(inside).tobytes(),
            }
        )
    return found


def _supported(tests: list[dict], alpha: float) -> list[dict]:
    """Holm-adjust every comparison's p-value, keep the significant drops: the worst per (object, control),
    one per set of rows, ranked by drop (then size)."""
    adjusted = holm([test["p_raw"] for test in tests])
    for test, p_value in zip(tests, adjusted, strict=True):
        test["p_value"] = p_value
    significant = [t for t in tests if t["drop"] > 0 and t["p_value"] < alpha]
    significant.sort(key=lambda t: (-t["drop"], -t["n_in"]))
    modes, seen_pairs, seen_rows = [], set(), set()
    for test in significant:
        pair = (test["object"], test["control"])
        if pair in seen_pairs or test["rows"] in seen_rows:
            continue
        seen_pairs.add(pair)
        seen_rows.add(test["rows"])
        subject = f"accuracy on '{test['object']}'" if test["object"] is not None else "accuracy over all objects"
        test["sentence"] = (
            f"{subject} drops from {test['top1_rest']:.2f} to {test['top1_in']:.2f} "
            f"when {test['condition']} ({test['n_in']} samples)"
        )
        modes.append({key: test[key] for key in COLUMNS})
    return modes


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of `p_values` (family-wise error), in the given order."""
    order = np.argsort(p_values, kind="stable")
    count = len(p_values)
    adjusted = np.empty(count)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (count - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted.tolist()

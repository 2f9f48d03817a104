"""Top failure modes in plain words, from per-object sensitivity to each control."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulator.analysis.bins import binning, declared_kind
from simulator.analysis.loading import evaluated, parameter_columns
from simulator.analysis.stats import wilson_interval


def failure_modes(
    frame: pd.DataFrame,
    controls: Sequence[str] | None = None,
    bins: int = 4,
    method: str = "quantile",
    top: int = 5,
    min_n: int = 3,
    per_object: bool = True,
    max_discrete: int = 8,
) -> pd.DataFrame:
    """Conditions under which accuracy drops most, each with a sentence.

    For each object (all rows together too, and only that with `per_object=False`) and each control
    (the varying parameters, plus `environment`), every bin with at least `min_n` rows is compared with
    the object's other rows (bins are computed once over all rows, so every object shares them). A mode is a bin whose top-1 accuracy is below the rest's; modes are ranked
    by the drop (`top1_rest - top1_in`), and only the worst bin per (object, control) is kept.

    Columns: `object` (None: all objects), `control`, `condition`, `n_in`, `top1_in`, `top1_in_low`,
    `top1_in_high`, `n_rest`, `top1_rest`, `drop`, `sentence`, e.g.
    "accuracy on 'banana' drops from 0.81 to 0.22 when camera.elevation > 35 (9 samples)".
    """
    rows = evaluated(frame)
    controls = [*parameter_columns(frame), "environment"] if controls is None else list(controls)
    rows = rows.reset_index(drop=True)
    correct_all = rows["correct_top1"].astype(bool).to_numpy()
    groups: list[tuple[str | None, np.ndarray]] = [(None, np.ones(len(rows), dtype=bool))]
    if per_object:
        groups += [(name, (rows["object"] == name).to_numpy()) for name in sorted(rows["object"].unique())]
    records = []
    for control in controls:
        if control not in rows.columns or rows[control].nunique(dropna=True) < 2:
            continue
        binned = binning(rows[control], bins, method, max_discrete, declared_kind(frame, control))  # the same bins for every object
        for obj, member in groups:
            codes, correct = binned.codes[member], correct_all[member]
            worst = None
            for code in range(len(binned.labels)):
                inside = codes == code
                rest = (codes >= 0) & ~inside
                n_in, n_rest = int(inside.sum()), int(rest.sum())
                if n_in < min_n or n_rest < min_n:
                    continue
                top1_in, top1_rest = correct[inside].mean(), correct[rest].mean()
                drop = top1_rest - top1_in
                if drop > 0 and (worst is None or drop > worst["drop"]):
                    low, high = wilson_interval(int(correct[inside].sum()), n_in)
                    condition = binned.condition(code)
                    if control == "environment":
                        condition = f"the environment is '{binned.values[code]}'"
                    worst = {
                        "object": obj,
                        "control": control,
                        "condition": condition,
                        "n_in": n_in,
                        "top1_in": float(top1_in),
                        "top1_in_low": float(low),
                        "top1_in_high": float(high),
                        "n_rest": n_rest,
                        "top1_rest": float(top1_rest),
                        "drop": float(drop),
                    }
            if worst is not None:
                subject = f"accuracy on '{obj}'" if obj is not None else "accuracy over all objects"
                worst["sentence"] = (
                    f"{subject} drops from {worst['top1_rest']:.2f} to {worst['top1_in']:.2f} "
                    f"when {worst['condition']} ({worst['n_in']} samples)"
                )
                records.append(worst)
    columns = ["object", "control", "condition", "n_in", "top1_in", "top1_in_low", "top1_in_high", "n_rest",
               "top1_rest", "drop", "sentence"]
    modes = pd.DataFrame(records, columns=columns)
    modes = modes.sort_values(["drop", "n_in"], ascending=False, kind="stable").head(top)
    return modes.reset_index(drop=True)

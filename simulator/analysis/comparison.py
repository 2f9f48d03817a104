"""Several models on the same renders: agreement, accuracy with paired intervals, McNemar's test per
object, and the conditions where two models disagree most (differential testing).

Every function pairs rows by sample `id`: a render counts only when every compared model judged it
(no `error`). Verdicts are the generic `correct` column (`correct_top1` for older results).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from simulator.analysis.bins import binning, declared_kind
from simulator.analysis.loading import evaluated, parameter_columns
from simulator.analysis.search import verdict_column
from simulator.analysis.stats import wilson_interval

BOOTSTRAP_RESAMPLES = 2000
MIN_CONDITION_RENDERS = 3


def model_names(frame: pd.DataFrame) -> list[str]:
    """The models of a results frame, in the order their rows first appear (the experiment's order)."""
    return [str(m) for m in pd.unique(frame["model"].dropna())] if "model" in frame.columns else []


def one_model(frame: pd.DataFrame, model: str | None = None) -> pd.DataFrame:
    """The rows of `model` (default: the first model); the frame itself when it has one model or none."""
    names = model_names(frame)
    if len(names) <= 1 and model is None:
        return frame
    chosen = frame[frame["model"] == (model or names[0])]
    chosen.attrs = dict(frame.attrs)
    return chosen


def paired_verdicts(frame: pd.DataFrame, column: str | None = None) -> pd.DataFrame:
    """One row per render judged by every model: `id`, `object`, `environment`, the parameters, and one
    bool column per model (its verdict)."""
    column = column or verdict_column(frame)
    names = model_names(frame)
    if column is None or not names:
        return pd.DataFrame()
    rows = evaluated(frame)
    wide = rows.pivot_table(index="id", columns="model", values=column, aggfunc="first", observed=True)
    wide = wide.reindex(columns=names).dropna().astype(bool)
    context = rows.drop_duplicates("id").set_index("id")[["object", "environment", *parameter_columns(frame)]]
    return context.join(wide, how="inner").reset_index()


def agreement_matrix(frame: pd.DataFrame, column: str | None = None) -> pd.DataFrame:
    """models x models: the share of renders on which two models' verdicts agree (1 on the diagonal)."""
    paired = paired_verdicts(frame, column)
    names = model_names(frame)
    if paired.empty:
        return pd.DataFrame(index=names, columns=names, dtype=float)
    values = paired[names].to_numpy()
    agreement = (values[:, :, None] == values[:, None, :]).mean(axis=0)
    return pd.DataFrame(agreement, index=names, columns=names)


def model_accuracy(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per model, on the renders every model judged: n, accuracy and its Wilson interval."""
    paired = paired_verdicts(frame)
    table = []
    for name in model_names(frame):
        hits = int(paired[name].sum()) if len(paired) else 0
        low, high = wilson_interval(np.array(hits), np.array(len(paired)), confidence)
        table.append({"model": name, "n": len(paired), "accuracy": hits / len(paired) if len(paired) else np.nan,
                      "low": float(low), "high": float(high)})
    return pd.DataFrame(table)


def paired_comparison(frame: pd.DataFrame, confidence: float = 0.95, by: str | None = None, seed: int = 0) -> pd.DataFrame:
    """Per pair of models (A, B), and per value of `by` (e.g. "object") when given: n, both right, only A
    right, only B right, both wrong, accuracy of each, the difference A - B with a paired bootstrap
    interval (scipy.stats.bootstrap, paired=True), and McNemar's exact test (a two-sided binomial test on
    the renders where exactly one is right)."""
    paired = paired_verdicts(frame)
    names = model_names(frame)
    groups = [("", paired)] if by is None else list(paired.groupby(by, sort=True, observed=True)) if len(paired) else []
    table = []
    for group, part in groups:
        for a, b in combinations(names, 2):
            row = {by: group} if by is not None else {}
            table.append(row | _pair(part[a].to_numpy(), part[b].to_numpy(), a, b, confidence, seed))
    return pd.DataFrame(table)


def _pair(right_a: np.ndarray, right_b: np.ndarray, a: str, b: str, confidence: float, seed: int) -> dict:
    n = len(right_a)
    only_a, only_b = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
    discordant = only_a + only_b
    low = high = np.nan
    if n >= 2 and discordant:
        interval = stats.bootstrap(
            (right_a.astype(float), right_b.astype(float)),
            lambda x, y, axis: x.mean(axis=axis) - y.mean(axis=axis),
            paired=True, vectorized=True, n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=confidence,
            method="percentile", random_state=np.random.default_rng(seed),
        ).confidence_interval
        low, high = float(interval.low), float(interval.high)
    elif n:
        low = high = 0.0  # the models agree on every render: no difference to estimate
    return {
        "model_a": a, "model_b": b, "n": n,
        "both_right": int((right_a & right_b).sum()), "only_a": only_a, "only_b": only_b,
        "both_wrong": int((~right_a & ~right_b).sum()),
        "accuracy_a": right_a.mean() if n else np.nan, "accuracy_b": right_b.mean() if n else np.nan,
        "difference": (right_a.mean() - right_b.mean()) if n else np.nan, "difference_low": low, "difference_high": high,
        "mcnemar_p": stats.binomtest(only_a, discordant, 0.5).pvalue if discordant else 1.0,
    }


def disagreement_conditions(
    frame: pd.DataFrame, model_a: str, model_b: str, bins: int = 4, method: str = "quantile", top: int = 10
) -> pd.DataFrame:
    """The conditions (one parameter's bin, or an environment or object) where A and B disagree most:
    renders, disagreement rate, renders where only A / only B is right. Bins with fewer than
    `MIN_CONDITION_RENDERS` renders are left out."""
    paired = paired_verdicts(frame)
    if paired.empty:
        return pd.DataFrame(columns=["condition", "renders", "disagreement", "only_a", "only_b"])
    right_a, right_b = paired[model_a].to_numpy(), paired[model_b].to_numpy()
    table = []
    for column in [*parameter_columns(frame), "environment", "object"]:
        if paired[column].nunique(dropna=True) < 2:
            continue
        binned = binning(paired[column], bins, method, kind=declared_kind(frame, column))
        for code in range(len(binned.labels)):
            inside = binned.codes == code
            if inside.sum() < MIN_CONDITION_RENDERS:
                continue
            a, b = right_a[inside], right_b[inside]
            table.append({"condition": binned.condition(code), "renders": int(inside.sum()),
                          "disagreement": float((a != b).mean()), "only_a": int((a & ~b).sum()), "only_b": int((~a & b).sum())})
    result = pd.DataFrame(table, columns=["condition", "renders", "disagreement", "only_a", "only_b"])
    return result.sort_values(["disagreement", "renders"], ascending=False, kind="stable").head(top).reset_index(drop=True)

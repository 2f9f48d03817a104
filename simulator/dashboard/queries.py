"""What the page asks for, computed with numpy on a snapshot: heat maps, accuracy tables, sample lists.

A view is a `Query`: one dimension per heat-map axis (or none), a bin per slider, and the objects and
environments selected. Each answer counts evaluated rows only (rows with `error` set are left out).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from simulator.analysis.stats import wilson_interval
from simulator.dashboard.data import Snapshot

METRICS = ("top1", "topk")
MAX_SAMPLES = 200


class QueryError(ValueError):
    """A request names an unknown dimension, metric or bin (answered with 400)."""


@dataclass(frozen=True)
class Query:
    """One view: heat-map axes `x`, `y` (dimension names or None), slider bins, object/environment selections.

    `objects` / `environments` of None select all; an empty set selects nothing.
    """

    x: str | None = None
    y: str | None = None
    sliders: Mapping[str, int] = field(default_factory=dict)
    objects: frozenset[str] | None = None
    environments: frozenset[str] | None = None
    metric: str = "top1"

    @classmethod
    def parse(cls, params: Mapping[str, Sequence[str]], snapshot: Snapshot) -> Query:
        """From query-string values (`urllib.parse.parse_qs(..., keep_blank_values=True)`):
        `x`, `y`, `slider=<dimension>:<bin>` (repeated), `object` / `environment` (repeated; one empty
        value selects none), `metric` (top1 | topk)."""
        x, y = (_single(params, key) or None for key in ("x", "y"))
        for axis in (x, y):
            if axis is not None and axis not in snapshot.dimensions:
                raise QueryError(f"unknown dimension {axis!r}")
        if x is not None and x == y:
            raise QueryError("x and y must be different dimensions")
        sliders = {}
        for value in params.get("slider", ()):
            name, _, code = value.rpartition(":")
            if name not in snapshot.dimensions or name in (x, y):
                raise QueryError(f"slider on unknown or axis dimension {name!r}")
            if not re.fullmatch(r"[0-9]{1,9}", code) or int(code) >= len(snapshot.dimensions[name].labels):
                raise QueryError(f"no bin {code!r} for {name!r}")
            sliders[name] = int(code)
        metric = _single(params, "metric") or "top1"
        if metric not in METRICS:
            raise QueryError(f"metric must be one of {METRICS}, got {metric!r}")
        return cls(x, y, sliders, _selection(params, "object"), _selection(params, "environment"), metric)


def row_mask(snapshot: Snapshot, query: Query, ignore: str | None = None) -> np.ndarray:
    """Evaluated rows in the query's selections and slider bins (`ignore`: leave that dimension's selection out)."""
    mask = snapshot.evaluated.copy()
    for name, chosen in (("object", query.objects), ("environment", query.environments)):
        if chosen is not None and name != ignore:
            dimension = snapshot.dimensions[name]
            allowed = np.array([label in chosen for label in dimension.labels] + [False])
            mask &= allowed[dimension.codes]  # code -1 picks the trailing False
    for name, code in query.sliders.items():
        mask &= snapshot.dimensions[name].codes == code
    return mask


def heatmap(snapshot: Snapshot, query: Query) -> dict:
    """Accuracy, n and Wilson 95% interval of every (x bin, y bin) cell, row-major from y = 0, and overall."""
    mask = row_mask(snapshot, query)
    xs = snapshot.dimensions[query.x] if query.x else None
    ys = snapshot.dimensions[query.y] if query.y else None
    width, height = (len(d.labels) if d else 1 for d in (xs, ys))
    cell = np.zeros(len(mask), dtype=np.int64)
    if xs is not None:
        mask &= xs.codes >= 0
        cell += xs.codes
    if ys is not None:
        mask &= ys.codes >= 0
        cell += ys.codes.astype(np.int64) * width
    cells = cell[mask]
    size = width * height
    n = np.bincount(cells, minlength=size)
    correct = _correct(snapshot, query.metric)[mask]
    k = np.bincount(cells, weights=correct, minlength=size)
    prob = snapshot.true_prob[mask]
    known = ~np.isnan(prob)
    prob_sum = np.bincount(cells[known], weights=prob[known], minlength=size)
    prob_n = np.bincount(cells[known], minlength=size)
    stats = accuracy_rows(k, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_prob = np.where(prob_n > 0, prob_sum / np.maximum(prob_n, 1), np.nan)
    for index, row in enumerate(stats):
        row.update(x=index % width, y=index // width, mean_true_prob=_number(mean_prob[index]))
    return {
        "metric": query.metric,
        "x": xs.describe() if xs else None,
        "y": ys.describe() if ys else None,
        "cells": stats,
        "overall": accuracy_rows(np.array([k.sum()]), np.array([n.sum()]))[0],
    }


def group_table(snapshot: Snapshot, query: Query, name: str) -> list[dict]:
    """Accuracy per object or environment under the query, leaving out that dimension's own selection."""
    dimension = snapshot.dimensions[name]
    mask = row_mask(snapshot, query, ignore=name) & (dimension.codes >= 0)
    codes = dimension.codes[mask]
    size = len(dimension.labels)
    n = np.bincount(codes, minlength=size)
    k = np.bincount(codes, weights=_correct(snapshot, query.metric)[mask], minlength=size)
    rows = accuracy_rows(k, n)
    for label, row in zip(dimension.labels, rows):
        row[name] = label
    return rows


def samples(
    snapshot: Snapshot,
    query: Query,
    cell: tuple[int, int] | None = None,
    failures_only: bool = False,
    limit: int = 48,
) -> dict:
    """The rows of the view (of one heat-map cell when `cell` = (x bin, y bin) is given), lowest
    p(true class) first: `total` rows match, the first `limit` are listed."""
    mask = row_mask(snapshot, query)
    if cell is not None:
        for axis, code in zip((query.x, query.y), cell):
            if axis is not None:
                mask &= snapshot.dimensions[axis].codes == code
    if failures_only:
        mask &= ~_correct(snapshot, query.metric)
    rows = np.flatnonzero(mask)
    limit = max(0, min(limit, MAX_SAMPLES))
    prob = np.nan_to_num(snapshot.true_prob[rows], nan=np.inf)
    if len(rows) > limit:
        keep = np.argpartition(prob, limit - 1)[:limit] if limit else np.array([], dtype=int)
        rows, prob = rows[keep], prob[keep]
    rows = rows[np.argsort(prob, kind="stable")]
    records = snapshot.table.take(pa.array(rows, type=pa.int64())).to_pylist()
    correct = _correct(snapshot, query.metric)
    return {
        "total": int(mask.sum()),
        "samples": [_sample(snapshot, record, row, bool(correct[row])) for record, row in zip(records, rows)],
    }


def accuracy_rows(successes: np.ndarray, trials: np.ndarray) -> list[dict]:
    """`{n, correct, accuracy, low, high}` per group; accuracy and the Wilson 95% bounds are None when n = 0."""
    successes = np.asarray(successes, dtype=float)
    trials = np.asarray(trials, dtype=float)
    low, high = (np.atleast_1d(bound) for bound in wilson_interval(successes, trials))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(trials > 0, successes / np.maximum(trials, 1), np.nan)
    return [
        {"n": int(t), "correct": int(s), "accuracy": _number(a), "low": _number(lo), "high": _number(hi)}
        for s, t, a, lo, hi in zip(successes, trials, share, low, high)
    ]


def _sample(snapshot: Snapshot, record: dict, row: int, correct: bool) -> dict:
    return {
        "id": str(record["id"]),
        "object": record.get("object"),
        "environment": record.get("environment"),
        "prediction": record.get("pred_top1_name"),
        "true_prob": _number(snapshot.true_prob[row]),
        "correct": correct,
        "parameters": {name: _plain(record.get(name)) for name in snapshot.parameters},
    }


def _correct(snapshot: Snapshot, metric: str) -> np.ndarray:
    column = "correct_topk" if metric == "topk" else "correct_top1"
    if snapshot.rows and column not in snapshot.table.column_names:  # e.g. a plugin evaluator's results
        raise QueryError(f"these results have no {column} column, so no {metric} accuracy")
    return snapshot.correct_topk if metric == "topk" else snapshot.correct_top1


def _single(params: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = params.get(key, ())
    if len(values) > 1:
        raise QueryError(f"{key!r} given {len(values)} times")
    return values[0] if values else None


def _selection(params: Mapping[str, Sequence[str]], key: str) -> frozenset[str] | None:
    return frozenset(v for v in params[key] if v) if key in params else None


def _number(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def _plain(value: object) -> object:
    """A parameter value (as Arrow gives it: bool, int, float, str or None) for JSON, floats rounded."""
    return _number(value) if isinstance(value, float) else value

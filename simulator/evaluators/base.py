"""The interface every evaluator implements: what one model made of one render -> typed result columns.

An evaluator gets, for each render a model judged, an `EvaluationInput`: the model's output for
that render, the sample, the rendered channels (rgb, segmentation, depth, ...), the scene it was
rendered from, and the object's accepted labels as ids into the model's own class list. It returns
one dict of columns per input. Every evaluator writes the generic `correct` (bool: was the model
right?) and `score` (float: how well it did, higher is better) that the analysis, the run summary
and the search read; the rest is its own.

Evaluators written against the first interface (`evaluate(probabilities, accepted)`) keep working:
the default `judge` stacks the inputs' probabilities and calls it, then fills `correct` from
`correct_top1` and `score` from `true_prob` (or `confidence`) when the evaluator does not write them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa

from simulator.sample import Sample
from simulator.scene import Scene

GENERIC_COLUMNS: dict[str, pa.DataType] = {"correct": pa.bool_(), "score": pa.float64()}
_LEGACY_CORRECT = ("correct_top1",)
_LEGACY_SCORE = ("true_prob", "confidence")


@dataclass(frozen=True)
class EvaluationInput:
    """One model's view of one render, as an evaluator sees it."""

    output: Any  # probabilities (1-D, one per class) or the model's raw output for this render (see Evaluator.output)
    sample: Sample
    channels: Mapping[str, np.ndarray]  # rgb HxWx3 after image controls; segmentation, depth, ... as rendered
    scene: Scene | None  # the scene the render shows (None where it could not be rebuilt)
    labels: tuple[int, ...]  # the object's accepted classes, as ids into `class_names`
    class_names: tuple[str, ...]  # the model's classes, by output index
    model: str  # the model's name


class Evaluator:
    """Scores what a model made of a batch of renders; one dict of typed columns per render.

    `name` is the short name an experiment's `evaluator.type` uses (registered through the
    `robustsim.evaluators` entry point group); `columns` lets the results writer build its schema.
    `output` says what the evaluator is given: `probabilities` (softmax of N x classes logits, checked)
    or `raw` (each render's share of whatever the model returns, tensors as numpy arrays: e.g. a
    torchvision detector's `{boxes, labels, scores}`). Override `judge` (the current interface) or the
    older `evaluate`.
    """

    name: ClassVar[str]
    output: ClassVar[Literal["probabilities", "raw"]] = "probabilities"

    @property
    def columns(self) -> dict[str, pa.DataType]:
        """Name -> Arrow type of every field `judge` returns, `correct` and `score` included."""
        raise NotImplementedError(f"{type(self).__name__} must declare its columns")

    def result_columns(self) -> dict[str, pa.DataType]:
        """`columns` plus the generic ones an older evaluator leaves out."""
        return {**self.columns, **{k: v for k, v in GENERIC_COLUMNS.items() if k not in self.columns}}

    def judge(self, inputs: Sequence[EvaluationInput]) -> list[dict[str, Any]]:
        """One row per input. The default adapts an older evaluator's `evaluate`."""
        if not inputs:
            return []
        probabilities = np.stack([np.asarray(item.output) for item in inputs])
        rows = self.evaluate(probabilities, [item.labels for item in inputs])
        return [_with_generic(row) for row in rows]

    def evaluate(self, outputs: np.ndarray, accepted: Sequence[tuple[int, ...]]) -> list[dict[str, Any]]:
        """The first interface: rows from N x classes probabilities and the accepted class ids."""
        raise NotImplementedError(f"{type(self).__name__} must implement judge(inputs) (or evaluate)")


def _with_generic(row: dict[str, Any]) -> dict[str, Any]:
    """`correct` and `score` taken from an older evaluator's own columns where it did not write them."""
    if "correct" not in row:
        row["correct"] = next((bool(row[c]) for c in _LEGACY_CORRECT if row.get(c) is not None), None)
    if "score" not in row:
        row["score"] = next((float(row[c]) for c in _LEGACY_SCORE if row.get(c) is not None), None)
    return row

"""Evaluators get each render's inputs and write the generic `correct` and `score`; older ones still work."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa

from simulator.evaluators.base import EvaluationInput, Evaluator
from simulator.evaluators.classification import ClassificationEvaluator
from simulator.sample import Sample

PLUGIN = Path(__file__).parents[1] / "plugins" / "robustsim_example_plugin"


def inputs(probabilities: list[list[float]], labels: tuple[int, ...]) -> list[EvaluationInput]:
    sample = Sample("e", "o", "env", {}, 0, 0)
    channels = {"rgb": np.zeros((4, 4, 3), np.float32), "segmentation": np.zeros((4, 4), np.uint8)}
    return [
        EvaluationInput(np.array(p), sample, channels, None, labels, ("a", "b", "c"), "m") for p in probabilities
    ]


def test_classification_writes_generic_columns_and_uses_the_model_class_names() -> None:
    rows = ClassificationEvaluator(topk=2).judge(inputs([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1]], (1,)))
    assert [row["correct"] for row in rows] == [True, False]
    assert [row["score"] for row in rows] == [0.7, 0.3]
    assert rows[0]["pred_top1_name"] == "b" and rows[1]["pred_topk_names"] == ["a", "b"]
    assert {"correct", "score"} <= set(ClassificationEvaluator().result_columns())


def test_an_evaluator_on_the_first_interface_is_adapted() -> None:
    sys.path.insert(0, str(PLUGIN))
    try:
        from robustsim_example_plugin.confidence import ConfidenceEvaluator
    finally:
        sys.path.remove(str(PLUGIN))
    evaluator = ConfidenceEvaluator(threshold=0.5)
    rows = evaluator.judge(inputs([[0.2, 0.7, 0.1], [0.4, 0.35, 0.25]], (1,)))
    assert [(row["correct"], row["score"]) for row in rows] == [(True, 0.7), (False, 0.4)]  # score: its confidence
    assert [row["confidence"] for row in rows] == [0.7, 0.4]
    assert rows[0]["correct_top1"] is True
    columns = evaluator.result_columns()
    assert columns["correct"] == pa.bool_() and columns["score"] == pa.float64() and "confidence" in columns


def test_a_new_style_evaluator_sees_channels_and_labels() -> None:
    class Coverage(Evaluator):
        name = "coverage"

        @property
        def columns(self) -> dict[str, pa.DataType]:
            return {"correct": pa.bool_(), "score": pa.float64()}

        def judge(self, items):  # type: ignore[no-untyped-def]
            return [{"correct": item.labels == (2,), "score": float(item.channels["segmentation"].mean())} for item in items]

    (row,) = Coverage().judge(inputs([[0.1, 0.1, 0.8]], (2,)))
    assert row == {"correct": True, "score": 0.0}

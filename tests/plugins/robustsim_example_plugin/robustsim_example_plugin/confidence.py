"""A `confidence` evaluator: the top class, its probability, and whether it is an accepted label."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from simulator.evaluators.base import Evaluator


class ConfidenceEvaluator(Evaluator):
    name = "confidence"

    def __init__(self, threshold: float = 0.0) -> None:
        if not 0.0 <= threshold < 1.0:
            raise ValueError(f"threshold must be in [0, 1) (got {threshold})")
        self.threshold = threshold

    @property
    def columns(self) -> dict[str, pa.DataType]:
        return {"pred_top1": pa.int64(), "confidence": pa.float64(), "correct_top1": pa.bool_()}

    def evaluate(self, outputs: np.ndarray, accepted: Sequence[tuple[int, ...]]) -> list[dict[str, Any]]:
        top = outputs.argmax(axis=1)
        confidence = outputs.max(axis=1)
        return [
            {"pred_top1": int(t), "confidence": float(c), "correct_top1": bool(t in labels and c >= self.threshold)}
            for t, c, labels in zip(top, confidence, accepted, strict=True)
        ]

"""Top-1 / top-k classification scoring with several accepted labels per sample."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from simulator.evaluators.base import EvaluationInput, Evaluator
from simulator.labels import imagenet_classes

MIN_PROB = 1e-12  # floor for the log in `loss`


class ClassificationEvaluator(Evaluator):
    """Scores class probabilities against the set of accepted classes of each sample.

    A sample counts as correct when a predicted class is any of its accepted classes (e.g. both
    'coffee mug' and 'cup'); `true_prob` sums the probability of all of them and
    `loss = -log(max(true_prob, 1e-12))`. Ties in probability rank the lower class id first.
    `margin` is the best accepted class's logit minus the best other class's (log-probabilities,
    floored at 1e-12): negative when the model is wrong, the objective a search minimises by default.
    The generic columns: `correct` is `correct_top1`, `score` is `true_prob`. Class names come from
    `class_names` when given, else from the model (its declared `classes`, or ImageNet's).
    """

    name = "classification"

    def __init__(self, topk: int = 5, class_names: Sequence[str] | None = None) -> None:
        if topk < 1:
            raise ValueError(f"topk must be >= 1 (got {topk})")
        self.topk = topk
        self.class_names = tuple(class_names) if class_names is not None else None

    @property
    def columns(self) -> dict[str, pa.DataType]:
        return {
            "pred_top1": pa.int64(),
            "pred_top1_name": pa.string(),
            "pred_topk": pa.list_(pa.int64()),
            "pred_topk_names": pa.list_(pa.string()),
            "prob_topk": pa.list_(pa.float64()),
            "true_prob": pa.float64(),
            "loss": pa.float64(),
            "margin": pa.float64(),
            "correct_top1": pa.bool_(),
            "correct_topk": pa.bool_(),
            "correct": pa.bool_(),
            "score": pa.float64(),
        }

    def judge(self, inputs: Sequence[EvaluationInput]) -> list[dict[str, Any]]:
        """Rows for one model's probabilities on a batch of renders."""
        if not inputs:
            return []
        names = self.class_names or inputs[0].class_names
        return self.evaluate(np.stack([np.asarray(item.output) for item in inputs]), [item.labels for item in inputs], names)

    def evaluate(
        self, outputs: np.ndarray, accepted: Sequence[tuple[int, ...]], class_names: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """Rows for probabilities `outputs` (N x classes) and the accepted class ids of each sample
        (class names: `class_names`, else the configured ones, else ImageNet's)."""
        names_known = tuple(class_names or self.class_names or imagenet_classes())
        probs = np.asarray(outputs, dtype=np.float64)
        mask = self._accepted_mask(probs, accepted, len(names_known))
        rows = np.arange(len(probs))[:, None]
        topk = np.argsort(-probs, axis=1, kind="stable")[:, : self.topk]
        true_prob = np.where(mask, probs, 0.0).sum(axis=1)
        loss = -np.log(np.maximum(true_prob, MIN_PROB))
        best_true = np.where(mask, probs, 0.0).max(axis=1, initial=0.0)
        best_other = np.where(mask, 0.0, probs).max(axis=1, initial=0.0)
        margin = np.log(np.maximum(best_true, MIN_PROB)) - np.log(np.maximum(best_other, MIN_PROB))
        hits = mask[rows, topk]
        names = np.asarray(names_known, dtype=object)[topk]
        columns = zip(
            topk.tolist(), names.tolist(), probs[rows, topk].tolist(), true_prob.tolist(), loss.tolist(),
            margin.tolist(), hits[:, 0].tolist(), hits.any(axis=1).tolist(),
        )
        return [
            {
                "pred_top1": ids[0],
                "pred_top1_name": labels[0],
                "pred_topk": ids,
                "pred_topk_names": labels,
                "prob_topk": probs_k,
                "true_prob": true_p,
                "loss": loss_i,
                "margin": margin_i,
                "correct_top1": top1_hit,
                "correct_topk": topk_hit,
                "correct": top1_hit,
                "score": true_p,
            }
            for ids, labels, probs_k, true_p, loss_i, margin_i, top1_hit, topk_hit in columns
        ]

    def _accepted_mask(self, probs: np.ndarray, accepted: Sequence[tuple[int, ...]], names: int) -> np.ndarray:
        """N x classes booleans, True where a class is accepted for a sample (checks every input)."""
        if probs.ndim != 2:
            raise ValueError(f"probabilities must be N x classes (got shape {probs.shape})")
        count, classes = probs.shape
        if self.topk > classes:
            raise ValueError(f"topk={self.topk} exceeds the model's {classes} classes")
        if classes > names:
            raise ValueError(f"the model gives {classes} classes but only {names} names are known")
        if len(accepted) != count:
            raise ValueError(f"{len(accepted)} label sets for {count} samples")
        lengths = np.array([len(labels) for labels in accepted], dtype=np.int64)
        if count and lengths.min() == 0:
            raise ValueError(f"sample {int(np.argmin(lengths))} has no accepted class")
        ids = np.fromiter((c for labels in accepted for c in labels), dtype=np.int64, count=int(lengths.sum()))
        if ids.size and (ids.min() < 0 or ids.max() >= classes):
            raise ValueError(f"accepted class ids must be in [0, {classes}) (got {ids.min()}..{ids.max()})")
        mask = np.zeros((count, classes), dtype=bool)
        mask[np.repeat(np.arange(count), lengths), ids] = True
        return mask

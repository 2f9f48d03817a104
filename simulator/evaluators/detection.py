"""Detection scored against the ground truth the render itself gives (see `ground_truth`).

The model returns, per image, torchvision's detection format: `{"boxes": K x 4 [x0, y0, x1, y1] pixels
of the image the model sees, "labels": K class ids, "scores": K}` (give it the render unresized:
`preprocessing: {resize: null, crop: null, mean: [0, 0, 0], std: [1, 1, 1]}` for torchvision models).
Predictions are matched one-to-one to the object's visible box, best score first (VOC/COCO greedy
matching): the first prediction with an accepted label and IoU >= 0.5 (0.75 for the `_75` columns) is
the true positive, every other prediction a false positive. Row counts use the predictions scoring at
least `score_threshold`; `pred_scores` and `pred_match_50/75` keep every prediction for the run's
average precision (`simulator.analysis.detection`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from simulator.evaluators.base import EvaluationInput, Evaluator
from simulator.evaluators.boxes import greedy_match, iou
from simulator.evaluators.ground_truth import object_truth

IOU_THRESHOLDS = (0.5, 0.75)
_BOX = pa.list_(pa.float64())


class DetectionEvaluator(Evaluator):
    """Per render: TP/FP/FN at IoU 0.5 and 0.75, best IoU, matched score, `detected`, and the truth.

    `correct` is `detected` when the object is visible, else "no prediction above the threshold";
    `score` is the best IoU of an accepted-label prediction above the threshold (0 when none; 1 or 0
    like `correct` when nothing is visible). `class_agnostic: true` ignores the predicted labels.
    """

    name = "detection"
    output = "raw"

    def __init__(self, score_threshold: float = 0.5, class_agnostic: bool = False) -> None:
        if not 0.0 <= score_threshold <= 1.0:
            raise ValueError(f"score_threshold must be in [0, 1] (got {score_threshold})")
        self.score_threshold = score_threshold
        self.class_agnostic = class_agnostic

    @property
    def columns(self) -> dict[str, pa.DataType]:
        return {
            "gt_box": _BOX,
            "amodal_box": _BOX,
            "visible_fraction": pa.float64(),
            "score_threshold": pa.float64(),
            "predictions": pa.int64(),
            "best_iou": pa.float64(),
            "matched_score": pa.float64(),
            "tp": pa.int64(),
            "fp": pa.int64(),
            "fn": pa.int64(),
            "tp_75": pa.int64(),
            "fp_75": pa.int64(),
            "fn_75": pa.int64(),
            "detected": pa.bool_(),
            "pred_scores": pa.list_(pa.float64()),
            "pred_match_50": pa.list_(pa.bool_()),
            "pred_match_75": pa.list_(pa.bool_()),
            "correct": pa.bool_(),
            "score": pa.float64(),
        }

    def judge(self, inputs: Sequence[EvaluationInput]) -> list[dict[str, Any]]:
        return [self.judge_one(item) for item in inputs]

    def judge_one(self, item: EvaluationInput) -> dict[str, Any]:
        boxes, labels, scores = predictions(item.output)
        truth = object_truth(item.channels, item.scene)
        eligible = np.ones(len(labels), dtype=bool) if self.class_agnostic else np.isin(labels, item.labels)
        return score_detections(boxes, scores, eligible, truth.visible_box, self.score_threshold) | {
            "gt_box": _listed(truth.visible_box),
            "amodal_box": _listed(truth.amodal_box),
            "visible_fraction": truth.visible_fraction,
        }


def score_detections(
    boxes: np.ndarray, scores: np.ndarray, eligible: np.ndarray, truth: np.ndarray | None, threshold: float
) -> dict[str, Any]:
    """The row's scoring columns for predictions against one ground-truth box (None: nothing visible)."""
    matches = {t: greedy_match(boxes, scores, eligible, truth, t) for t in IOU_THRESHOLDS}
    first = matches[IOU_THRESHOLDS[0]]
    tp, fp, fn = first.counts(scores, threshold, truth is not None)
    tp75, fp75, fn75 = matches[IOU_THRESHOLDS[1]].counts(scores, threshold, truth is not None)
    kept = scores >= threshold
    candidates = kept & eligible
    best = float(iou(boxes[candidates], truth).max(initial=0.0)) if truth is not None else None
    matched = scores[first.order][first.true_positive & kept[first.order]]
    detected = tp > 0 if truth is not None else None
    correct = detected if detected is not None else fp == 0
    return {
        "score_threshold": threshold,
        "predictions": int(kept.sum()),
        "best_iou": best,
        "matched_score": float(matched[0]) if matched.size else None,
        "tp": tp, "fp": fp, "fn": fn, "tp_75": tp75, "fp_75": fp75, "fn_75": fn75,
        "detected": detected,
        "pred_scores": scores[first.order].tolist(),
        "pred_match_50": first.true_positive.tolist(),
        "pred_match_75": matches[IOU_THRESHOLDS[1]].true_positive.tolist(),
        "correct": bool(correct),
        "score": best if best is not None else float(correct),
    }


def predictions(output: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boxes K x 4, labels K, scores K) from one image's `{boxes, labels, scores}`; ValueError otherwise."""
    if not isinstance(output, Mapping) or not {"boxes", "labels", "scores"} <= set(output):
        raise ValueError(f"a detector must return one {{boxes, labels, scores}} mapping per image (got {type(output).__name__})")
    boxes = np.asarray(output["boxes"], dtype=np.float64).reshape(-1, 4)
    labels = np.asarray(output["labels"]).reshape(-1).astype(np.int64)
    scores = np.asarray(output["scores"], dtype=np.float64).reshape(-1)
    if not len(boxes) == len(labels) == len(scores):
        raise ValueError(f"{len(boxes)} boxes, {len(labels)} labels and {len(scores)} scores; expected one of each per detection")
    if not (np.isfinite(boxes).all() and np.isfinite(scores).all()):
        raise ValueError("boxes and scores must be finite")
    return boxes, labels, scores


def _listed(box: np.ndarray | None) -> list[float] | None:
    return None if box is None else [float(v) for v in box]

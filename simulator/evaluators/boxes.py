"""Boxes as detection is scored: IoU, one-to-one greedy matching, average precision.

Boxes are `[x0, y0, x1, y1]` in pixels (torchvision's format): x0, y0 the top-left corner, x1, y1
the bottom-right one, exclusive, so a one-pixel box is `[x, y, x + 1, y + 1]`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def iou(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Intersection over union of each of `boxes` (K x 4) with one `box` (4,); 0 for empty unions."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    box = np.asarray(box, dtype=np.float64)
    width = np.clip(np.minimum(boxes[:, 2], box[2]) - np.maximum(boxes[:, 0], box[0]), 0.0, None)
    height = np.clip(np.minimum(boxes[:, 3], box[3]) - np.maximum(boxes[:, 1], box[1]), 0.0, None)
    inter = width * height
    union = _area(boxes) + _area(box[None])[0] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.clip(boxes[:, 2] - boxes[:, 0], 0.0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0.0, None)


def mask_box(mask: np.ndarray) -> np.ndarray | None:
    """The smallest box holding every True pixel of an HxW mask; None when there is none."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return np.array([columns[0], rows[0], columns[-1] + 1, rows[-1] + 1], dtype=np.float64)


@dataclass(frozen=True)
class Matching:
    """Greedy one-to-one matching of predictions (best score first) to one ground-truth box."""

    order: np.ndarray  # prediction indices, highest score first (ties: the earlier prediction)
    true_positive: np.ndarray  # bool per prediction in `order`: the one that matched the ground truth

    def counts(self, scores: np.ndarray, threshold: float, has_truth: bool) -> tuple[int, int, int]:
        """(TP, FP, FN) among the predictions scoring at least `threshold`."""
        kept = np.asarray(scores, dtype=np.float64)[self.order] >= threshold
        tp = int((self.true_positive & kept).sum())
        return tp, int(kept.sum()) - tp, int(has_truth) - tp


def greedy_match(boxes: np.ndarray, scores: np.ndarray, eligible: np.ndarray, truth: np.ndarray | None, threshold: float) -> Matching:
    """Predictions in descending score; the first `eligible` one (right label) whose IoU with `truth` is at
    least `threshold` matches it, every other prediction is a false positive (as in VOC/COCO scoring)."""
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    hits = np.zeros(len(order), dtype=bool)
    if truth is not None and len(order):
        overlaps = iou(np.asarray(boxes)[order], truth)
        candidates = np.flatnonzero(np.asarray(eligible, dtype=bool)[order] & (overlaps >= threshold))
        if candidates.size:
            hits[candidates[0]] = True
    return Matching(order, hits)


def average_precision(scores: np.ndarray, true_positive: np.ndarray, truths: int) -> float:
    """All-point interpolated AP (VOC 2010+): the area under the precision envelope against recall, over
    every prediction of a run ranked by score; NaN when there is no ground truth."""
    if truths <= 0:
        return float("nan")
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    hits = np.asarray(true_positive, dtype=bool)[order]
    tp = np.cumsum(hits)
    precision = tp / np.arange(1, len(hits) + 1)
    recall = tp / truths
    envelope = np.maximum.accumulate(precision[::-1])[::-1] if len(hits) else precision
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(steps * envelope))

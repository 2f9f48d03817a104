"""Detection scoring against hand-computed cases: IoU, one-to-one greedy matching, TP/FP/FN, AP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.detection import detection_summary, recall_by_visibility
from simulator.evaluators.boxes import average_precision, greedy_match, iou, mask_box
from simulator.evaluators.detection import predictions, score_detections

TRUTH = np.array([0.0, 0.0, 10.0, 10.0])


def test_iou_of_hand_made_boxes() -> None:
    boxes = np.array([[5, 0, 15, 10], [0, 0, 10, 5], [0, 0, 10, 10], [20, 20, 30, 30], [2, 2, 2, 8]])
    assert iou(boxes, TRUTH) == pytest.approx([50 / 150, 0.5, 1.0, 0.0, 0.0])


def test_mask_box_is_exclusive_at_the_far_edges() -> None:
    mask = np.zeros((8, 8), dtype=bool)
    mask[2:5, 3:7] = True
    assert mask_box(mask).tolist() == [3, 2, 7, 5]
    assert mask_box(np.zeros((4, 4), dtype=bool)) is None


def test_greedy_matching_takes_the_best_scoring_eligible_prediction_once() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 8], [0, 0, 10, 10]], dtype=float)  # IoU 1, 0.8, 1
    scores = np.array([0.6, 0.9, 0.95])
    eligible = np.array([True, True, False])  # the best-scoring box has the wrong label
    row = score_detections(boxes, scores, eligible, TRUTH, threshold=0.7)
    assert (row["tp"], row["fp"], row["fn"]) == (1, 1, 0)  # kept: 0.95 (wrong label, FP) and 0.9 (TP)
    assert (row["tp_75"], row["fp_75"], row["fn_75"]) == (1, 1, 0)
    assert row["best_iou"] == pytest.approx(0.8) and row["matched_score"] == 0.9
    assert row["detected"] is True and row["correct"] is True and row["score"] == pytest.approx(0.8)
    assert row["predictions"] == 2
    assert row["pred_scores"] == [0.95, 0.9, 0.6] and row["pred_match_50"] == [False, True, False]


def test_at_iou_075_a_looser_box_misses_and_a_lower_score_takes_its_place() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 7]], dtype=float)  # IoU 1 (score 0.6), 0.7 (score 0.9)
    row = score_detections(boxes, np.array([0.6, 0.9]), np.array([True, True]), TRUTH, threshold=0.7)
    assert (row["tp"], row["fp"], row["fn"]) == (1, 0, 0)
    assert (row["tp_75"], row["fp_75"], row["fn_75"]) == (0, 1, 1)  # the IoU-1 box is below the threshold
    assert row["pred_match_75"] == [False, True]  # ... but counts for AP@0.75


def test_nothing_visible_counts_false_positives_only() -> None:
    row = score_detections(np.array([[0, 0, 4, 4]], dtype=float), np.array([0.8]), np.array([True]), None, 0.5)
    assert (row["tp"], row["fp"], row["fn"], row["detected"], row["correct"], row["score"]) == (0, 1, 0, None, False, 0.0)
    empty = score_detections(np.empty((0, 4)), np.empty(0), np.empty(0, dtype=bool), TRUTH, 0.5)
    assert (empty["tp"], empty["fp"], empty["fn"], empty["detected"], empty["best_iou"]) == (0, 0, 1, False, 0.0)


def test_matching_is_one_to_one() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], dtype=float)
    matching = greedy_match(boxes, np.array([0.5, 0.5]), np.array([True, True]), TRUTH, 0.5)
    assert matching.true_positive.tolist() == [True, False] and matching.order.tolist() == [0, 1]


def test_average_precision_of_a_hand_computed_ranking() -> None:
    # Ranked: TP, FP, TP, FP with 3 objects: precision envelope 1, 2/3, 2/3, 1/2 at recall 1/3, 1/3, 2/3, 2/3.
    ap = average_precision(np.array([0.7, 0.9, 0.6, 0.8]), np.array([True, True, False, False]), 3)
    assert ap == pytest.approx(1 / 3 * 1.0 + 1 / 3 * 2 / 3)
    assert average_precision(np.array([0.9]), np.array([True]), 1) == 1.0
    assert np.isnan(average_precision(np.array([0.9]), np.array([False]), 0))


def test_predictions_must_be_torchvision_shaped() -> None:
    with pytest.raises(ValueError, match="boxes, labels, scores"):
        predictions([1, 2, 3])
    with pytest.raises(ValueError, match="2 boxes, 1 labels and 1 scores"):
        predictions({"boxes": np.zeros((2, 4)), "labels": [0], "scores": [0.5]})


def test_run_summary_and_recall_by_visibility() -> None:
    rows = [
        score_detections(np.array([[0, 0, 10, 10]], dtype=float), np.array([0.9]), np.array([True]), TRUTH, 0.5),
        score_detections(np.array([[0, 0, 3, 3]], dtype=float), np.array([0.8]), np.array([True]), TRUTH, 0.5),
        score_detections(np.array([[1, 0, 10, 10]], dtype=float), np.array([0.7]), np.array([True]), TRUTH, 0.5),
    ]
    frame = pd.DataFrame(rows).assign(model="m", error=None, visible_fraction=[1.0, 0.2, 0.6])
    summary = detection_summary(frame).iloc[0]
    assert summary["visible"] == 3 and summary["recall"] == pytest.approx(2 / 3)
    assert summary["ap50"] == pytest.approx(1 / 3 + 1 / 3 * 2 / 3)  # TP 0.9, FP 0.8, TP 0.7
    assert summary["ap75"] == pytest.approx(1 / 3 + 1 / 3 * 2 / 3)  # IoU 0.9 also passes 0.75
    by_visibility = recall_by_visibility(frame).set_index("visible_fraction")
    assert by_visibility["n"].tolist() == [1, 0, 1, 1] and by_visibility["recall"].iloc[0] == 0.0

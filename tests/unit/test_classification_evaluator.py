"""Top-k scoring against sets of accepted classes."""

import math

import numpy as np
import pyarrow as pa
import pytest

from simulator.evaluators.classification import ClassificationEvaluator

NAMES = ("a", "b", "c", "d", "e")


def evaluator(topk: int = 2) -> ClassificationEvaluator:
    return ClassificationEvaluator(topk=topk, class_names=NAMES)


def test_known_probabilities_give_known_rows():
    probs = np.array([[0.1, 0.6, 0.05, 0.2, 0.05], [0.4, 0.0, 0.3, 0.0, 0.3]], dtype=np.float32)
    first, second = evaluator(3).evaluate(probs, [(3,), (1, 2)])

    assert first["pred_top1"] == 1 and first["pred_top1_name"] == "b"
    assert first["pred_topk"] == [1, 3, 0]
    assert first["pred_topk_names"] == ["b", "d", "a"]
    assert first["prob_topk"] == pytest.approx([0.6, 0.2, 0.1])
    assert first["true_prob"] == pytest.approx(0.2)
    assert first["loss"] == pytest.approx(-math.log(0.2))
    assert first["correct_top1"] is False and first["correct_topk"] is True

    assert second["pred_topk"] == [0, 2, 4]  # 0.3 tie: lower class id first
    assert second["true_prob"] == pytest.approx(0.3)
    assert second["correct_top1"] is False and second["correct_topk"] is True


def test_margin_is_the_best_true_logit_minus_the_best_other():
    logits = np.array([[2.0, 3.5, -1.0, 0.5, 0.0], [4.0, 1.0, 3.0, -2.0, 0.0]])
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    wrong, right = evaluator().evaluate(probs, [(0, 3), (0, 2)])
    assert wrong["margin"] == pytest.approx(2.0 - 3.5)  # negative: the model is wrong
    assert right["margin"] == pytest.approx(4.0 - 1.0)  # the other accepted class (3.0) does not count
    assert (wrong["margin"] < 0) == (not wrong["correct_top1"]) and right["correct_top1"]


def test_ties_rank_lower_class_ids_first():
    rows = evaluator(3).evaluate(np.full((1, 5), 0.2), [(4,)])
    assert rows[0]["pred_topk"] == [0, 1, 2]
    assert rows[0]["correct_topk"] is False


def test_several_accepted_classes_sum_and_count_once():
    probs = np.array([[0.5, 0.3, 0.1, 0.05, 0.05]])
    (row,) = evaluator(1).evaluate(probs, [(2, 0, 2)])
    assert row["true_prob"] == pytest.approx(0.6)
    assert row["loss"] == pytest.approx(-math.log(0.6))
    assert row["correct_top1"] is True and row["correct_topk"] is True


def test_zero_probability_loss_is_capped():
    (row,) = evaluator().evaluate(np.array([[1.0, 0.0, 0.0, 0.0, 0.0]]), [(4,)])
    assert row["true_prob"] == 0.0
    assert row["loss"] == pytest.approx(-math.log(1e-12))
    assert row["correct_top1"] is False and row["correct_topk"] is False


def test_rows_hold_plain_python_types_matching_columns():
    ev = evaluator()
    rows = ev.evaluate(np.array([[0.1, 0.2, 0.3, 0.25, 0.15]], dtype=np.float32), [(2,)])
    row = rows[0]
    assert list(row) == list(ev.columns)
    assert type(row["pred_top1"]) is int and type(row["pred_top1_name"]) is str
    assert all(type(v) is int for v in row["pred_topk"]) and all(type(v) is float for v in row["prob_topk"])
    assert type(row["true_prob"]) is float and type(row["loss"]) is float
    assert type(row["correct_top1"]) is bool and type(row["correct_topk"]) is bool
    table = pa.Table.from_pylist(rows, schema=pa.schema(ev.columns))
    assert table.num_rows == 1 and table.column("pred_topk_names").to_pylist() == [["c", "d"]]


def test_imagenet_names_by_default():
    probs = np.zeros((1, 1000))
    probs[0, 504], probs[0, 968] = 0.7, 0.3
    (row,) = ClassificationEvaluator().evaluate(probs, [(504, 968)])
    assert row["pred_topk_names"][:2] == ["coffee mug", "cup"]
    assert len(row["pred_topk"]) == 5
    assert row["true_prob"] == pytest.approx(1.0) and row["loss"] == pytest.approx(0.0, abs=1e-12)


def test_empty_batch_gives_no_rows():
    assert evaluator().evaluate(np.zeros((0, 5)), []) == []


def test_k_larger_than_classes_is_refused():
    with pytest.raises(ValueError, match="topk=6 exceeds the model's 5 classes"):
        evaluator(6).evaluate(np.full((1, 5), 0.2), [(0,)])


@pytest.mark.parametrize(
    ("probs", "accepted", "message"),
    [
        (np.full(5, 0.2), [(0,)], "N x classes"),
        (np.full((2, 5), 0.2), [(0,)], "1 label sets for 2 samples"),
        (np.full((1, 5), 0.2), [()], "sample 0 has no accepted class"),
        (np.full((1, 5), 0.2), [(5,)], r"in \[0, 5\)"),
        (np.full((1, 5), 0.2), [(-1,)], r"in \[0, 5\)"),
        (np.full((1, 6), 1 / 6), [(0,)], "only 5 names"),
    ],
)
def test_bad_input_is_refused(probs, accepted, message):
    with pytest.raises(ValueError, match=message):
        evaluator().evaluate(probs, accepted)


def test_topk_must_be_positive():
    with pytest.raises(ValueError, match="topk must be >= 1"):
        ClassificationEvaluator(topk=0)

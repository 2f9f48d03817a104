"""Worst cases, distinct failures and best-so-far curves from synthetic search results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.analysis.search import best_so_far, distinct_failures, search_summary


def results(rows: list[tuple]) -> pd.DataFrame:
    columns = ["object", "environment", "ask_index", "pose.yaw", "bg.mode", "objective", "correct_top1", "error"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["id"] = [f"id{i}" for i in range(len(frame))]
    frame["margin"] = frame["objective"]
    frame["pred_top1_name"] = np.where(frame["correct_top1"], "mug", "bucket")
    return frame


FRAME = results(
    [
        ("mug", "a", 0, 0.0, "x", 2.0, True, None),
        ("mug", "a", 1, 50.0, "x", -1.0, False, None),
        ("mug", "a", 2, 52.0, "x", -3.0, False, None),  # within 10% of the range (0..100) of the one above
        ("mug", "a", 3, 52.0, "y", -0.5, False, None),  # same place, another choice: distinct
        ("mug", "a", 4, 90.0, "x", -0.2, False, None),  # far away: distinct
        ("mug", "a", 5, 100.0, "x", None, None, "render failed"),
        ("mug", "b", 0, 50.0, "x", -2.0, False, None),  # another environment: its own failure
        ("ball", "a", 0, 10.0, "x", 1.5, True, None),
        ("ball", "a", 1, 20.0, "y", 0.5, True, None),
    ]
)


def test_distinct_failures_merge_neighbours_with_equal_choices_only() -> None:
    distinct = distinct_failures(FRAME, {"pose.yaw": (0.0, 100.0)})
    assert sorted(distinct["id"]) == ["id2", "id3", "id4", "id6"]  # id1 is id2's neighbour; id2 is worse
    assert len(distinct_failures(FRAME, {"pose.yaw": (0.0, 10.0)})) == 5  # on a narrower range all are apart


def test_summary_names_the_worst_case_of_each_object() -> None:
    summary = search_summary(FRAME, {"pose.yaw": (0.0, 100.0)}).set_index("object")
    mug = summary.loc["mug"]
    assert (mug["renders"], mug["failures"], mug["distinct_failures"]) == (6, 5, 4)
    assert (mug["worst_id"], mug["worst_objective"], mug["worst_pose.yaw"], mug["worst_bg.mode"]) == ("id2", -3.0, 52.0, "x")
    assert mug["worst_prediction"] == "bucket" and mug["worst_environment"] == "a"
    assert summary.loc["ball", "failures"] == 0 and summary.loc["ball", "worst_objective"] == 0.5


def test_best_so_far_is_a_running_minimum_in_ask_order() -> None:
    shuffled = FRAME.sample(frac=1.0, random_state=0)
    curves = best_so_far(shuffled)
    mug = curves[(curves["object"] == "mug") & (curves["environment"] == "a")]
    assert mug["renders"].tolist() == [1, 2, 3, 4, 5, 6]
    assert mug["best"].tolist() == [2.0, -1.0, -3.0, -3.0, -3.0, -3.0]  # a failed render changes nothing

"""Differential testing on hand-built paired verdicts: agreement, paired intervals, McNemar, conditions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.comparison import (
    agreement_matrix,
    disagreement_conditions,
    model_accuracy,
    model_names,
    one_model,
    paired_comparison,
    paired_verdicts,
)


def frame() -> pd.DataFrame:
    """20 renders (yaw 0, 5, ... 95) judged by A, B and C: A always right, C always wrong, B wrong at yaw 75..90."""
    rows = []
    for i in range(20):
        yaw = float(i * 5)
        obj = "mug" if i % 2 else "ball"
        for model, right in (("A", True), ("B", not 15 <= i <= 18), ("C", False)):
            rows.append({"id": f"s{i}", "model": model, "object": obj, "environment": "studio",
                         "orientation.yaw": yaw, "correct": right, "error": None})
    rows.append({"id": "broken", "model": "A", "object": "mug", "environment": "studio",
                 "orientation.yaw": 1.0, "correct": None, "error": "boom"})
    return pd.DataFrame(rows)


def test_verdicts_pair_by_render_and_skip_failed_ones() -> None:
    paired = paired_verdicts(frame())
    assert model_names(frame()) == ["A", "B", "C"] and len(paired) == 20
    assert paired["B"].sum() == 16 and set(paired.columns) >= {"id", "object", "orientation.yaw", "A", "B", "C"}
    assert set(one_model(frame(), "B")["model"]) == {"B"} and set(one_model(frame())["model"]) == {"A"}


def test_agreement_matrix() -> None:
    matrix = agreement_matrix(frame())
    assert matrix.loc["A", "B"] == pytest.approx(16 / 20) and matrix.loc["A", "C"] == 0.0
    assert matrix.loc["B", "C"] == pytest.approx(4 / 20) and np.allclose(np.diag(matrix), 1.0)


def test_accuracy_and_paired_differences_with_mcnemar() -> None:
    accuracy = model_accuracy(frame()).set_index("model")
    assert accuracy.loc["B", "accuracy"] == pytest.approx(0.8) and accuracy.loc["B", "low"] < 0.8 < accuracy.loc["B", "high"]
    pairs = paired_comparison(frame()).set_index(["model_a", "model_b"])
    ab = pairs.loc[("A", "B")]
    assert (ab["both_right"], ab["only_a"], ab["only_b"], ab["both_wrong"]) == (16, 4, 0, 0)
    assert ab["difference"] == pytest.approx(0.2) and ab["difference_low"] <= 0.2 <= ab["difference_high"]
    assert ab["difference_low"] > 0  # B never beats A: the paired interval stays above 0
    assert ab["mcnemar_p"] == pytest.approx(2 * 0.5**4)  # exact McNemar: 4 discordant renders, all for A
    assert pairs.loc[("A", "C"), "mcnemar_p"] == pytest.approx(2 * 0.5**20)


def test_mcnemar_per_object() -> None:
    table = paired_comparison(frame(), by="object")
    ab = table[(table["model_a"] == "A") & (table["model_b"] == "B")].set_index("object")
    assert ab["only_a"].to_dict() == {"ball": 2, "mug": 2} and ab["n"].to_dict() == {"ball": 10, "mug": 10}
    assert ab.loc["mug", "mcnemar_p"] == pytest.approx(0.5)  # 2 discordant renders: 2 * 0.5**2


def test_the_conditions_where_two_models_disagree_most() -> None:
    table = disagreement_conditions(frame(), "A", "B", bins=4)
    top = table.iloc[0]
    assert top["condition"] == "orientation.yaw > 71.2" and top["renders"] == 5
    assert top["disagreement"] == pytest.approx(0.8) and (top["only_a"], top["only_b"]) == (4, 0)


def test_the_dashboard_keeps_the_first_model_rows() -> None:
    import pyarrow as pa

    from simulator.dashboard.data import first_model_rows

    table = pa.Table.from_pandas(frame(), preserve_index=False)
    kept = first_model_rows(table)
    assert set(kept.column("model").to_pylist()) == {"A"} and kept.num_rows == 21
    assert first_model_rows(table.drop_columns(["model"])).num_rows == table.num_rows


def test_accuracy_tables_use_the_generic_verdict_without_classification_columns() -> None:
    from simulator.analysis.stats import accuracy_table

    table = accuracy_table(frame(), by=["model"]).set_index("model")
    assert table.loc["B", "correct"] == pytest.approx(0.8) and table.loc["A", "failed"] == 1
    assert {"correct_low", "correct_high"} <= set(table.columns)

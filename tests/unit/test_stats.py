"""Wilson intervals and per-group accuracy tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.stats import accuracy_table, wilson_interval


@pytest.mark.parametrize(
    "successes,trials,confidence,expected",
    [
        # statsmodels.stats.proportion.proportion_confint(k, n, method="wilson")
        (8, 10, 0.95, (0.4901624715, 0.9433178485)),
        (0, 10, 0.95, (0.0, 0.2775327999)),
        (10, 10, 0.95, (0.7224672001, 1.0)),
        (1, 1, 0.95, (0.2065493143, 1.0)),
        # hand-computed from the closed form with z = 2.5758293035 (99%)
        (50, 100, 0.99, (0.3752796250, 0.6247203750)),
    ],
)
def test_wilson_known_values(successes: int, trials: int, confidence: float, expected: tuple[float, float]) -> None:
    low, high = wilson_interval(successes, trials, confidence)
    assert (low, high) == pytest.approx(expected, abs=1e-7)


def test_wilson_edges_are_exact() -> None:
    low, high = wilson_interval(np.array([0, 7]), np.array([7, 7]))
    assert low[0] == 0.0 and high[1] == 1.0
    assert np.all((low >= 0) & (high <= 1))


def test_wilson_zero_trials_is_nan() -> None:
    low, high = wilson_interval(np.array([0, 3]), np.array([0, 4]))
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert np.isfinite(low[1]) and np.isfinite(high[1])


def test_wilson_is_vectorized_and_broadcasts() -> None:
    successes = np.arange(12).reshape(3, 4)
    low, high = wilson_interval(successes, 11)
    assert low.shape == high.shape == (3, 4)
    assert np.all(low <= successes / 11) and np.all(successes / 11 <= high)
    assert low[2, 0] == pytest.approx(wilson_interval(8, 11)[0])


def test_wilson_scalars_give_floats() -> None:
    low, high = wilson_interval(8, 10)
    assert np.ndim(low) == 0 and isinstance(float(high), float)


def test_wilson_narrows_with_trials_and_widens_with_confidence() -> None:
    def width(k: int, n: int, c: float = 0.95) -> float:
        low, high = wilson_interval(k, n, c)
        return float(high - low)

    assert width(80, 100) < width(8, 10)
    assert width(8, 10, 0.99) > width(8, 10, 0.9)


@pytest.mark.parametrize(
    "successes,trials,confidence", [(11, 10, 0.95), (-1, 10, 0.95), (1, -1, 0.95), (1, 2, 1.0), (1, 2, 0.0)]
)
def test_wilson_rejects_bad_input(successes: int, trials: int, confidence: float) -> None:
    with pytest.raises(ValueError):
        wilson_interval(successes, trials, confidence)


RESULTS = pd.DataFrame(
    {
        "object": ["mug", "mug", "mug", "mug", "can", "can", "can"],
        "camera.azimuth": [0.0, 0.0, 30.0, 30.0, 0.0, 0.0, 30.0],
        "correct_top1": [True, False, True, True, False, None, None],
        "correct_topk": [True, True, True, True, True, None, None],
        "error": [None, None, None, None, None, "render failed", "timeout"],
    }
)


def test_accuracy_table_per_group() -> None:
    table = accuracy_table(RESULTS, ["object"])
    assert list(table.columns) == [
        "object", "n", "failed", "top1", "top1_low", "top1_high", "topk", "topk_low", "topk_high",
    ]  # fmt: skip
    can, mug = table.set_index("object").loc["can"], table.set_index("object").loc["mug"]
    assert (can["n"], can["failed"], can["top1"], can["topk"]) == (1, 2, 0.0, 1.0)
    assert (mug["n"], mug["failed"], mug["top1"], mug["topk"]) == (4, 0, 0.75, 1.0)
    assert (mug["top1_low"], mug["top1_high"]) == pytest.approx(wilson_interval(3, 4))
    assert mug["topk_high"] == 1.0


def test_accuracy_table_several_keys_and_an_all_failed_group() -> None:
    table = accuracy_table(RESULTS, ["object", "camera.azimuth"], columns=["correct_top1"])
    assert list(table.columns) == ["object", "camera.azimuth", "n", "failed", "top1", "top1_low", "top1_high"]
    assert len(table) == 4
    row = table[(table["object"] == "can") & (table["camera.azimuth"] == 30.0)].iloc[0]
    assert (row["n"], row["failed"]) == (0, 1)
    assert np.isnan(row["top1"]) and np.isnan(row["top1_low"]) and np.isnan(row["top1_high"])


def test_accuracy_table_overall_without_groups() -> None:
    table = accuracy_table(RESULTS, [])
    assert len(table) == 1
    assert (table["n"][0], table["failed"][0], table["top1"][0]) == (5, 2, 0.6)


def test_accuracy_table_without_an_error_column() -> None:
    frame = RESULTS[RESULTS["error"].isna()].drop(columns="error")
    table = accuracy_table(frame, ["object"])
    assert "failed" not in table.columns
    assert table["n"].tolist() == [1, 4]


def test_accuracy_table_errors() -> None:
    with pytest.raises(KeyError, match="pose.scale"):
        accuracy_table(RESULTS, ["pose.scale"])
    broken = RESULTS.assign(error=None)
    with pytest.raises(ValueError, match="'correct_top1' is missing in 2 rows"):
        accuracy_table(broken, ["object"])


def test_accuracy_table_empty_frame() -> None:
    table = accuracy_table(RESULTS.iloc[:0], ["object"])
    assert table.empty and "top1_low" in table.columns

"""Failure-mode sentences need support: enough rows, a Holm-corrected test, one sentence per set of rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.modes import failure_modes, holm
from test_analysis import frame


def noise(rows: int = 800, controls: int = 8, seed: int = 1) -> pd.DataFrame:
    """Correct half of the time whatever the parameters: any 'mode' found is a false alarm."""
    rng = np.random.default_rng(seed)
    data = frame(rows, seed)
    for index in range(controls):
        data[f"c{index}.x"] = rng.uniform(0, 1, rows)
    return data.assign(correct_top1=rng.random(rows) < 0.5)


def test_pure_noise_gives_no_modes() -> None:
    for seed in range(3):
        assert failure_modes(noise(seed=seed), bins=8, top=50).empty


def test_a_real_effect_survives_the_correction() -> None:
    modes = failure_modes(frame(), bins=4, method="width", top=50)
    assert modes.iloc[0]["control"] == "camera.elevation" and modes.iloc[0]["p_value"] < 1e-6
    assert (modes["p_value"] < 0.05).all()


def test_a_mode_needs_a_minimum_count() -> None:
    data = frame().assign(correct_top1=True)
    data.loc[:4, "environment"] = "dark"  # 5 rows, all wrong, in their own environment
    data.loc[:4, "correct_top1"] = False
    assert failure_modes(data, ["environment"]).empty
    assert not failure_modes(data, ["environment"], min_n=5).empty


def test_one_sentence_per_set_of_rows() -> None:
    single = frame().query("object == 'banana'").copy()  # all objects and 'banana' are the same rows
    single["copy.elevation"] = single["camera.elevation"]  # and two controls with the same bins
    modes = failure_modes(single, bins=4, method="width", top=50)
    assert len(modes) == 1 and modes.iloc[0]["control"] == "camera.elevation"  # not again for banana or the copy


def test_holm_matches_the_textbook() -> None:
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([]) == []

"""SPRT, Clopper–Pearson and the fixed-n size against hand-computed values and simulated streams."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from simulator.specs.stats import SPRT, Hypotheses, Verdict, clopper_pearson, fixed_sample_size, fixed_verdict

H = Hypotheses(0.05, 0.15, 0.05, 0.05)


def test_wald_thresholds_and_steps_by_hand() -> None:
    test = SPRT(H)
    assert test.upper == pytest.approx(math.log(19)) and test.lower == pytest.approx(-math.log(19))
    assert test.add(True) is None and test.llr == pytest.approx(math.log(3))  # log(0.15 / 0.05)
    assert test.add(False) is None and test.llr == pytest.approx(math.log(3) + math.log(0.85 / 0.95))


def test_straight_passes_decide_after_27_and_straight_failures_after_3() -> None:
    passing, failing = SPRT(H), SPRT(H)
    while passing.add(False) is None:
        pass
    while failing.add(True) is None:
        pass
    assert (passing.verdict, passing.n) == (Verdict.PASS, 27)  # ceil(log 19 / -log(0.85/0.95)) = 27
    assert (failing.verdict, failing.n) == (Verdict.FAIL, 3)  # ceil(log 19 / log 3) = 3
    assert passing.add(True) is Verdict.PASS and passing.n == 27  # a decided test counts nothing more


def test_a_zero_failure_rate_spec_fails_on_the_first_failure() -> None:
    test = SPRT(Hypotheses(0.0, 0.1))
    assert test.add(False) is None and test.add(True) is Verdict.FAIL


def simulate(rate: float, runs: int, seed: int) -> tuple[float, float, float]:
    """(share of FAIL verdicts, share of PASS verdicts, mean n) of SPRT runs on Bernoulli(rate) streams."""
    rng = np.random.default_rng(seed)
    verdicts, lengths = [], []
    for _ in range(runs):
        test = SPRT(H)
        while (verdict := test.add(bool(rng.random() < rate))) is None:
            pass
        verdicts.append(verdict)
        lengths.append(test.n)
    return verdicts.count(Verdict.FAIL) / runs, verdicts.count(Verdict.PASS) / runs, float(np.mean(lengths))


def test_error_rates_hold_on_simulated_streams() -> None:
    false_fail, _, n_at_p0 = simulate(H.p0, 4000, seed=1)
    _, false_pass, n_at_p1 = simulate(H.p1, 4000, seed=2)
    # Wald's bounds: alpha' <= alpha / (1 - beta), beta' <= beta / (1 - alpha); 4000 runs: +-0.011 (3 sigma)
    assert false_fail <= 0.05 / 0.95 + 0.011 and false_pass <= 0.05 / 0.95 + 0.011
    assert 30 < n_at_p0 < 70 and 25 < n_at_p1 < 60  # expected ~52 and ~38 (normal approximation)
    assert max(n_at_p0, n_at_p1) < fixed_sample_size(H)  # fewer renders than a fixed test on average


def test_clopper_pearson_by_hand() -> None:
    assert clopper_pearson(0, 59, 0.90)[1] == pytest.approx(0.0495, abs=1e-4)  # the rule of three's exact form
    low, high = clopper_pearson(3, 10)
    assert low == pytest.approx(0.06673, abs=1e-4) and high == pytest.approx(0.65245, abs=1e-4)
    assert clopper_pearson(10, 10)[1] == 1.0 and clopper_pearson(0, 10)[0] == 0.0 and clopper_pearson(0, 0) == (0.0, 1.0)


def test_fixed_sample_size_keeps_both_error_rates() -> None:
    n = fixed_sample_size(H)
    c = int(binom.isf(0.05, n, 0.05)) + 1
    assert binom.sf(c - 1, n, 0.05) <= 0.05 and binom.cdf(c - 1, n, 0.15) <= 0.05
    assert 85 <= n <= 100  # ~90 by the normal approximation


def test_fixed_verdicts() -> None:
    assert fixed_verdict(0, 93, H) is Verdict.PASS
    assert fixed_verdict(20, 93, H) is Verdict.FAIL
    assert fixed_verdict(9, 93, H) is Verdict.FAIL  # 9.7%: above p0 with 95% confidence, though below p1
    assert fixed_verdict(2, 20, H) is Verdict.INCONCLUSIVE  # [1.8%, 28%] excludes neither p0 nor p1


@pytest.mark.parametrize(("p0", "p1", "alpha", "beta"), [(0.2, 0.1, 0.05, 0.05), (0.05, 0.15, 0.5, 0.05), (0.05, 1.2, 0.05, 0.05)])
def test_bad_hypotheses_are_refused(p0: float, p1: float, alpha: float, beta: float) -> None:
    with pytest.raises(ValueError):
        Hypotheses(p0, p1, alpha, beta)

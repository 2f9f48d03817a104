"""The statistics behind a verdict: Wald's sequential probability ratio test on a failure rate, the
Clopper–Pearson interval, and the fixed sample size a one-shot test needs for the same error rates.

A spec requires a failure rate of at most p0 = 1 − at_least. The test decides between
H0: rate ≤ p0 (PASS) and H1: rate ≥ p1 = p0 + indifference (FAIL) with error rates alpha (FAIL
when the rate is p0) and beta (PASS when it is p1); rates in between may go either way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from scipy.stats import beta as beta_distribution
from scipy.stats import binom


class Verdict(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class Hypotheses:
    p0: float  # the failure rate the spec allows
    p1: float  # a failure rate that must be caught
    alpha: float = 0.05
    beta: float = 0.05

    def __post_init__(self) -> None:
        if not 0.0 <= self.p0 < self.p1 <= 1.0:
            raise ValueError(f"need 0 <= p0 < p1 <= 1 (got p0 = {self.p0}, p1 = {self.p1})")
        if not (0.0 < self.alpha < 0.5 and 0.0 < self.beta < 0.5):
            raise ValueError(f"alpha and beta must lie in (0, 0.5) (got {self.alpha}, {self.beta})")


class SPRT:
    """Wald's test, fed one outcome at a time (True = the requirement failed on that render)."""

    def __init__(self, hypotheses: Hypotheses) -> None:
        h = hypotheses
        self.hypotheses = h
        self.upper = math.log((1 - h.beta) / h.alpha)  # cross it: FAIL
        self.lower = math.log(h.beta / (1 - h.alpha))  # cross it: PASS
        # Each failure adds log(p1/p0) (infinite when p0 = 0: one failure decides), each pass log((1-p1)/(1-p0)).
        self._fail_step = math.inf if h.p0 == 0 else math.log(h.p1 / h.p0)
        self._pass_step = -math.inf if h.p1 == 1 else math.log((1 - h.p1) / (1 - h.p0))
        self.llr = 0.0
        self.n = 0
        self.failures = 0

    @property
    def verdict(self) -> Verdict | None:
        if self.llr >= self.upper:
            return Verdict.FAIL
        if self.llr <= self.lower:
            return Verdict.PASS
        return None

    def add(self, failed: bool) -> Verdict | None:
        """Count one outcome (ignored once decided); the verdict when reached."""
        if self.verdict is None:
            self.n += 1
            self.failures += failed
            self.llr += self._fail_step if failed else self._pass_step
        return self.verdict


def clopper_pearson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact two-sided interval for a binomial proportion (the 'beta' method; (0, 1) for n = 0)."""
    if n == 0:
        return 0.0, 1.0
    tail = (1 - confidence) / 2
    low = 0.0 if successes == 0 else float(beta_distribution.ppf(tail, successes, n - successes + 1))
    high = 1.0 if successes == n else float(beta_distribution.ppf(1 - tail, successes + 1, n - successes))
    return low, high


def fixed_verdict(failures: int, n: int, hypotheses: Hypotheses) -> Verdict:
    """One test at n renders: FAIL when the failure rate is above p0 with confidence 1 − alpha (the
    one-sided Clopper–Pearson bound), PASS when it is below p1 with confidence 1 − beta, else INCONCLUSIVE."""
    h = hypotheses
    low, _ = clopper_pearson(failures, n, 1 - 2 * h.alpha)
    _, high = clopper_pearson(failures, n, 1 - 2 * h.beta)
    if low > h.p0:
        return Verdict.FAIL
    if high < h.p1:
        return Verdict.PASS
    return Verdict.INCONCLUSIVE


def fixed_sample_size(hypotheses: Hypotheses, limit: int = 100_000) -> int:
    """The smallest n with a failure count c such that a fixed test 'FAIL when failures >= c' keeps
    both error rates: P(K >= c | p0) <= alpha and P(K < c | p1) <= beta (exact binomial)."""
    h = hypotheses
    for n in range(1, limit + 1):
        c = int(binom.isf(h.alpha, n, h.p0)) + 1  # smallest c with P(K >= c | p0) <= alpha
        if c <= n and binom.cdf(c - 1, n, h.p1) <= h.beta:
            return n
    raise ValueError(f"no fixed sample size up to {limit} reaches alpha = {h.alpha}, beta = {h.beta}")

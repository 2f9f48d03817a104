"""The `specs:` section of an experiment file: one pydantic model per spec kind.

    specs:
      - name: upright_mug
        kind: accuracy            # accuracy | invariance | monotonic | agreement
        where: {objects: [coffee_mug], orientation.yaw: {min: -20, max: 20}}
        metric: top1              # top1 | top5 | margin > 0 | any boolean result column
        at_least: 0.95
        test: sprt                # sprt (stops when decided) | fixed (n = budget)
        budget: 200               # renders at most; past it the verdict is INCONCLUSIVE
        falsify: {policy: tpe, budget: 64}   # after a PASS: search the box for a counterexample

`where` narrows the experiment: `objects`, `environments` and any `control.parameter` in the same
syntax as the controls list (a value, {min, max} or {choices}); it must lie inside the experiment.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from simulator.config import StrictModel

Probability = Annotated[float, Field(gt=0.0, lt=1.0, strict=False)]


class FalsifyConfig(StrictModel):
    policy: str = "tpe"  # an adaptive policy's registered name
    budget: int = Field(64, ge=1, le=1_000_000, strict=True)  # renders in all, over the box's pairs


class SpecBase(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)
    where: dict[str, Any] = Field(default_factory=dict)
    at_least: Probability = 0.95  # the share of renders that must meet the requirement
    test: Literal["sprt", "fixed"] = "sprt"
    alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.05  # P(FAIL) when the share is exactly at_least
    beta: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.05  # P(PASS) when it is at_least - indifference
    indifference: Probability = 0.10
    budget: int = Field(300, ge=1, le=1_000_000, strict=True)
    seed: int = Field(0, ge=0, strict=True)
    model: str | None = None  # whose rows are judged when several models run; None: the first
    falsify: FalsifyConfig | None = None

    @model_validator(mode="after")
    def _room_for_indifference(self) -> SpecBase:
        if 1 - self.at_least + self.indifference >= 1:
            raise ValueError(
                f"at_least - indifference must be > 0 (got {self.at_least} - {self.indifference}): "
                "lower indifference or raise at_least"
            )
        return self

    @property
    def p0(self) -> float:
        return 1 - self.at_least

    @property
    def p1(self) -> float:
        return self.p0 + self.indifference


class AccuracySpec(SpecBase):
    kind: Literal["accuracy"]
    metric: str = "top1"  # top1 | top5 | margin > 0 | a boolean result column


class InvarianceSpec(SpecBase):
    """Each render varied inside `where` is compared with the canonical render of its object and
    environment (parameters at `canonical`, else at their declared defaults)."""

    kind: Literal["invariance"]
    canonical: dict[str, Any] = Field(default_factory=dict)
    tolerance: Annotated[float, Field(gt=0.0, le=1.0)] | None = None  # None: the top-1 prediction must not change


class MonotonicSpec(SpecBase):
    """Pairs of renders that differ only in `parameter` (same seed): `metric` must not rise (or fall)
    by more than `tolerance` when the parameter grows."""

    kind: Literal["monotonic"]
    parameter: str
    metric: str = "true_prob"  # a numeric result column
    direction: Literal["decreasing", "increasing"] = "decreasing"
    tolerance: Annotated[float, Field(ge=0.0)] = 0.0


class AgreementSpec(SpecBase):
    """Two models give the same top-1 prediction (or, for evaluators without one, the same verdict)."""

    kind: Literal["agreement"]
    models: Annotated[list[str], Field(min_length=2, max_length=2)]


Spec = AccuracySpec | InvarianceSpec | MonotonicSpec | AgreementSpec
KINDS: dict[str, type[SpecBase]] = {
    "accuracy": AccuracySpec,
    "invariance": InvarianceSpec,
    "monotonic": MonotonicSpec,
    "agreement": AgreementSpec,
}

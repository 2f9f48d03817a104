"""What a search minimises: one number per sample, lower meaning worse for the model.

`policy.objective` names it: `margin` (true-class logit minus the best other; negative = wrong),
`true_prob`, `loss` (higher is worse, so the search minimises -loss), or any numeric result column,
written `{column: NAME, worst: low | high, model: NAME}` (default low; `model` picks whose row is
scored when several models judge each render, default the first).

`{disagreement: [A, B]}` drives the search towards renders where model A is right and model B is
wrong: the score is B's margin minus A's on the same render (with an evaluator that writes no
`margin`, B's `score` minus A's plus B's `correct` minus A's), lowest when A is sure and right and
B sure and wrong. A sample "fails" (what adaptive policies are told) when A is right and B wrong.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

BUILTIN_WORST: dict[str, Literal["low", "high"]] = {"margin": "low", "true_prob": "low", "loss": "high"}
PASSED_COLUMNS = ("correct", "correct_top1")  # the generic verdict column first, then classification's
_USAGE = (
    "write `objective: margin`, `objective: {column: NAME, worst: low | high, model: NAME}` "
    "or `objective: {disagreement: [MODEL_A, MODEL_B]}`"
)


@dataclass(frozen=True)
class Objective:
    column: str
    worst: Literal["low", "high"] = "low"
    model: str | None = None  # whose row is scored when several models judge each render; None: the first
    versus: tuple[str, str] | None = None  # (A, B) of a disagreement objective

    def describe(self) -> str:
        if self.versus is not None:
            return f"disagreement ({self.versus[0]} right, {self.versus[1]} wrong; {self.column})"
        text = self.column if BUILTIN_WORST.get(self.column) == self.worst else f"{self.column} (worst {self.worst})"
        return text if self.model is None else f"{text} of {self.model}"

    def judged_row(self, rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
        """The row of `model` (model A of a disagreement) among one sample's rows, else the first."""
        model = self.versus[0] if self.versus is not None else self.model
        return _row_of(rows, model) or rows[0]

    def score(self, rows: Sequence[Mapping[str, Any]]) -> float | None:
        """The sample's value oriented so that lower is worse; None for a failed sample or a missing value."""
        if self.versus is not None:
            return self._disagreement(*self.versus, rows)
        value = _value(self.judged_row(rows), self.column)
        if value is None:
            return None
        return value if self.worst == "low" else -value

    def passed(self, rows: Sequence[Mapping[str, Any]]) -> bool | None:
        """Whether the sample is not what the search looks for (None when it failed or has no verdict)."""
        if self.versus is None:
            return passed(self.judged_row(rows))
        first, second = (_row_of(rows, name) for name in self.versus)
        verdicts = [passed(row) if row is not None else None for row in (first, second)]
        if None in verdicts:
            return None
        return not (verdicts[0] and not verdicts[1])

    def _disagreement(self, model_a: str, model_b: str, rows: Sequence[Mapping[str, Any]]) -> float | None:
        first, second = _row_of(rows, model_a), _row_of(rows, model_b)
        if first is None or second is None:
            return None
        a, b = _value(first, self.column), _value(second, self.column)
        if a is None or b is None:
            return None
        if self.column == "margin":
            return b - a
        right = [passed(row) for row in (first, second)]
        if None in right:
            return None
        return (b - a) + (float(right[1]) - float(right[0]))


def parse_objective(raw: str | Mapping[str, Any]) -> Objective:
    """`margin`, `{column: name, worst: low|high, model: name}` or `{disagreement: [A, B]}`;
    ValueError saying what is allowed."""
    if isinstance(raw, str):
        if not raw:
            raise ValueError("the objective name is empty")
        return Objective(raw, BUILTIN_WORST.get(raw, "low"))
    if isinstance(raw, Mapping):
        if "disagreement" in raw:
            pair = raw["disagreement"]
            if set(raw) != {"disagreement"} or not (
                isinstance(pair, list) and len(pair) == 2 and all(isinstance(n, str) and n for n in pair)
            ):
                raise ValueError(f"{_USAGE} (disagreement takes exactly two model names)")
            if pair[0] == pair[1]:
                raise ValueError(f"disagreement needs two different models (got {pair[0]!r} twice)")
            return Objective("margin", "low", versus=(pair[0], pair[1]))
        unknown = set(raw) - {"column", "worst", "model"}
        column = raw.get("column")
        worst = raw.get("worst", BUILTIN_WORST.get(str(column), "low"))
        model = raw.get("model")
        if unknown or not isinstance(column, str) or not column or worst not in ("low", "high"):
            raise ValueError(_USAGE)
        if model is not None and (not isinstance(model, str) or not model):
            raise ValueError(f"{_USAGE} (model is a model's name)")
        return Objective(column, worst, model)
    raise ValueError(f"expected a column name or a mapping: {_USAGE}; got {type(raw).__name__}")


def passed(row: Mapping[str, Any]) -> bool | None:
    """Whether the model got the sample right (None for a failed sample or no verdict column)."""
    if row.get("error") is not None:
        return None
    for column in PASSED_COLUMNS:
        value = row.get(column)
        if _is_bool(value):
            return bool(value)
    return None


def _row_of(rows: Sequence[Mapping[str, Any]], model: str | None) -> Mapping[str, Any] | None:
    return next((row for row in rows if model is not None and row.get("model") == model), None)


def _value(row: Mapping[str, Any], column: str) -> float | None:
    if row.get("error") is not None:
        return None
    value = row.get(column)
    if _is_bool(value) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return None
    return float(value)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # numpy's bool too

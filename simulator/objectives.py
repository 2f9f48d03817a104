"""What a search minimises: one number per result row, lower meaning worse for the model.

`policy.objective` names it: `margin` (true-class logit minus the best other; negative = wrong),
`true_prob`, `loss` (higher is worse, so the search minimises -loss), or any numeric result column,
written `{column: NAME, worst: low | high}` (default low).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

BUILTIN_WORST: dict[str, Literal["low", "high"]] = {"margin": "low", "true_prob": "low", "loss": "high"}
PASSED_COLUMNS = ("correct", "correct_top1")  # the generic verdict column first, then classification's


@dataclass(frozen=True)
class Objective:
    column: str
    worst: Literal["low", "high"] = "low"
    model: str | None = None  # whose row is scored when several models judge each render; None: the first

    def describe(self) -> str:
        return self.column if BUILTIN_WORST.get(self.column) == self.worst else f"{self.column} (worst {self.worst})"

    def judged_row(self, rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
        """The row of `model` among one sample's rows (one per model), else the first."""
        return next((row for row in rows if self.model is not None and row.get("model") == self.model), rows[0])

    def score(self, rows: Sequence[Mapping[str, Any]]) -> float | None:
        """The sample's value oriented so that lower is worse; None for a failed sample or a missing value."""
        row = self.judged_row(rows)
        if row.get("error") is not None:
            return None
        value = row.get(self.column)
        if _is_bool(value) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            return None
        return float(value) if self.worst == "low" else -float(value)


def parse_objective(raw: str | Mapping[str, Any]) -> Objective:
    """`margin` or `{column: name, worst: low|high}`; ValueError saying what is allowed."""
    if isinstance(raw, str):
        if not raw:
            raise ValueError("the objective name is empty")
        return Objective(raw, BUILTIN_WORST.get(raw, "low"))
    if isinstance(raw, Mapping):
        unknown = set(raw) - {"column", "worst"}
        column = raw.get("column")
        worst = raw.get("worst", BUILTIN_WORST.get(str(column), "low"))
        if unknown or not isinstance(column, str) or not column or worst not in ("low", "high"):
            raise ValueError("write `objective: margin` or `objective: {column: NAME, worst: low | high}`")
        return Objective(column, worst)
    raise ValueError(f"expected a column name or {{column: NAME, worst: low | high}}, got {type(raw).__name__}")


def passed(row: Mapping[str, Any]) -> bool | None:
    """Whether the model got the sample right (None for a failed sample or no verdict column)."""
    if row.get("error") is not None:
        return None
    for column in PASSED_COLUMNS:
        value = row.get(column)
        if _is_bool(value):
            return bool(value)
    return None


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"  # numpy's bool too

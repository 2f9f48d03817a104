"""Samples: one scene to render and judge, with a deterministic identity."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from simulator.search_space import Value


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def sample_seed(policy_seed: int, index: int) -> int:
    """Render/noise seed of the index-th sample of a stream (31 bits, as Cycles wants)."""
    return int(_digest(["seed", policy_seed, index])[:8], 16) & 0x7FFFFFFF


@dataclass(frozen=True)
class Sample:
    experiment: str
    object: str
    environment: str
    params: dict[str, Value] = field(hash=False)
    seed: int
    index: int = field(default=0, compare=False)  # position in its pair's ask stream (not part of the id)

    @property
    def id(self) -> str:
        """hash(experiment, object, environment, params, seed): equal for equal samples, across runs."""
        return _digest([self.experiment, self.object, self.environment, self.params, self.seed])[:20]


def sample_errors(rows: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """How many samples result `rows` hold (a sample has one row per model), and the first error of each
    failed sample."""
    errors: dict[str, str] = {}
    for row in rows:
        if row["error"] is not None:
            errors.setdefault(row["id"], row["error"])
    return len({row["id"] for row in rows}), list(errors.values())

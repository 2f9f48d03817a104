"""The interface every evaluator implements: model outputs + accepted labels -> result columns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa


class Evaluator(ABC):
    """Scores a batch of model outputs; one dict of typed columns per sample.

    `name` is the short name an experiment's `evaluator.type` uses (registered through the
    `robustsim.evaluators` entry point group); `columns` lets the results writer build its schema.
    """

    name: ClassVar[str]

    @property
    @abstractmethod
    def columns(self) -> dict[str, pa.DataType]:
        """Name -> Arrow type of every field `evaluate` returns, in order."""

    @abstractmethod
    def evaluate(self, outputs: np.ndarray, accepted: Sequence[tuple[int, ...]]) -> list[dict[str, Any]]:
        """One row per sample from the model `outputs` and the class ids each sample accepts."""

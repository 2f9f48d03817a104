"""The random conditions each optimization step renders: an environment, a point of the
experiment's search space (pose, camera, background rotation and strength), and whether fog
covers the render.

Every draw is a pure function of (seed, iteration, index in the batch), so a resumed run sees
exactly the conditions an uninterrupted one would have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.experiment import Experiment
from simulator.scene import Scene


@dataclass(frozen=True)
class Condition:
    """One render of one step."""

    environment: str
    params: dict[str, Any]
    scene: Scene
    seed: int  # Mitsuba's sample seed (the gradient pass uses another)
    fog_severity: int | None = None  # ImageNet-C fog on this render, or none


class ConditionSampler:
    """Uniform draws over the experiment's environments and its controls' search space."""

    def __init__(
        self, experiment: Experiment, seed: int, fog_probability: float = 0.0, fog_severities: tuple[int, ...] = (3,)
    ) -> None:
        self.experiment = experiment
        self.seed = seed
        self.fog_probability = fog_probability
        self.fog_severities = fog_severities
        self.object = next(iter(experiment.objects))
        self.environments = list(experiment.environments)

    def draw(self, iteration: int, index: int) -> Condition:
        """The condition (environment and control values) of render `index` in `iteration`; the same every time."""
        rng = np.random.default_rng([self.seed, iteration, index])
        environment = self.environments[int(rng.integers(len(self.environments)))]
        params = self.experiment.space.from_unit(rng.random(len(self.experiment.space.varying)))
        scene = self.experiment.scene_for(self.object, environment, params)
        seed = int(rng.integers(2**31 - 1))
        fogged = self.fog_probability > 0 and rng.random() < self.fog_probability
        severity = int(rng.choice(self.fog_severities)) if fogged else None
        return Condition(environment, params, scene, seed, severity)

    def fog_rng(self, iteration: int, index: int) -> np.random.Generator:
        """The random source of one render's fog."""
        return np.random.default_rng([self.seed, iteration, index, 1])

    def batch(self, iteration: int, size: int) -> list[Condition]:
        """The `size` conditions of one iteration."""
        return [self.draw(iteration, index) for index in range(size)]

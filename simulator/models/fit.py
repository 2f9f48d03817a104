"""Does the model fit the experiment? One blank render through preprocessing and the model, before any
real render: a crop larger than the render, too few class names or labels beyond the model's outputs
would otherwise fail, or mislabel, every sample."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.config import ConfigError
from simulator.models.loading import LoadedModel, ModelError, running_user_code
from simulator.models.preprocessing import preprocess

if TYPE_CHECKING:
    from simulator.experiment import Experiment


def check_model_fits(experiment: Experiment, model: LoadedModel) -> None:
    """ConfigError listing what in `experiment` cannot work with `model` (nothing when all fits)."""
    problems = fit_problems(experiment, model)
    if problems:
        raise ConfigError(experiment.source, problems)


def fit_problems(experiment: Experiment, model: LoadedModel) -> list[tuple[str, str]]:
    """(key, message) for each mismatch between the experiment's renders, labels, evaluator and the model."""
    settings = experiment.render_settings()
    blank = np.full((settings.height, settings.width, 3), 0.5, dtype=np.float32)
    try:
        preprocess([blank], model.preprocessing)
    except ValueError as error:
        return [("model.preprocessing", f"{error} (renders are {settings.width}x{settings.height} px)")]
    try:
        with running_user_code("running the model on one blank render"):
            outputs = model.predict([blank]).shape[1]
    except ModelError as error:
        return [("model", str(error))]
    problems = []
    names = getattr(experiment.make_evaluator(), "class_names", None)
    if names is not None and len(names) < outputs:
        problems.append(
            ("evaluator.class_names", f"{len(names)} names for a model with {outputs} outputs; allowed: one name per output")
        )
    for name, asset in experiment.objects.items():
        beyond = [label for label in asset.labels if label >= outputs]
        if beyond:
            problems.append(
                ("objects", f"object {name!r} accepts class {beyond[0]}, but the model has only {outputs} outputs")
            )
    return problems

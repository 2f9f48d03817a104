"""Does a model fit the experiment? One blank render through preprocessing and the model, before any
real render: a crop larger than the render, a class list of the wrong length or labels beyond the
model's outputs would otherwise fail, or mislabel, every sample."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.config import ConfigError
from simulator.models.loading import LoadedModel, ModelError, running_user_code
from simulator.models.preprocessing import preprocess

if TYPE_CHECKING:
    from simulator.experiment import Experiment
    from simulator.models.classes import ModelSpec


def check_model_fits(experiment: Experiment, model: LoadedModel, spec: ModelSpec | None = None) -> None:
    """ConfigError listing what in `experiment` cannot work with `model` (nothing when all fits);
    `spec` says which of the experiment's models it is (default: the first)."""
    problems = fit_problems(experiment, model, spec)
    if problems:
        raise ConfigError(experiment.source, problems)


def fit_problems(experiment: Experiment, model: LoadedModel, spec: ModelSpec | None = None) -> list[tuple[str, str]]:
    """(key, message) for each mismatch between the experiment's renders, labels, evaluator and the model."""
    spec = spec or experiment.models[0]
    index = experiment.models.index(spec)
    key = f"models[{index}]" if experiment.config.models else "model"
    settings = experiment.render_settings()
    blank = np.full((settings.height, settings.width, 3), 0.5, dtype=np.float32)
    try:
        preprocess([blank], model.preprocessing)
    except ValueError as error:
        return [(f"{key}.preprocessing", f"{error} (renders are {settings.width}x{settings.height} px)")]
    evaluator = experiment.make_evaluator()
    try:
        with running_user_code(f"running model {spec.name!r} on one blank render"):
            if evaluator.output == "raw":
                model.raw([blank])
                return []
            outputs = model.predict([blank]).shape[1]
    except ModelError as error:
        return [(key, str(error))]
    problems = []
    configured = getattr(evaluator, "class_names", None)
    if configured is not None and len(configured) < outputs:
        problems.append(
            ("evaluator.class_names", f"{len(configured)} names for a model with {outputs} outputs; allowed: one name per output")
        )
    elif len(spec.class_names) != outputs if spec.own_classes else len(spec.class_names) < outputs:
        whose = "" if spec.own_classes else " (ImageNet's; give the model its own `classes`)"
        problems.append(
            (f"{key}.classes", f"{len(spec.class_names)} class names{whose} for a model with {outputs} outputs; "
             "allowed: one name per output")
        )
    for name, labels in spec.labels.items():
        beyond = [label for label in labels if label >= outputs]
        if beyond:
            problems.append(
                ("objects", f"object {name!r} accepts class {beyond[0]}, but model {spec.name!r} has only {outputs} outputs")
            )
    return problems

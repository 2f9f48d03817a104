"""What a `robustsim.models` entry point names: a model builder and the input preprocessing it expects.

A plugin registers one in its pyproject.toml and experiments use it by name (`model: {module: NAME}`):

    [project.entry-points."robustsim.models"]
    my_net = "my_package.models:MY_NET"     # MY_NET = RegisteredModel(build=MyNet, preprocessing=...)

An entry point may also name a plain `nn.Module` class or factory; it then gets `Preprocessing()`
(224 px, ImageNet mean/std) unless the experiment's `model.preprocessing` says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from simulator.models.preprocessing import Preprocessing


@dataclass(frozen=True)
class RegisteredModel:
    build: Callable[..., nn.Module]  # called with the experiment's `model.kwargs`
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    channels_last: bool = False  # run in channels-last memory format (faster convolutions on CPU; the model must not view its input)

"""Loading the model under test (the embedded default or a user's torch module) for inference.

A spec is the `model:` section of an experiment (see `simulator.config.ModelConfig`):

    module: NAME | "package.module:attr"   # a `robustsim.models` name (e.g. efficientnet_lite0), or an
                                           # nn.Module class / factory returning one; empty = default
    kwargs: {...}                    # passed to attr
    weights: path/to/state_dict.pt   # optional; a plain state_dict or a checkpoint with 'state_dict'
    preprocessing: {resize, crop, mean, std}   # fields given replace the model's defaults
    device: auto | cpu | cuda
    batch_size: 32
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError
from torch import nn

from simulator import registry
from simulator.config import ModelConfig
from simulator.models.default import EFFICIENTNET_LITE0
from simulator.models.preprocessing import Preprocessing, preprocess
from simulator.models.registered import RegisteredModel

_SHOWN_KEYS = 5


class ModelError(ValueError):
    """The model spec cannot be turned into a working model; the message says what to fix."""


@contextmanager
def running_user_code(what: str) -> Iterator[None]:
    """Turn whatever a user's code raises, `exit()` and `sys.exit(0)` included, into a ModelError
    saying `what` failed (an exit while loading a model must never end a command as if it succeeded)."""
    try:
        yield
    except (ModelError, registry.UnknownNameError):
        raise
    except SystemExit as exc:
        raise ModelError(f"{what} called exit({exc.code!r}); a model module must not exit") from None
    except Exception as exc:
        raise ModelError(f"{what} failed: {type(exc).__name__}: {exc}") from exc


class LoadedModel:
    """A model in eval mode on one device, turning rendered images into class probabilities."""

    def __init__(
        self,
        module: nn.Module,
        preprocessing: Preprocessing,
        device: torch.device,
        batch_size: int = 32,
        channels_last: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 (got {batch_size})")
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.module = module.to(device, memory_format=self.memory_format).eval()
        self.preprocessing = preprocessing
        self.device = device
        self.batch_size = batch_size

    def _batch(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        """Preprocessed images on the model's device, in its memory format."""
        return preprocess(images, self.preprocessing).to(self.device).contiguous(memory_format=self.memory_format)

    def predict(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Softmax probabilities, float32 N x classes, for HxWx3 sRGB float images in [0, 1]."""
        if not images:
            raise ValueError("no images to predict")
        parts = []
        with torch.inference_mode():
            for start in range(0, len(images), self.batch_size):
                batch = self._batch(images[start : start + self.batch_size])
                logits = self.module(batch)
                if not isinstance(logits, torch.Tensor) or logits.ndim != 2 or len(logits) != len(batch):
                    shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
                    raise ModelError(f"the model returned {shape} for {len(batch)} images; expected logits N x classes")
                parts.append(logits.float().softmax(dim=1).cpu().numpy())
        return np.concatenate(parts)

    def raw(self, images: Sequence[np.ndarray]) -> list[Any]:
        """Each image's share of what the module returns (tensors as numpy arrays): the items of a
        returned list or tuple (e.g. a torchvision detector's `{boxes, labels, scores}` dicts), or the
        rows of a returned tensor."""
        if not images:
            raise ValueError("no images to run")
        outputs: list[Any] = []
        with torch.inference_mode():
            for start in range(0, len(images), self.batch_size):
                batch = self._batch(images[start : start + self.batch_size])
                returned = self.module(batch)
                if isinstance(returned, torch.Tensor) and returned.ndim >= 1:
                    returned = list(returned)
                if not isinstance(returned, list | tuple) or len(returned) != len(batch):
                    raise ModelError(
                        f"the model returned a {type(returned).__name__} for {len(batch)} images; expected one output per image"
                    )
                outputs += [_to_numpy(item) for item in returned]
        return outputs


def _to_numpy(value: Any) -> Any:
    """Tensors (also inside dicts, lists and tuples) as numpy arrays on the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().float().cpu().numpy() if value.is_floating_point() else value.detach().cpu().numpy()
    if isinstance(value, Mapping):
        return {key: _to_numpy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_numpy(item) for item in value)
    return value


def load_model(spec: ModelConfig | Mapping[str, Any] | None = None) -> LoadedModel:
    """Build, load and place the model a spec describes (None or {} gives the default model)."""
    config = _validate(spec)
    device = _device(config.device)
    if config.module is None and config.kwargs:
        raise ModelError("model.kwargs given without model.module; kwargs only apply to a module")
    entry = resolve_model_entry(config.module, config.module_dir)
    module = _build_module(entry.build, config.module or "the default model", config.kwargs)
    if config.weights is not None:
        _load_weights(module, config.weights)
    preprocessing = _merge_preprocessing(entry.preprocessing, config.preprocessing or {})
    return LoadedModel(module, preprocessing, device, config.batch_size, entry.channels_last)


def _validate(spec: ModelConfig | Mapping[str, Any] | None) -> ModelConfig:
    if isinstance(spec, ModelConfig):
        return spec
    try:
        return ModelConfig.model_validate(dict(spec or {}))
    except ValidationError as exc:
        raise ModelError(f"invalid model spec: {_describe(exc)}") from exc


def resolve_model_entry(module: str | None, folder: Path | None = None) -> RegisteredModel:
    """The builder and preprocessing `model.module` names: None is the default model, a name without
    ':' a `robustsim.models` entry point, anything else an import path (also looked up in `folder`)."""
    if module is None:
        return EFFICIENTNET_LITE0
    if ":" not in module:
        try:
            with running_user_code(f"loading the registered model {module!r}"):
                found = registry.lookup("models", module)
        except registry.UnknownNameError as error:
            raise ModelError(f"{error}; or give an import path 'package.module:attr'") from None
    else:
        found = _import_attr(module, folder)
    return found if isinstance(found, RegisteredModel) else RegisteredModel(build=found)


def _import_attr(path: str, folder: Path | None = None) -> Any:
    """The attribute `package.module:attr` names, importing from `sys.path` and then from `folder`
    (the experiment file's folder, when it has one)."""
    module_name, sep, attr_path = path.partition(":")
    if not sep or not module_name or not attr_path:
        raise ModelError(f"model.module must look like 'package.module:attr' (got {path!r})")
    if folder is not None and folder.is_dir() and str(folder) not in sys.path:
        sys.path.append(str(folder))  # after PYTHONPATH and installed packages, which win
    try:
        with running_user_code(f"importing {module_name!r} (from model.module {path!r})"):
            module = importlib.import_module(module_name)
    except ModelError as error:
        if not isinstance(error.__cause__, ImportError):
            raise
        where = f"{folder} (the experiment's folder) and sys.path" if folder is not None else "sys.path"
        raise ModelError(f"cannot import module {module_name!r} (from model.module {path!r}): "
                         f"{error.__cause__}; looked in {where} (add its folder to PYTHONPATH)") from None
    try:
        return reduce(getattr, attr_path.split("."), module)
    except AttributeError as exc:
        raise ModelError(f"module {module_name!r} has no attribute {attr_path!r}") from exc


def _build_module(attr: Any, path: str, kwargs: dict[str, Any]) -> nn.Module:
    if isinstance(attr, nn.Module) or not callable(attr):
        raise ModelError(f"{path!r} is a {type(attr).__name__}; give an nn.Module class or a factory function")
    with running_user_code(f"calling {path!r} with kwargs {kwargs}"):
        module = attr(**kwargs)
    if not isinstance(module, nn.Module):
        raise ModelError(f"{path!r} returned a {type(module).__name__}, not a torch.nn.Module")
    return module


def _read_state_dict(path: Path) -> Mapping[str, Any]:
    if not path.is_file():
        raise ModelError(f"model weights file {str(path)!r} does not exist")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(
            f"cannot read model weights {str(path)!r} (a state_dict saved with torch.save is expected; "
            f"pickled whole models are refused): {exc}"
        ) from exc
    if isinstance(loaded, Mapping) and isinstance(loaded.get("state_dict"), Mapping):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping):
        raise ModelError(f"model weights {str(path)!r} hold a {type(loaded).__name__}, not a state_dict")
    return loaded


def _first(keys: set[str]) -> str:
    shown = ", ".join(sorted(keys)[:_SHOWN_KEYS])
    return shown + (f", ... ({len(keys)} in all)" if len(keys) > _SHOWN_KEYS else "")


def _load_weights(module: nn.Module, path: Path) -> None:
    state_dict = _read_state_dict(path)
    expected = module.state_dict()
    missing, unexpected = set(expected) - set(state_dict), set(state_dict) - set(expected)
    problems = []
    if missing:
        problems.append(f"missing keys: {_first(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_first(unexpected)}")
    mismatched = {
        f"{key} {tuple(state_dict[key].shape)} vs {tuple(value.shape)}"
        for key, value in expected.items()
        if key in state_dict and isinstance(state_dict[key], torch.Tensor) and state_dict[key].shape != value.shape
    }
    if mismatched:
        problems.append(f"shape mismatches (file vs model): {_first(mismatched)}")
    if problems:
        raise ModelError(f"model weights {str(path)!r} do not fit the model; " + "; ".join(problems))
    module.load_state_dict(state_dict)


def _merge_preprocessing(base: Preprocessing, given: Mapping[str, Any]) -> Preprocessing:
    try:
        return Preprocessing.model_validate({**base.model_dump(), **given})
    except ValidationError as exc:
        raise ModelError(f"invalid model.preprocessing: {_describe(exc)}") from exc


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, error['loc']))}: {_message(error)}" for error in exc.errors())


def _message(error: Any) -> str:
    """pydantic's message, or 'X is not finite' where that is what is wrong."""
    if error["type"] == "finite_number":
        return f"{error['input']!r} is not finite"
    return error["msg"].removeprefix("Value error, ")


def _device(name: str) -> torch.device:
    cuda = torch.cuda.is_available()
    if name == "cuda" and not cuda:
        raise ModelError("model.device is 'cuda' but CUDA is not available here; use 'auto' or 'cpu'")
    return torch.device("cuda" if name == "cuda" or (name == "auto" and cuda) else "cpu")

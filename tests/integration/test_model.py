"""Loading and running the default model and a user's module named by import path."""

import importlib
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from torch import nn

from simulator.models.default import DEFAULT_PREPROCESSING
from simulator.models.loading import LoadedModel, ModelError, load_model
from simulator.models.preprocessing import Preprocessing, preprocess

pytestmark = pytest.mark.integration

TINY = "tiny_classifier:TinyClassifier"


@pytest.fixture
def tiny(monkeypatch) -> ModuleType:
    """The helper module `tiny_classifier`, importable by name as a user's module would be."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    return importlib.import_module("tiny_classifier")


@pytest.fixture(scope="module")
def default_model() -> LoadedModel:
    return load_model(None)


def images(*sizes: tuple[int, int]) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.random((h, w, 3), dtype=np.float32) for h, w in sizes]


def test_default_model_loads_offline(default_model):
    assert default_model.preprocessing == DEFAULT_PREPROCESSING
    assert not default_model.module.training
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert default_model.device.type == expected
    assert {p.device.type for p in default_model.module.parameters()} == {expected}


def test_default_model_gives_probabilities_for_mixed_sizes(default_model):
    probs = default_model.predict(images((224, 224), (300, 200), (160, 400)))
    assert probs.shape == (3, 1000) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs >= 0).all()


def test_batched_equals_one_by_one(default_model):
    batch = images((224, 224), (256, 256), (240, 320))
    together = LoadedModel(default_model.module, default_model.preprocessing, default_model.device, batch_size=16)
    alone = LoadedModel(default_model.module, default_model.preprocessing, default_model.device, batch_size=1)
    np.testing.assert_allclose(together.predict(batch), alone.predict(batch), atol=1e-5)


def save_weights(tiny: ModuleType, tmp_path: Path, num_classes: int, wrap: bool = False) -> tuple[Path, nn.Module]:
    """Weights of a seeded TinyClassifier, as a bare state_dict or inside a checkpoint dict."""
    torch.manual_seed(7)
    reference = tiny.TinyClassifier(num_classes=num_classes, hidden=6).eval()
    path = tmp_path / "tiny.pt"
    state = reference.state_dict()
    torch.save({"state_dict": state, "epoch": 3} if wrap else state, path)
    return path, reference


@pytest.mark.parametrize("wrap", [False, True], ids=["state_dict", "checkpoint"])
def test_custom_module_with_kwargs_and_weights(tiny, tmp_path, wrap):
    path, reference = save_weights(tiny, tmp_path, num_classes=7, wrap=wrap)
    prep = {"resize": 32, "crop": 32, "mean": (0.5, 0.5, 0.5), "std": (0.25, 0.25, 0.25)}
    spec = {"module": TINY, "kwargs": {"num_classes": 7, "hidden": 6}, "weights": str(path),
            "preprocessing": prep, "device": "cpu", "batch_size": 2}
    model = load_model(spec)
    batch = images((40, 50), (32, 32), (64, 48))
    probs = model.predict(batch)
    assert probs.shape == (3, 7)
    assert model.preprocessing == Preprocessing(**prep)
    with torch.inference_mode():
        expected = reference(preprocess(batch, model.preprocessing)).softmax(dim=1).numpy()
    np.testing.assert_allclose(probs, expected, atol=1e-6)


def test_factory_function_and_partial_preprocessing(tiny):
    model = load_model({"module": "tiny_classifier:make_classifier", "kwargs": {"num_classes": 3},
                        "preprocessing": {"crop": 16}})
    assert isinstance(model.module, tiny.TinyClassifier)
    assert model.preprocessing.crop == 16 and model.preprocessing.resize == 224
    assert model.predict(images((20, 30))).shape == (1, 3)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"module": "no_such_package.models:Net"}, "cannot import module 'no_such_package.models'"),
        ({"module": "tiny_classifier"}, "unknown model 'tiny_classifier'"),
        ({"module": "tiny_classifier:"}, "must look like 'package.module:attr'"),
        ({"module": "tiny_classifier:Missing"}, "has no attribute 'Missing'"),
        ({"module": "tiny_classifier:make_nothing"}, "returned a str, not a torch.nn.Module"),
        ({"module": "tiny_classifier:NOT_CALLABLE"}, "is a int; give an nn.Module class or a factory"),
        ({"module": TINY, "kwargs": {"layers": 3}}, "unexpected keyword argument 'layers'"),
        ({"kwargs": {"num_classes": 3}}, "kwargs given without model.module"),
        ({"module": TINY, "weights": "/nonexistent/tiny.pt"}, "'/nonexistent/tiny.pt' does not exist"),
        ({"module": TINY, "preprocessing": {"std": [1, 0, 1]}}, "invalid model.preprocessing: std"),
        ({"module": TINY, "device": "tpu"}, "invalid model spec: device"),
    ],
)
@pytest.mark.usefixtures("tiny")
def test_spec_errors_name_the_problem(spec, message):
    with pytest.raises(ModelError, match=message):
        load_model(spec)


def test_state_dict_mismatch_lists_keys(tiny, tmp_path):
    path, _ = save_weights(tiny, tmp_path, num_classes=7)
    with pytest.raises(ModelError, match=r"shape mismatches \(file vs model\): head.bias \(7,\) vs \(10,\)"):
        load_model({"module": TINY, "kwargs": {"hidden": 6}, "weights": str(path)})
    renamed = {f"model.{key}": value for key, value in torch.load(path, weights_only=True).items()}
    torch.save(renamed, path)
    with pytest.raises(ModelError, match=r"missing keys: features.bias, .*unexpected keys: model.features.bias"):
        load_model({"module": TINY, "kwargs": {"num_classes": 7, "hidden": 6}, "weights": str(path)})


def test_pickled_whole_model_is_refused(tiny, tmp_path):
    path = tmp_path / "whole.pt"
    torch.save(tiny.TinyClassifier(), path)
    with pytest.raises(ModelError, match="pickled whole models are refused"):
        load_model({"module": TINY, "weights": str(path)})


@pytest.mark.usefixtures("tiny")
def test_non_tensor_weights_file_is_refused(tmp_path):
    path = tmp_path / "list.pt"
    torch.save([1, 2, 3], path)
    with pytest.raises(ModelError, match="hold a list, not a state_dict"):
        load_model({"module": TINY, "weights": str(path)})


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.usefixtures("tiny")
def test_cuda_without_cuda_is_refused():
    with pytest.raises(ModelError, match="CUDA is not available"):
        load_model({"module": TINY, "device": "cuda"})


@pytest.mark.usefixtures("tiny")
def test_wrong_output_shape_is_refused():
    model = load_model({"module": "tiny_classifier:FlatOutput", "device": "cpu"})
    with pytest.raises(ModelError, match=r"returned \(20,\) for 2 images"):
        model.predict(images((32, 32), (32, 32)))


def test_the_default_model_is_registered_by_name() -> None:
    model = load_model({"module": "efficientnet_lite0"})
    assert model.preprocessing == DEFAULT_PREPROCESSING
    assert model.predict([np.full((32, 32, 3), 0.5, np.float32)]).shape == (1, 1000)

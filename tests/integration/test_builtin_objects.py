"""Every built-in object is recognized by the default model in its canonical view."""

from __future__ import annotations

import pytest

from simulator.assets import builtin_objects
from simulator.labels import imagenet_classes
from simulator.models.loading import LoadedModel, load_model
from simulator.render.base import RenderSettings
from simulator.render.blender import BlenderRenderer
from simulator.scene import Environment, Scene, SceneObject

pytestmark = pytest.mark.integration

PLAIN_BACKGROUNDS = {"white": (1.0, 1.0, 1.0), "light grey": (0.6, 0.6, 0.6)}


@pytest.fixture(scope="module")
def renderer() -> BlenderRenderer:
    renderer = BlenderRenderer(RenderSettings(width=224, height=224, samples=16))
    yield renderer
    renderer.close()


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    return load_model()


@pytest.mark.parametrize("name", sorted(builtin_objects()))
def test_canonical_view_is_recognized_in_the_top_5(name: str, renderer: BlenderRenderer, model: LoadedModel) -> None:
    asset = builtin_objects()[name]
    names = imagenet_classes()
    found = {}
    for background, color in PLAIN_BACKGROUNDS.items():
        scene = Scene(SceneObject(asset), Environment(background, color=color))
        probabilities = model.predict([renderer.render(scene, seed=0)["rgb"]])[0]
        top5 = [int(i) for i in probabilities.argsort()[::-1][:5]]
        found[background] = [(names[i], round(float(probabilities[i]), 2)) for i in top5]
        if set(top5) & set(asset.labels):
            return
    pytest.fail(f"{name}: none of {[names[i] for i in asset.labels]} in the top 5: {found}")

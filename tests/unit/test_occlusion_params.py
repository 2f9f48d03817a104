"""The occlusion control without a renderer: parameters, errors, placement and the measured column."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from controls.occlusion import Occlusion, disc_fraction_beyond, edge_offset
from simulator.config import ConfigError
from simulator.experiment import load_experiment
from simulator.results.schema import measured_columns, results_schema
from simulator.scene import Camera, Environment, ObjectAsset, Occluder, Scene, SceneObject

MINIMAL = "name: x\nobjects: [coffee_mug]\nenvironments: [studio]\npolicy: {type: random, samples: 2}\n"
SCENE = Scene(
    SceneObject(ObjectAsset("thing", Path("thing.ply"), (504,), size=0.6)),
    Environment("grey", color=(0.5,) * 3),
    camera=Camera(azimuth=20.0, elevation=15.0),
)


def load(tmp_path: Path, controls: str):
    path = tmp_path / "exp.yaml"
    path.write_text(MINIMAL + "controls:\n" + textwrap.indent(textwrap.dedent(controls), "  "))
    return load_experiment(path)


def values(**changes):
    return {**Occlusion.defaults(), **changes}


def test_valid_config_declares_the_measured_column(tmp_path: Path) -> None:
    mesh = tmp_path / "rock.obj"
    mesh.write_text("v 0 0 0\n")  # only its existence and that it is text are checked here
    experiment = load(tmp_path, f"""
        - type: occlusion
          coverage: {{min: 0, max: 0.8}}
          direction: {{choices: [0, 90]}}
          shape: {{choices: [plane, box, sphere, {mesh}]}}
          color: '#ff8800'
    """)
    assert {d.key for d in experiment.space.dimensions} >= {"occlusion.coverage", "occlusion.shape"}
    assert "segmentation" in experiment.render_settings().channels
    columns = measured_columns(step.control for step in experiment.steps)
    assert columns == {"occlusion.achieved_coverage": pa.float64()}
    schema = results_schema(experiment.space.dimensions, {}, columns)
    assert schema.field("occlusion.achieved_coverage").type == pa.float64()


@pytest.mark.parametrize(
    "controls,key,message",
    [
        ("- {type: occlusion, coverage: 1.5}", "controls[0].coverage", "outside the allowed range"),
        ("- {type: occlusion, coverage: {min: -0.1, max: 0.5}}", "controls[0].coverage", "outside the allowed range"),
        ("- {type: occlusion, distance: 0.95}", "controls[0].distance", "outside the allowed range"),
        ("- {type: occlusion, shape: cone}", "controls[0].shape", "not an occluder shape"),
        ("- {type: occlusion, shape: /no/such/rock.obj}", "controls[0].shape", "does not exist"),
        ("- {type: occlusion, color: red}", "controls[0].color", "'#rrggbb'"),
        ("- {type: occlusion, color: '#12345z'}", "controls[0].color", "'#rrggbb'"),
        ("- {type: occlusion, direction: north}", "controls[0].direction", "is not a float"),
        ("- {type: occlusion, covrage: 0.5}", "controls[0].covrage", "unknown parameter"),
    ],
)
def test_invalid_parameters_name_key_and_problem(tmp_path: Path, controls: str, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, controls)
    assert len(raised.value.problems) == 1, raised.value.problems
    found_key, found_message = raised.value.problems[0]
    assert found_key == key
    assert message in found_message


@pytest.mark.parametrize("coverage", [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
def test_edge_offset_inverts_the_disc_fraction(coverage: float) -> None:
    assert disc_fraction_beyond(edge_offset(coverage)) == pytest.approx(coverage, abs=1e-6)


def test_zero_coverage_leaves_the_scene_alone() -> None:
    assert Occlusion("occlusion").apply(SCENE, values(coverage=0.0)) is SCENE


@pytest.mark.parametrize("shape", ["plane", "box", "sphere"])
def test_occluder_stands_between_camera_and_object_on_the_requested_side(shape: str) -> None:
    for direction, (su, sv) in [(0.0, (1, 0)), (90.0, (0, 1)), (180.0, (-1, 0)), (270.0, (0, -1))]:
        scene = Occlusion("occlusion").apply(SCENE, values(coverage=0.3, direction=direction, shape=shape, distance=0.4))
        (occluder,) = scene.occluders
        assert occluder.shape == shape and scene.object == SCENE.object and scene.lights == ()
        u, v, depth = SCENE.camera.project(occluder.location)
        cu, cv, object_depth = SCENE.camera.project(SCENE.object.location)
        assert depth == pytest.approx(0.4 * object_depth)
        assert np.sign(round(u - cu, 6)) == su and np.sign(round(v - cv, 6)) == sv
        # it faces the camera: its local +Z is the camera's +Z (towards the camera)
        facing = occluder.world_matrix()[:3, 2] / np.linalg.norm(occluder.world_matrix()[:3, 2])
        assert facing @ SCENE.camera.world_matrix()[:3, 2] == pytest.approx(1.0)


def test_more_coverage_moves_the_edge_across_the_object() -> None:
    control = Occlusion("occlusion")
    offsets = [SCENE.camera.project(control.apply(SCENE, values(coverage=c)).occluders[0].location)[0]
               for c in (0.1, 0.5, 0.9)]
    assert offsets[0] > offsets[1] > offsets[2]


def test_colour_and_mesh_shape(tmp_path: Path) -> None:
    mesh = tmp_path / "rock.obj"
    mesh.write_text("v 0 0 0\n")
    scene = Occlusion("occlusion").apply(SCENE, values(shape=str(mesh), color="#ff0000"))
    (occluder,) = scene.occluders
    assert occluder.shape == mesh.resolve() and occluder.color == pytest.approx((1.0, 0.0, 0.0))
    assert Occlusion("o").apply(scene, values()).occluders[0] == occluder  # a second one is added, not replaced
    assert len(Occlusion("o").apply(scene, values()).occluders) == 2


def test_occluder_rejects_unknown_shapes() -> None:
    with pytest.raises(ValueError, match="unknown occluder shape"):
        Occluder("cone", (0.0, 0.0, 0.0))


def test_measure() -> None:
    control = Occlusion("occlusion")
    full = np.zeros((4, 4), np.uint8)
    full[:2] = 1  # 8 object pixels
    seen = full.copy()
    seen[:2, :2] = 2  # 4 hidden by the occluder
    assert control.measure({"segmentation": seen, "unoccluded": full}, values()) == {"achieved_coverage": 0.5}
    assert control.measure({"segmentation": full}, values(coverage=0.0)) == {"achieved_coverage": 0.0}
    assert math.isnan(control.measure({"segmentation": seen * 0, "unoccluded": full * 0}, values())["achieved_coverage"])

"""Resuming after an object's files were edited: its old results are refused, naming the object."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from object_folders import object_folder

from simulator.execution.local import LocalExecutor
from simulator.experiment import load_experiment
from simulator.results.store import OutputMismatchError
from simulator.runner import run_experiment

pytestmark = pytest.mark.integration

CUBE = "".join(f"v {x} {y} {z}\n" for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)) + (
    "f 1 2 4 3\nf 5 7 8 6\nf 1 5 6 2\nf 3 4 8 7\nf 1 3 7 5\nf 2 6 8 4\n"
)


def test_an_edited_mesh_invalidates_its_results_on_resume(tmp_path: Path) -> None:
    box = object_folder(tmp_path, "box", CUBE)
    config = tmp_path / "exp.yaml"
    config.write_text(textwrap.dedent(f"""
        name: edits
        objects: [coffee_mug, {box}]
        environments: ['#808080']
        policy: {{type: random, samples: 1, seed: 0}}
        render: {{resolution: 16, samples: 1}}
        model: {{device: cpu}}
    """))
    executor = LocalExecutor()
    try:
        first = run_experiment(load_experiment(config), tmp_path / "out", executor)
        assert (first.rendered, first.failed) == (2, 0)
        assert run_experiment(load_experiment(config), tmp_path / "out", executor).skipped == 2  # unchanged: resumes
        (box / "mesh.obj").write_text(CUBE.replace("v -1 -1 -1", "v -1 -1 -3"))  # the user edits the mesh
        with pytest.raises(OutputMismatchError, match=r"object 'box' made before its files changed"):
            run_experiment(load_experiment(config), tmp_path / "out", executor)
    finally:
        executor.close()

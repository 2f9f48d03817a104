"""A user's model module runs code on import: whatever it raises, exits included, is a clear ModelError."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from simulator.models.loading import ModelError, load_model

BUILD = "import torch\ndef build():\n    return torch.nn.Linear(3, 2)\n"
ON_IMPORT = {
    "exit()": "exit()",
    "sys.exit(0)": "import sys\nsys.exit(0)",
    "sys.exit(3)": "import sys\nsys.exit(3)",
    "raise SystemExit": "raise SystemExit",
    "quit()": "quit()",
    "a RuntimeError": "raise RuntimeError('no GPU here')",
    "a missing dependency": "import not_a_real_package_xyz",
}
ON_BUILD = {
    "sys.exit(0)": "import sys\n    sys.exit(0)",
    "a ValueError": "raise ValueError('bad')",
}


def module(folder: Path, body: str) -> str:
    """Write a uniquely named module into `folder`; returns its name."""
    name = f"user_model_{uuid.uuid4().hex[:8]}"
    (folder / f"{name}.py").write_text(body)
    return name


@pytest.mark.parametrize("body", ON_IMPORT.values(), ids=ON_IMPORT.keys())
def test_anything_raised_on_import_is_a_model_error(tmp_path: Path, monkeypatch, body: str) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    name = module(tmp_path, body + "\n" + BUILD)
    with pytest.raises(ModelError, match=name):
        load_model({"module": f"{name}:build", "device": "cpu"})


@pytest.mark.parametrize("body", ON_BUILD.values(), ids=ON_BUILD.keys())
def test_anything_raised_while_building_is_a_model_error(tmp_path: Path, monkeypatch, body: str) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    name = module(tmp_path, f"def build():\n    {body}\n")
    with pytest.raises(ModelError, match=f"calling '{name}:build'"):
        load_model({"module": f"{name}:build", "device": "cpu"})


def test_module_next_to_the_experiment_file_is_found(tmp_path: Path) -> None:
    name = module(tmp_path, BUILD)
    loaded = load_model({"module": f"{name}:build", "module_dir": str(tmp_path), "device": "cpu"})
    assert loaded.module.out_features == 2


def test_missing_module_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=f"looked in {tmp_path} \\(the experiment's folder\\) and sys.path"):
        load_model({"module": "no_such_module_xyz:build", "module_dir": str(tmp_path), "device": "cpu"})


def test_validate_exits_non_zero_when_the_model_module_exits(tmp_path: Path) -> None:
    """`robustsim validate` imports model.module (by design); a module calling sys.exit(0) fails it."""
    name = module(tmp_path, "import sys\nsys.exit(0)\n")
    config = tmp_path / "exp.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: exits
            objects: [coffee_mug]
            environments: ['#808080']
            policy: {{type: random, samples: 1}}
            model: {{module: '{name}:build', device: cpu}}
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "validate", str(config)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "called exit(0)" in done.stderr and name in done.stderr and "Traceback" not in done.stderr

"""Every file in tests/malformed/ is refused by `robustsim validate`: a non-zero exit, a short message
naming what is wrong (each file's `# expect:` lines), and never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

MALFORMED = Path(__file__).parents[1] / "malformed"
CASES = sorted(p for p in MALFORMED.glob("*.yaml") if not p.name.startswith("_"))
MAX_OUTPUT = 4000  # characters: a huge value in a file must never be echoed whole


def expectations(path: Path) -> list[str]:
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    return [line.removeprefix("# expect:").strip() for line in lines if line.startswith("# expect:")]


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=MALFORMED.parents[1],
        env={**os.environ, "COLUMNS": "400"},
    )


@pytest.fixture(scope="module")
def outcomes() -> dict[str, subprocess.CompletedProcess[str]]:
    """`validate` on every case, as many at once as there are cores."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip((p.name for p in CASES), pool.map(validate, CASES), strict=True))


def test_every_case_says_what_it_tests() -> None:
    assert len(CASES) >= 30
    for path in CASES:
        assert path.read_bytes().startswith(b"# Tests: ") and expectations(path), path.name


@pytest.mark.parametrize("case", [p.name for p in CASES])
def test_validate_refuses_with_a_clear_message(outcomes: dict[str, subprocess.CompletedProcess[str]], case: str) -> None:
    done = outcomes[case]
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-2000:]
    assert "Traceback" not in output, output[-4000:]
    for expected in expectations(MALFORMED / case):
        assert expected in output, (expected, output[-2000:])
    assert len(output) < MAX_OUTPUT, output[:2000]

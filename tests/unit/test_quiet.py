"""Native output is silenced only inside the context, at the file-descriptor level."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os
from simulator.render.quiet import native_stdout_silenced
os.write(1, b"before\\n")
with native_stdout_silenced():
    os.write(1, b"hidden\\n")
    os.write(2, b"still-on-stderr\\n")
os.write(1, b"after\\n")
"""


def test_descriptor_one_is_silenced_and_restored() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout == "before\nafter\n"
    assert result.stderr == "still-on-stderr\n"

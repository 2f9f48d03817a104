"""Keep renderers' native console output (Blender's C/C++ prints) off the user's terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def native_stdout_silenced() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null for the duration; exceptions still propagate.

    Blender prints import timings, render progress and GPU-driver probes straight to the
    process's stdout, below Python's sys.stdout, so only redirecting the descriptor hides them.
    stderr is left alone: progress bars and real errors go there.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)

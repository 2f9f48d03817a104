"""Ctrl-C that library code cannot swallow."""

from __future__ import annotations

import signal
from types import FrameType, TracebackType
from typing import Any


class InterruptWatch:
    """While active, SIGINT raises KeyboardInterrupt as usual and is also remembered.

    Code between the signal and the run loop (a library's `except BaseException`, for one)
    may catch the KeyboardInterrupt; the run loop then sees `requested` after the current
    batch and stops all the same.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        self.requested = True
        raise KeyboardInterrupt

    def __enter__(self) -> InterruptWatch:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        signal.signal(signal.SIGINT, self._previous)

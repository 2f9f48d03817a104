"""A Ctrl-C that something catches is still remembered for the run loop."""

from __future__ import annotations

import os
import signal
import time

import pytest

from simulator.interrupts import InterruptWatch


def test_sigint_raises_and_is_remembered_even_when_swallowed() -> None:
    previous = signal.getsignal(signal.SIGINT)
    with InterruptWatch() as watch:
        assert not watch.requested
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler runs here
        except BaseException:  # noqa: BLE001 - what a library swallowing the interrupt does
            pass
        assert watch.requested
    assert signal.getsignal(signal.SIGINT) is previous


def test_sigint_propagates_as_keyboard_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt), InterruptWatch():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)

"""A terminal progress bar for runs: renders done, renders/s, failures, time left."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.markup import escape
from rich.text import Text

from simulator.sample import sample_errors


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f} renders/s" if speed else "-- renders/s", style="progress.data.speed")


class RichProgress:
    """Implements runner.ProgressReporter with a rich progress bar."""

    def __init__(self, console: Console, label: str = "rendering") -> None:
        self.console = console
        self.label = label
        self._progress: Progress | None = None
        self._task: Any = None
        self._failed = 0

    def start(self, total: int | None, stored: int) -> None:
        """`total` samples to search (None: not known in advance), `stored` already in the output folder."""
        todo = None if total is None else max(total - stored, 0)
        if stored:
            self.console.print(f"{stored} samples already done; resuming.")
        if todo == 0:
            return
        self._progress = Progress(
            TextColumn(f"[bold]{escape(self.label)}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("rendering", total=todo, failed=0)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, rows: list[dict[str, Any]]) -> None:
        if self._progress is None:
            return
        samples, errors = sample_errors(rows)  # a sample has one row per model
        self._failed += len(errors)
        self._progress.update(self._task, advance=samples, failed=self._failed)

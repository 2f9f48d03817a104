"""A rich progress bar for optimizations: iterations, it/s, loss and running accuracy."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class OptimizationProgress:
    """`update(iteration, loss, accuracy)` after every step; use as a context manager."""

    def __init__(self, console: Console, total: int, done: int, label: str = "optimizing") -> None:
        self._progress = Progress(
            TextColumn(f"[bold]{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("acc {task.fields[accuracy]}"),
            TimeRemainingColumn(),
            console=console,
        )
        self._task = self._progress.add_task(label, total=total, completed=done, loss="--", accuracy="--", rate="-- it/s")

    def __enter__(self) -> OptimizationProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def update(self, iteration: int, loss: float, accuracy: float) -> None:
        self._progress.update(self._task, completed=iteration, loss=f"{loss:.3f}", accuracy=f"{accuracy:.2f}")
        speed = self._progress.tasks[0].speed
        self._progress.update(self._task, rate=f"{speed:.2f} it/s" if speed else "-- it/s")

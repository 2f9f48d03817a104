"""What an optimization leaves in its output folder besides the checkpoint and texture.png:
history.csv, curves.png (loss and running accuracy) and summary.md / summary.json."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from simulator.texture.loop import StepRecord  # noqa: E402


def history_frame(history: Sequence[StepRecord]) -> pd.DataFrame:
    """The optimization history as a table, one row per step."""
    return pd.DataFrame([asdict(record) for record in history])


def write_curves(history: Sequence[StepRecord], path: Path, smooth: int = 10, accuracy_window: int = 25) -> Path:
    """Loss (raw and a moving average) and the running top-1 accuracy against the iteration."""
    frame = history_frame(history)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    left.plot(frame["iteration"], frame["loss"], color="0.75", linewidth=0.8, label="per step")
    left.plot(frame["iteration"], frame["loss"].rolling(smooth, min_periods=1).mean(), color="C0", label=f"mean of {smooth}")
    left.set(xlabel="iteration", ylabel="cross-entropy (accepted classes)", title="loss")
    left.legend()
    right.plot(frame["iteration"], frame["accuracy"].rolling(accuracy_window, min_periods=1).mean(), color="C2")
    right.set(
        xlabel="iteration",
        ylabel="top-1 accuracy",
        ylim=(-0.02, 1.02),
        title=f"training renders, mean of the last {accuracy_window} steps",
    )
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def summarize(history: Sequence[StepRecord], window: int = 25) -> dict[str, Any]:
    """First and last `window` steps' mean loss and accuracy, and timing."""
    frame = history_frame(history)
    head, tail = frame.head(window), frame.tail(window)
    return {
        "iterations": int(frame["iteration"].max()),
        "loss_first": float(head["loss"].mean()),
        "loss_last": float(tail["loss"].mean()),
        "accuracy_first": float(head["accuracy"].mean()),
        "accuracy_last": float(tail["accuracy"].mean()),
        "seconds_per_iteration": float(frame["step_s"].mean()),
        "render_share": float(frame["render_s"].sum() / frame["step_s"].sum()),
        "model_share": float(frame["model_s"].sum() / frame["step_s"].sum()),
    }


def write_outputs(history: Sequence[StepRecord], output: Path, title: str) -> dict[str, Any]:
    """history.csv, curves.png, summary.json and summary.md in `output`; returns the summary."""
    history_frame(history).to_csv(output / "history.csv", index=False)
    write_curves(history, output / "curves.png")
    summary = summarize(history)
    (output / "summary.json").write_text(json.dumps(summary, indent=2))
    lines = [
        f"# Unadversarial texture: {title}",
        "",
        "![texture](texture.png) ![curves](curves.png)",
        "",
        "| | first 25 steps | last 25 steps |",
        "| --- | --- | --- |",
        f"| loss | {summary['loss_first']:.3f} | {summary['loss_last']:.3f} |",
        f"| top-1 on training renders | {summary['accuracy_first']:.2f} | {summary['accuracy_last']:.2f} |",
        "",
        f"{summary['iterations']} iterations, {summary['seconds_per_iteration']:.2f} s each "
        f"({summary['render_share']:.0%} Mitsuba, {summary['model_share']:.0%} model).",
        "",
    ]
    (output / "summary.md").write_text("\n".join(lines))
    return summary

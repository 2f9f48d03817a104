"""What `robustsim optimize-texture` does, between the command line and the optimizer."""

from __future__ import annotations

import logging
from pathlib import Path

from rich.console import Console

from simulator.texture.config import load_texture_config
from simulator.texture.loop import CHECKPOINT, TextureOptimizer
from simulator.texture.outputs import write_outputs
from simulator.texture.progress import OptimizationProgress

log = logging.getLogger(__name__)


class NoCheckpointError(ValueError):
    """--resume was asked for but the output folder holds no checkpoint."""


def optimize_texture(config: Path, output: Path, resume: bool, console: Console) -> dict[str, float]:
    """Validate, optimize (continuing from a checkpoint in `output` if there is one), write outputs."""
    experiment, optimize = load_texture_config(config)
    if resume and not (output / CHECKPOINT).is_file():
        raise NoCheckpointError(f"--resume: {output / CHECKPOINT} does not exist")
    optimizer = TextureOptimizer(experiment, optimize, output)
    if optimizer.load_checkpoint():
        console.print(f"Resuming from {output / CHECKPOINT} at iteration {optimizer.iteration}.")
    asset = next(iter(experiment.objects))
    console.print(
        f"[bold]{experiment.name}[/]: texture {optimize.texture_resolution}px on {asset}, "
        f"{len(experiment.environments)} environment(s), {optimize.iterations} iterations x {optimize.batch} renders, "
        f"{experiment.render_settings().width}px at {optimize.spp} spp (Mitsuba {optimizer.renderer.variant})"
    )
    try:
        with OptimizationProgress(console, optimize.iterations, optimizer.iteration) as progress:
            optimizer.run(lambda record: progress.update(record.iteration, record.loss, record.running_accuracy))
    except KeyboardInterrupt:
        if optimizer.at_step_boundary:  # else the last periodic checkpoint stands
            optimizer.save_checkpoint()  # the last finished step; a half-done one is redone on resume
        raise
    summary = write_outputs(optimizer.history, output, f"{asset} ({experiment.name})")
    log.info("texture optimization finished: %s", summary)
    return summary


def optimize_patch(config: Path, output: Path, console: Console) -> dict:
    """Validate, optimize a sticker on the training images, evaluate on the held-out ones, write outputs."""
    from simulator.texture.patch import PatchOptimizer, load_patch_config, write_patch_outputs

    patch_config = load_patch_config(config)
    optimizer = PatchOptimizer(patch_config)
    settings = patch_config.patch
    console.print(
        f"[bold]{patch_config.name}[/]: {settings.patch_resolution}px sticker for {settings.label!r}, "
        f"{len(optimizer.train_paths)} training / {len(optimizer.test_paths)} held-out images"
    )
    with OptimizationProgress(console, settings.iterations, 0) as progress:
        for iteration in range(settings.iterations):
            record = optimizer.step(iteration)
            progress.update(iteration + 1, record["loss"], record["accuracy"])
    summary = write_patch_outputs(optimizer, optimizer.evaluate(), output)
    log.info("patch optimization finished: %s", summary)
    return summary

"""`robustsim preview`: one object from six sides on a labelled contact sheet, to check its scale, up axis
and front before a run.

The views are the camera control's: front (azimuth 0, the view `front_yaw` sets up), back, the
object's own left and right sides (its left is +X when its front faces the default camera), top,
and a three-quarter view; rendered as a run renders them (the object at its `size`, the camera 2 m
away). The mesh is checked first (simulator.render.mesh_check) and what looks wrong is returned as
warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from simulator.config import parse_config
from simulator.experiment import Experiment, resolve_experiment
from simulator.gallery import strip
from simulator.render.pool import RendererPool
from simulator.render.quiet import native_stdout_silenced

SEED = 0
COLUMNS = 3


@dataclass(frozen=True)
class View:
    label: str
    azimuth: float  # degrees, 0 = the front
    elevation: float  # degrees above the horizon


VIEWS = (
    View("front", 0.0, 10.0),
    View("back", 180.0, 10.0),
    View("left", 90.0, 10.0),
    View("right", -90.0, 10.0),
    View("top", 0.0, 89.0),
    View("three-quarter", 45.0, 30.0),
)


@dataclass(frozen=True)
class Preview:
    sheet: Image.Image
    object_name: str
    warnings: list[str]


def preview_experiment(obj: str, environment: str, resolution: int, samples: int) -> Experiment:
    """A one-object experiment whose camera azimuth and elevation the views set (ConfigError if `obj` or
    `environment` is not usable)."""
    raw = {
        "name": "preview",
        "objects": [obj],
        "environments": [environment],
        "controls": [{"type": "camera", "azimuth": {"min": -180, "max": 180}, "elevation": {"min": -89, "max": 89}}],
        "policy": {"type": "random", "samples": 1},
        "render": {"resolution": resolution, "samples": samples},
    }
    return resolve_experiment(parse_config(raw, "preview"), "preview")


def render_preview(obj: str, environment: str = "studio", resolution: int = 160, samples: int = 16) -> Preview:
    """The contact sheet of `obj` (a built-in name or an object folder) on `environment`, and the mesh's warnings."""
    from simulator.render.mesh_check import inspect_mesh  # imports bpy

    experiment = preview_experiment(obj, environment, resolution, samples)
    (name, asset), = experiment.objects.items()
    (environment_name,) = experiment.environments
    renderers = RendererPool()
    try:
        with native_stdout_silenced():  # Blender's import timings and device probes
            warnings = inspect_mesh(asset.mesh_path).warnings()  # before the renderer opens its scene
            renderer = renderers.get(experiment.render_settings())
            frames, fixed = [], experiment.space.fixed_values()
            for view in VIEWS:
                params = {**fixed, "camera.azimuth": view.azimuth, "camera.elevation": view.elevation}
                rgb = renderer.render(experiment.scene_for(name, environment_name, params), SEED)["rgb"]
                frames.append((np.clip(rgb, 0.0, 1.0) * 255).round().astype(np.uint8))
    finally:
        renderers.close()
    return Preview(contact_sheet(frames, [view.label for view in VIEWS]), name, warnings)


def contact_sheet(frames: list[np.ndarray], labels: list[str]) -> Image.Image:
    """Labelled frames, `COLUMNS` to a row (gallery strips stacked)."""
    rows = [strip(frames[i : i + COLUMNS], labels[i : i + COLUMNS]) for i in range(0, len(frames), COLUMNS)]
    sheet = Image.new("RGB", (max(row.width for row in rows), sum(row.height for row in rows)), "white")
    top = 0
    for row in rows:
        sheet.paste(row, (0, top))
        top += row.height
    return sheet


def write_preview(preview: Preview, output: Path) -> Path:
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    preview.sheet.save(output)
    return output

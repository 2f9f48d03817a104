"""`robustsim gallery`: a markdown page of every registered control with renders across its range.

For each control: a table of its parameters and one PNG strip (frames side by side, each labelled
with its value) of the built-in coffee_mug on the `interior` HDRI while one telling parameter
sweeps its range, every other parameter at its default. Image controls go through the same path
as a run: render (with the channels the control requires), then apply the control.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from controls.base import Control
from simulator import registry
from simulator.config import parse_config
from simulator.experiment import resolve_experiment
from simulator.render.pool import RendererPool
from simulator.search_space import Continuous, ParameterSpec, Value

OBJECT = "coffee_mug"
ENVIRONMENT = "interior"
SEED = 0
LABEL_HEIGHT = 14


@dataclass(frozen=True)
class Sweep:
    """Which parameter a control's strip varies, and over what (None: its declared bounds/choices);
    `setup`: controls (YAML entries) placed before it, when the defaults would not show its effect."""

    parameter: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Value, ...] | None = None
    setup: tuple[dict[str, Value], ...] = ()


# The most telling parameter per built-in control, over a range that shows something (declared
# bounds are often far wider than useful, e.g. a camera distance up to 1000 m). Controls not listed
# (plugins included) sweep their first numeric parameter over its bounds.
SWEEPS: dict[str, Sweep] = {
    "orientation": Sweep("yaw", -120.0, 120.0),
    "position": Sweep("x", -0.6, 0.6),
    "scale": Sweep("factor", 0.4, 1.6),
    "camera": Sweep("elevation", -20.0, 80.0),
    "in_frame": Sweep("x", -0.8, 0.8),
    "background": Sweep("rotation", 0.0, 270.0),
    "texture": Sweep("pattern", choices=("keep_original", "zebra", "tiger", "leopard", "giraffe", "cow")),
    "lighting": Sweep("power", 0.0, 2000.0),
    "sun": Sweep("elevation", -5.0, 80.0),
    "corruption": Sweep(
        "kind", choices=("none", "gaussian_noise", "motion_blur", "fog", "contrast", "pixelate", "jpeg_compression")
    ),
    "depth_fog": Sweep("severity", 1, 5),
    "defocus": Sweep("severity", 1, 5),
    "liquid": Sweep(
        "mix", choices=("none", "water", "milk", "latte", "coffee"),
        setup=({"type": "camera", "elevation": 50.0, "distance": 1.8},),  # the default view misses the inside
    ),
}


def sweep_for(name: str, control: type[Control]) -> Sweep | None:
    """The explicit sweep for `name`, else the first numeric parameter, else the first choice parameter."""
    if name in SWEEPS and any(spec.name == SWEEPS[name].parameter for spec in control.parameters):
        return SWEEPS[name]
    for spec in control.parameters:
        if spec.kind in ("float", "int") and spec.bounds is not None:
            return Sweep(spec.name)
    for spec in control.parameters:
        if spec.choices:
            return Sweep(spec.name)
    return None


def sweep_values(sweep: Sweep, spec: ParameterSpec, steps: int) -> list[Value]:
    """`steps` evenly spaced values (at most `steps` choices, spread over the list for choice parameters)."""
    choices = sweep.choices or spec.choices
    if choices and sweep.low is None:
        if len(choices) <= steps:
            return list(choices)
        picks = np.linspace(0, len(choices) - 1, steps).round().astype(int)
        return [choices[i] for i in dict.fromkeys(picks.tolist())]
    if spec.kind == "bool":
        return [False, True]
    low = sweep.low if sweep.low is not None else spec.bounds[0]  # type: ignore[index]
    high = sweep.high if sweep.high is not None else spec.bounds[1]  # type: ignore[index]
    return Continuous(low, high, integer=spec.kind == "int").grid(steps)


def format_value(value: Value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def render_frame(
    renderers: RendererPool,
    name: str,
    values: dict[str, Value],
    resolution: int,
    samples: int,
    setup: Sequence[dict[str, Value]] = (),
) -> np.ndarray:
    """HxWx3 uint8: the mug with control `name` set to `values` (others default), after the `setup`
    controls, as a run renders it."""
    raw = {
        "name": "gallery",
        "objects": [OBJECT],
        "environments": [ENVIRONMENT],
        "controls": [*setup, {"type": name, **values}],
        "policy": {"type": "random", "samples": 1},
        "render": {"resolution": resolution, "samples": samples},
    }
    experiment = resolve_experiment(parse_config(raw, "gallery"), "gallery")
    params = experiment.space.fixed_values()
    scene = experiment.scene_for(OBJECT, ENVIRONMENT, params)
    channels = renderers.get(experiment.render_settings()).render(scene, SEED)
    rng = np.random.default_rng(SEED)
    for step in experiment.image_steps():
        channels = step.control.apply(channels, step.values(params), rng)
    return (np.clip(channels["rgb"], 0.0, 1.0) * 255).round().astype(np.uint8)


def strip(frames: Sequence[np.ndarray], labels: Sequence[str]) -> Image.Image:
    """Frames side by side with a label under each."""
    height, width = frames[0].shape[:2]
    image = Image.new("RGB", (width * len(frames), height + LABEL_HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    for index, (frame, label) in enumerate(zip(frames, labels, strict=True)):
        image.paste(Image.fromarray(frame), (index * width, 0))
        text_width = draw.textlength(label, font=font)
        while text_width > width - 2 and len(label) > 3:
            label = label[:-2] + "…"
            text_width = draw.textlength(label, font=font)
        draw.text((index * width + (width - text_width) / 2, height + 1), label, fill="black", font=font)
    return image


def _allowed(spec: ParameterSpec) -> str:
    if spec.choices is not None:
        return ", ".join(f"`{c}`" for c in spec.choices)
    if spec.bounds is not None:
        return f"{spec.bounds[0]:g} – {spec.bounds[1]:g}"
    return f"any {spec.kind}"


def _entry(entry: dict[str, Value]) -> str:
    """A controls-list entry in YAML flow style, e.g. `{type: camera, elevation: 50}`."""
    return "`{" + ", ".join(f"{key}: {format_value(value)}" for key, value in entry.items()) + "}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_gallery(
    output: Path,
    resolution: int = 96,
    steps: int = 5,
    samples: int = 16,
    progress: Callable[[str], None] = lambda _message: None,
) -> Path:
    """Write `output` (markdown) and one PNG strip per registered control under `<output folder>/gallery`."""
    output = Path(output)
    images = output.parent / "gallery"
    images.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Controls",
        "",
        "Every registered control (built-ins and installed plugins), its parameters, and renders of the",
        f"built-in `{OBJECT}` on the `{ENVIRONMENT}` HDRI while one parameter sweeps its range (every other",
        f"parameter at its default; {resolution} px, {samples} samples per pixel). Regenerate with",
        "`robustsim gallery -o docs/controls.md`.",
        "",
        "Every parameter takes a fixed value, `{min: a, max: b}` or `{choices: [...]}` in an experiment file.",
        "",
    ]
    names = registry.names("controls")
    lines += [", ".join(f"[`{name}`](#{name})" for name in names), ""]
    renderers = RendererPool()
    try:
        for name in names:
            control = registry.lookup("controls", name)
            kind = "image control (applied after rendering)" if _is_image(control) else "scene control"
            lines += [f"## {name}", "", f"{control.summary} ({kind}).", ""]
            if getattr(control, "notes", ""):
                lines += [control.notes, ""]
            needs = sorted(getattr(control, "required_channels", ()))
            if needs:
                lines += [f"Reads the {', '.join(needs)} channel(s), rendered automatically.", ""]
            lines += [
                "| parameter | kind | allowed | unit | default | what it does |",
                "| --- | --- | --- | --- | --- | --- |",
            ]
            for spec in control.parameters:
                default = f"`{format_value(spec.default)}`" if spec.default != "" else "(empty)"
                lines.append(
                    f"| `{spec.name}` | {spec.kind} | {_cell(_allowed(spec))} | {_cell(spec.unit)} | {default} "
                    f"| {_cell(spec.doc)} |"
                )
            lines.append("")
            sweep = sweep_for(name, control)
            if sweep is None:
                lines += ["(No parameter to sweep.)", ""]
                continue
            spec = control.parameter(sweep.parameter)
            values = sweep_values(sweep, spec, steps)
            progress(f"{name}: {sweep.parameter} = {', '.join(map(format_value, values))}")
            frames = [
                render_frame(renderers, name, {sweep.parameter: v}, resolution, samples, sweep.setup) for v in values
            ]
            labels = [f"{format_value(v)}{spec.unit if spec.unit and isinstance(v, int | float) else ''}" for v in values]
            picture = images / f"{name}.png"
            strip(frames, labels).save(picture, optimize=True)
            link = Path(os.path.relpath(picture, output.parent)).as_posix()
            after = "".join(f" (after {_entry(entry)})" for entry in sweep.setup)
            lines += [f"`{sweep.parameter}` from left to right{after}:", ""]
            lines += [f"![{name}: {sweep.parameter}]({link})", ""]
    finally:
        renderers.close()
    output.write_text("\n".join(lines))
    return output


def _is_image(control: type[Control]) -> bool:
    from controls.base import ImageControl

    return issubclass(control, ImageControl)

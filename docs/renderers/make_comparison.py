"""Regenerate docs/renderers/blender_vs_mitsuba.png and print the figures quoted in docs/renderers.md.

Run from the repository root: `.venv/bin/python docs/renderers/make_comparison.py`. It renders the
scenes of tests/integration/test_mitsuba_renderer.py with both renderers (224 px, 16 spp).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))

import test_mitsuba_renderer as comparison  # noqa: E402

from simulator.labels import imagenet_classes  # noqa: E402
from simulator.models.loading import load_model  # noqa: E402
from simulator.render.pool import RendererPool  # noqa: E402

OUTPUT = Path(__file__).resolve().parent / "blender_vs_mitsuba.png"


def main() -> None:
    pool, model, names = RendererPool(), load_model(None), imagenet_classes()
    rows = []
    for name, scene in comparison.comparison_scenes().items():
        renders, seconds = {}, {}
        for renderer, settings in (("blender", comparison.BLENDER), ("mitsuba", comparison.MITSUBA)):
            renderer_instance = pool.get(settings)
            renderer_instance.render(scene, seed=1)  # warm: kernels compiled, assets loaded
            start = time.perf_counter()
            renders[renderer] = renderer_instance.render(scene, seed=0)
            seconds[renderer] = time.perf_counter() - start
        blender, mitsuba = renders["blender"], renders["mitsuba"]
        b_mask, m_mask = blender["segmentation"] == 1, mitsuba["segmentation"] == 1
        both, background = b_mask & m_mask, ~(b_mask | m_mask)
        probs = model.predict([blender["rgb"], mitsuba["rgb"]])
        print(f"{name}: IoU {comparison.iou(b_mask, m_mask):.4f}")
        colours = [np.round(channels["rgb"][both].mean(0), 3) for channels in (blender, mitsuba)]
        print(f"  object mean sRGB blender {colours[0]} mitsuba {colours[1]}")
        correlation = np.corrcoef(blender["rgb"][background].ravel(), mitsuba["rgb"][background].ravel())[0, 1]
        print(f"  background correlation {correlation:.4f}")
        print(f"  depth median |diff| {np.median(np.abs(blender['depth'][both] - mitsuba['depth'][both])):.5f} m, "
              f"uv median |diff| {np.median(np.abs(blender['uv'][both] - mitsuba['uv'][both])):.5f}")
        for label, p in zip(("blender", "mitsuba"), probs):
            print(f"  {label}: top-1 {names[p.argmax()]} ({p.max():.3f}), render {seconds[label]:.2f} s")
        difference = np.abs(blender["rgb"] - mitsuba["rgb"]).mean(axis=-1, keepdims=True).repeat(3, axis=-1) * 4
        rows.append(np.concatenate([blender["rgb"], mitsuba["rgb"], np.clip(difference, 0, 1)], axis=1))
    pool.close()
    image = Image.fromarray(np.round(np.concatenate(rows, axis=0) * 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for column, title in enumerate(("Blender (Cycles)", "Mitsuba 3", "|difference| x4")):
        draw.text((column * comparison.SIZE + 4, 4), title, fill=(255, 255, 255))
    image.save(OUTPUT)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()

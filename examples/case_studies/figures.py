"""Figures and numbers of docs/case_studies.md from the case studies' results folders.

    .venv/bin/python examples/case_studies/figures.py [--results results/case_studies] [--out docs/case_studies]

Reads `<results>/<study>/` for each study that has been run (background, texture, orientation,
mug_liquid; a missing one is skipped with a note), writes PNG figures into `--out` and prints the
numbers quoted on the page; the same numbers go to `<out>/numbers.md` as Markdown tables.
Where the mug studies' first, undenoised runs are kept as `<results>/<study>_noisy` (and
mug_liquid_examples_noisy), their headline numbers follow and `mug_denoise.png` compares the two.
Everything goes through `simulator.analysis` (load, accuracy, environment_complexity,
complexity_accuracy, prediction_distribution, interaction_table, uv_accuracy_map) plus matplotlib.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from simulator.analysis import (  # noqa: E402
    ResultsNotFoundError,
    accuracy,
    bin_parameter,
    complexity_accuracy,
    environment_complexity,
    interaction_table,
    load,
    per_environment,
    per_object,
    prediction_distribution,
    sensitivity,
    uv_accuracy_map,
)
from simulator.analysis.stats import wilson_interval  # noqa: E402

# Texture study: ImageNet classes (model output indices) that match each pattern's texture.
TEXTURE_CLASSES = {
    "zebra": {340},  # zebra
    "tiger": {282, 292},  # tiger cat, tiger
    "leopard": {288, 289, 290, 293},  # leopard, snow leopard, jaguar, cheetah
    "giraffe": set(),  # ImageNet has no giraffe class
    "cow": {345, 346},  # ox, water buffalo
    "scales": set(range(33, 69)),  # turtles, lizards, crocodiles, snakes
}
ANIMALS = set(range(0, 398))  # ImageNet-1k's animal classes are indices 0-397
SPHERES = ["basketball", "soccer_ball", "tennis_ball", "orange"]
UNEVEN = ["banana", "coffee_mug", "teapot", "wine_bottle"]

lines: list[str] = []  # numbers.md


def say(text: str = "") -> None:
    print(text)
    lines.append(text)


def fmt(p: float, low: float, high: float) -> str:
    return f"{p:.2f} [{low:.2f}, {high:.2f}]"


def acc_cell(row: pd.Series, key: str = "top1") -> str:
    return fmt(row[key], row[f"{key}_low"], row[f"{key}_high"])


def markdown(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def save(figure: plt.Figure, out: Path, name: str, dpi: int = 110) -> None:
    if figure.get_layout_engine() is None:
        figure.tight_layout()
    figure.savefig(out / name, dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    print(f"  wrote {out / name}")


def try_load(results: Path, study: str) -> pd.DataFrame | None:
    try:
        frame = load(results / study)
    except ResultsNotFoundError:
        say(f"\n## {study}: no results under {results / study} (not run yet)")
        return None
    say(f"\n## {study}: {len(frame)} rows, {int(frame['error'].notna().sum())} failed")
    return frame


def cell_accuracy(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame[frame["error"].isna()].groupby(by, observed=True)["correct_top1"].mean().unstack()


# ---------------------------------------------------------------- 1. backgrounds
def background(frame: pd.DataFrame, out: Path) -> None:
    cells = cell_accuracy(frame, ["object", "environment"])  # objects x environments
    env_order = per_environment(frame)["environment"].tolist()[::-1]  # best first
    obj_order = per_object(frame)["object"].tolist()[::-1]

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.boxplot([cells[e].dropna() for e in env_order], tick_labels=env_order)
    left.set_title("per environment: spread over the 11 objects")
    right.boxplot([cells.loc[o].dropna() for o in obj_order], tick_labels=obj_order)
    right.set_title("per object: spread over the 8 environments")
    for axes in (left, right):
        axes.set_ylabel("top-1 accuracy of an (object, environment) pair")
        axes.set_ylim(-0.05, 1.05)
        axes.tick_params(axis="x", rotation=45)
        axes.grid(alpha=0.3, axis="y")
    save(figure, out, "background_boxplots.png")

    figure, axes = plt.subplots(figsize=(6, 5))
    shown = cells.loc[obj_order, env_order]
    image = axes.imshow(shown.to_numpy(float), cmap="RdYlGn", vmin=0, vmax=1)
    axes.set_xticks(range(len(env_order)), env_order, rotation=45)
    axes.set_yticks(range(len(obj_order)), obj_order)
    for (i, j), value in np.ndenumerate(shown.to_numpy(float)):
        axes.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=axes, label="top-1 accuracy")
    axes.set_title(
        f"top-1 per (object, environment), n = {int(frame.groupby(['object', 'environment']).size().min())} each"
    )
    save(figure, out, "background_heatmap.png")

    env = environment_complexity(frame)
    bins = complexity_accuracy(frame, bins=4)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    y = env["top1"].to_numpy(float)
    err = np.vstack([y - env["top1_low"], env["top1_high"] - y])
    left.errorbar(env["edge_density"], y, yerr=err, fmt="o", capsize=3)
    for k, (x, yy, name) in enumerate(zip(env["edge_density"], y, env["environment"], strict=True)):
        left.annotate(name, (x, yy), textcoords="offset points", xytext=(4, 12 - 10 * (k % 4)), fontsize=8)
    left.set_xlabel("mean background edge density (share of background pixels on an edge)")
    left.set_ylabel("top-1 accuracy (95% Wilson)")
    left.set_title("per environment")
    y = bins["top1"].to_numpy(float)
    err = np.vstack([y - bins["top1_low"], bins["top1_high"] - y])
    left.set_ylim(0, 1.05)
    right.errorbar(range(len(bins)), y, yerr=err, fmt="o-", capsize=3)
    right.set_xticks(range(len(bins)), [str(b) for b in bins["bin"]], rotation=20, fontsize=8)
    right.set_xlabel("edge density of each render's background (quartiles)")
    right.set_ylim(0, 1.05)
    right.set_title("per render")
    for axes in (left, right):
        axes.grid(alpha=0.3)
    save(figure, out, "background_complexity.png")

    examples = frame[(frame["object"] == "coffee_mug") & frame["image_path"].notna()]
    examples = examples.sort_values("environment").groupby("environment").head(1)
    if len(examples):
        from PIL import Image

        figure, grid = plt.subplots(1, len(examples), figsize=(1.9 * len(examples), 2.3))
        for axes, (_, row) in zip(np.atleast_1d(grid), examples.iterrows(), strict=True):
            with Image.open(Path(frame.attrs["root"]) / row["image_path"]) as picture:
                axes.imshow(np.asarray(picture))
            colour = "green" if row["correct_top1"] else "red"
            axes.set_title(f"{row['environment']}\n{row['pred_top1_name']}", fontsize=8, color=colour)
            axes.axis("off")
        save(figure, out, "background_examples.png", dpi=80)

    overall = accuracy(frame).iloc[0]
    say(f"overall top-1 {acc_cell(overall)}, top-5 {acc_cell(overall, 'topk')} (n = {int(overall['n'])})")
    env_table = env.assign(top1=[acc_cell(r) for _, r in env.iterrows()], edge_density=env["edge_density"].round(4))[
        ["environment", "n", "top1", "edge_density"]
    ]
    say("\nPer environment (simplest background first):\n")
    say(markdown(env_table))
    best, worst = env.loc[env["top1"].idxmax()], env.loc[env["top1"].idxmin()]
    say(
        f"\nbest environment {best['environment']} {best['top1']:.2f}, worst {worst['environment']} "
        f"{worst['top1']:.2f}: ratio {best['top1'] / max(worst['top1'], 1e-9):.1f}x"
    )
    rho = env[["edge_density", "top1"]].corr(method="spearman").iloc[0, 1]
    say(f"Spearman correlation, environment edge density vs top-1 (8 environments): {rho:.2f}")
    say("\nPer render, by quartile of background edge density:\n")
    say(markdown(bins.assign(top1=[acc_cell(r) for _, r in bins.iterrows()])[["condition", "n", "top1"]]))
    objects = per_object(frame)
    spread = (cells.max(axis=1) - cells.min(axis=1)).rename("range over environments")
    objects = objects.assign(top1=[acc_cell(r) for _, r in objects.iterrows()]).merge(
        spread.round(2), left_on="object", right_index=True
    )
    objects["std over environments"] = objects["object"].map(cells.std(axis=1).round(2))
    say("\nPer object (worst first); spread of its 8 per-environment accuracies (n = 4 each):\n")
    say(markdown(objects[["object", "n", "top1", "range over environments", "std over environments"]]))
    poses = frame[frame["error"].isna()].groupby(["object", "orientation.yaw"])["correct_top1"].mean().unstack()
    poses.columns = [f"yaw {c:.0f}" for c in poses.columns]
    say("\nEach Sobol pose is the same in every environment: top-1 per (object, pose) over the 8 environments:\n")
    say(markdown(poses.loc[objects["object"].head(4)].round(2).reset_index()))
    say("\nMost frequent wrong predictions per environment (all objects):\n")
    wrong = prediction_distribution(frame, by="environment", top=2)
    say(markdown(wrong.assign(share=wrong["share"].round(2))))


# ---------------------------------------------------------------- 2. texture
def texture(frame: pd.DataFrame, out: Path) -> None:
    rows = frame[frame["error"].isna()].copy()
    view = ["object", "orientation.yaw", "camera.elevation"]
    original = (
        rows[rows["texture.pattern"] == "keep_original"].set_index(view)["correct_top1"].rename("original_correct")
    )
    swapped = rows[rows["texture.pattern"] != "keep_original"].join(original, on=view)
    kept = swapped[swapped["original_correct"].astype(bool)]
    base = accuracy(rows[rows["texture.pattern"] == "keep_original"]).iloc[0]
    say(
        f"keep_original top-1 {acc_cell(base)} over {int(base['n'])} viewpoints; "
        f"{int(original.sum())} correct viewpoints kept"
    )
    per_texture = accuracy(kept, "texture.pattern")
    order = ["zebra", "tiger", "leopard", "giraffe", "cow", "scales"]
    per_texture = (
        per_texture.set_index("texture.pattern")
        .loc[[p for p in order if p in set(kept["texture.pattern"])]]
        .reset_index()
    )
    all_textures = accuracy(kept).iloc[0]

    def share(group: pd.DataFrame, pattern: str | None) -> float:
        classes = ANIMALS if pattern is None else TEXTURE_CLASSES[pattern]
        return float(group["pred_top1"].isin(classes).mean())

    table = per_texture.assign(
        top1_after=[acc_cell(r) for _, r in per_texture.iterrows()],
        drop=[f"{1 - r['top1']:.0%}" for _, r in per_texture.iterrows()],
        animal_class=[f"{share(kept[kept['texture.pattern'] == p], None):.0%}" for p in per_texture["texture.pattern"]],
        texture_class=[
            f"{share(kept[kept['texture.pattern'] == p], p):.0%}" if TEXTURE_CLASSES[p] else "n/a"
            for p in per_texture["texture.pattern"]
        ],
        top_predictions=[
            ", ".join(
                f"{name} ({count})"
                for name, count in kept[kept["texture.pattern"] == p]["pred_top1_name"].value_counts().head(3).items()
            )
            for p in per_texture["texture.pattern"]
        ],
    )[["texture.pattern", "n", "top1_after", "drop", "animal_class", "texture_class", "top_predictions"]]
    say("\nOn viewpoints whose original render is correct: accuracy after the swap, relative drop, share of")
    say("predictions that are an ImageNet animal class / the texture's own animal, top predictions:\n")
    say(markdown(table))
    say(
        f"\nall textures together: top-1 {acc_cell(all_textures)} (drop {1 - all_textures['top1']:.0%}); "
        f"animal-class predictions {share(kept, None):.0%}"
    )
    mug = kept[kept["object"] == "coffee_mug"]
    if len(mug):
        strict = int((mug["pred_top1_name"] == "coffee mug").sum())
        low, high = wilson_interval(strict, len(mug))
        say(
            f"coffee_mug counting only 'coffee mug' (not 'cup') as correct: {fmt(strict / len(mug), low, high)} "
            f"(n = {len(mug)}); all objects then {fmt(*_strict_all(kept))}"
        )
    per_obj = accuracy(kept, "object")
    per_obj = per_obj.assign(
        top1_after=[acc_cell(r) for _, r in per_obj.iterrows()],
        top_predictions=[
            ", ".join(
                f"{n} ({c})" for n, c in kept[kept["object"] == o]["pred_top1_name"].value_counts().head(3).items()
            )
            for o in per_obj["object"]
        ],
    )
    say("\nPer object (all textures):\n")
    say(markdown(per_obj[["object", "n", "top1_after", "top_predictions"]]))

    figure, axes = plt.subplots(figsize=(6, 3.6))
    y = per_texture["top1"].to_numpy(float)
    err = np.vstack([y - per_texture["top1_low"], per_texture["top1_high"] - y])
    axes.bar(per_texture["texture.pattern"], y, yerr=err, capsize=4, color="#4c72b0")
    axes.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("top-1 on previously-correct viewpoints")
    axes.set_title("accuracy after the texture swap (95% Wilson)")
    axes.grid(alpha=0.3, axis="y")
    save(figure, out, "texture_accuracy.png")

    counts = prediction_distribution(kept, by="texture.pattern", failures_only=False, top=4)
    objects_counts = prediction_distribution(kept, by="object", failures_only=False, top=4)
    groups = [("texture.pattern", g, counts) for g in per_texture["texture.pattern"]] + [
        ("object", g, objects_counts) for g in per_obj["object"]
    ]
    cols = 7
    figure, grid = plt.subplots(
        int(np.ceil(len(groups) / cols)), cols, figsize=(2.6 * cols, 2.3 * np.ceil(len(groups) / cols))
    )
    for axes, (column, group, table_) in zip(grid.flat, groups, strict=False):
        part = table_[table_[column] == group]
        axes.barh(
            part["pred_top1_name"].str.slice(0, 18)[::-1],
            part["share"][::-1],
            color="#dd8452" if column == "object" else "#4c72b0",
        )
        axes.set_xlim(0, 1)
        axes.set_title(f"{'texture' if column != 'object' else 'object'}: {group}", fontsize=9)
        axes.tick_params(labelsize=7)
    for axes in list(grid.flat)[len(groups) :]:
        axes.axis("off")
    save(figure, out, "texture_predictions.png")


def _strict_all(kept: pd.DataFrame) -> tuple[float, float, float]:
    """Top-1 over all swapped renders when the mug's 'cup' predictions count as wrong."""
    correct = kept["correct_top1"].astype(bool) & ~(
        (kept["object"] == "coffee_mug") & (kept["pred_top1_name"] != "coffee mug")
    )
    low, high = wilson_interval(int(correct.sum()), len(kept))
    return float(correct.mean()), float(low), float(high)


# ---------------------------------------------------------------- 3. orientation
def orientation(frame: pd.DataFrame, out: Path) -> None:
    rows = frame[frame["error"].isna()].copy()
    overall = accuracy(rows).iloc[0]
    say(f"overall top-1 {acc_cell(overall)} (n = {int(overall['n'])}); clean-pose accuracy in README: 1.00 for all")
    columns = {
        "yaw": "orientation.yaw",
        "pitch": "orientation.pitch",
        "roll": "orientation.roll",
        "zoom": "camera.zoom",
    }
    for key, column in columns.items():
        rows[f"{key}_bin"] = bin_parameter(rows[column], 4, kind="continuous")

    figure, panels = plt.subplots(1, 4, figsize=(16, 4.2), sharey=True)
    objects = per_object(rows)["object"].tolist()[::-1]
    for axes, key in zip(panels, columns, strict=True):
        table = rows.groupby(["object", f"{key}_bin"], observed=True)["correct_top1"].mean().unstack()
        axes.boxplot([table.loc[o].dropna() for o in objects], tick_labels=objects)
        axes.set_title(f"spread over 4 {key} bins (n = 8 each)")
        axes.tick_params(axis="x", rotation=60)
        axes.grid(alpha=0.3, axis="y")
    panels[0].set_ylabel("top-1 accuracy")
    save(figure, out, "orientation_boxplots.png")

    figure, panels = plt.subplots(1, 3, figsize=(17, 4.6), layout="constrained")
    for axes, (first, second) in zip(panels, [("yaw", "pitch"), ("pitch", "roll"), ("pitch", "zoom")], strict=True):
        pivot = interaction_table(rows, columns[first], columns[second], bins=4)
        n = interaction_table(rows, columns[first], columns[second], bins=4, value="n")
        image = axes.imshow(pivot.to_numpy(float), cmap="RdYlGn", vmin=0, vmax=1, origin="lower")
        axes.set_xticks(range(pivot.shape[1]), pivot.columns.astype(str), rotation=20, fontsize=8)
        axes.set_yticks(range(pivot.shape[0]), pivot.index.astype(str), fontsize=8)
        axes.set_xlabel(columns[second])
        axes.set_ylabel(columns[first])
        for (i, j), value in np.ndenumerate(pivot.to_numpy(float)):
            if np.isfinite(value):
                axes.text(j, i, f"{value:.2f}\n(n={int(n.iloc[i, j])})", ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=list(panels), label="top-1 accuracy (all objects)")
    figure.savefig(out / "orientation_heatmaps.png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    print(f"  wrote {out / 'orientation_heatmaps.png'}")

    groups = {"spheres (" + ", ".join(SPHERES) + ")": SPHERES, "uneven (" + ", ".join(UNEVEN) + ")": UNEVEN}
    figure, panels = plt.subplots(1, 3, figsize=(14, 3.6), sharey=True)
    say("\nAccuracy by bin, spheres vs uneven objects (95% Wilson):\n")
    summary = []
    for axes, key in zip(panels, ["yaw", "pitch", "zoom"], strict=True):
        for label, members in groups.items():
            part = rows[rows["object"].isin(members)]
            table = accuracy(part, f"{key}_bin")
            y = table["top1"].to_numpy(float)
            err = np.vstack([y - table["top1_low"], table["top1_high"] - y])
            axes.errorbar(range(len(table)), y, yerr=err, fmt="o-", capsize=3, label=label.split(" (")[0])
            for _, r in table.iterrows():
                summary.append(
                    {
                        "group": label.split(" (")[0],
                        "parameter": columns[key],
                        "bin": r[f"{key}_bin"],
                        "n": int(r["n"]),
                        "top1": acc_cell(r),
                    }
                )
        axes.set_xticks(range(len(table)), [str(b) for b in table[f"{key}_bin"]], rotation=20, fontsize=8)
        axes.set_xlabel(columns[key])
        axes.set_ylim(0, 1.05)
        axes.grid(alpha=0.3)
    panels[0].set_ylabel("top-1 accuracy")
    panels[0].legend(fontsize=8)
    save(figure, out, "orientation_spheres.png")
    say(markdown(pd.DataFrame(summary)))

    per_obj = per_object(rows)
    ranges = {}
    for key in columns:
        table = rows.groupby(["object", f"{key}_bin"], observed=True)["correct_top1"].mean().unstack()
        ranges[f"{key} range"] = (table.max(axis=1) - table.min(axis=1)).round(2)
    per_obj = per_obj.assign(top1=[acc_cell(r) for _, r in per_obj.iterrows()]).merge(
        pd.DataFrame(ranges), left_on="object", right_index=True
    )
    say("\nPer object: top-1 over all poses, and max - min accuracy over 4 bins of each parameter (n = 8 per bin):\n")
    say(markdown(per_obj[["object", "n", "top1", *ranges]]))
    say(
        "\nMost frequent wrong predictions per object (all poses), and for uneven objects at the smallest zoom quartile:\n"
    )
    wrong = prediction_distribution(rows, by="object", top=5)
    say(markdown(wrong.assign(share=wrong["share"].round(2))))
    small = rows[rows["object"].isin(UNEVEN) & (rows["zoom_bin"].cat.codes == 0)]
    wrong = prediction_distribution(small, by="object", top=3)
    say("")
    say(markdown(wrong.assign(share=wrong["share"].round(2))))
    zoom = accuracy(rows, "zoom_bin")
    say("\nAll objects by zoom quartile:\n")
    say(markdown(zoom.assign(top1=[acc_cell(r) for _, r in zoom.iterrows()])[["zoom_bin", "n", "top1"]]))

    if "uv_visible" in rows.columns:
        shown = [o for o in ["coffee_mug", "teapot", "banana", "wine_bottle"] if o in set(rows["object"])]
        figure, panels = plt.subplots(1, len(shown), figsize=(4 * len(shown) + 1, 4.4), layout="constrained")
        for axes, name in zip(np.atleast_1d(panels), shown, strict=True):
            uv_map = uv_accuracy_map(rows, name, min_views=3)
            image = axes.imshow(
                uv_map.accuracy,
                origin="lower",
                extent=(0, 1, 0, 1),
                cmap="RdYlGn",
                vmin=0,
                vmax=1,
                interpolation="nearest",
            )
            axes.set_title(f"{name}: top-1 when visible\n({uv_map.samples} renders, cells seen >= 3 times)", fontsize=9)
            axes.set_xlabel("u")
            axes.set_ylabel("v")
            seen = uv_map.views >= 3
            if seen.any():
                say(
                    f"uv map {name}: {int(seen.sum())} of {seen.size} texture cells seen >= 3 times; accuracy over "
                    f"cells from {np.nanmin(uv_map.accuracy):.2f} to {np.nanmax(uv_map.accuracy):.2f}"
                )
            if name == "coffee_mug":
                for v, text in _mug_regions():
                    axes.axhline(v, color="black", linewidth=0.8, linestyle="--")
                    axes.text(0.01, v + 0.01, text, fontsize=7)
        figure.colorbar(image, ax=list(np.atleast_1d(panels)), label="top-1 accuracy")
        figure.savefig(out / "orientation_uv_maps.png", dpi=110, bbox_inches="tight")
        plt.close(figure)
        print(f"  wrote {out / 'orientation_uv_maps.png'}")
        if "coffee_mug" in shown:
            mug_interior(rows)


def _mug_regions() -> list[tuple[float, str]]:
    """Where the built-in mug's texture atlas changes part (v from its builder): the body is revolved
    from the underside centre up the outer wall, over the rim, down the inner wall and across the floor;
    the handle has the top of the atlas."""
    from assets.builders.containers import BODY_V, mug_profile
    from assets.builders.geometry import arc_length_param

    profile, rim_v = mug_profile()
    v = arc_length_param(profile) * BODY_V
    radius, height = profile[:, 0], profile[:, 1]
    wall = v[np.argmax(radius >= radius.max() - 1e-9)]
    floor = v[np.flatnonzero(np.isclose(height, height[-1]))[0]]
    return [
        (0.0, "underside"),
        (wall, "outer wall"),
        (rim_v * BODY_V, "inner wall"),
        (floor, "floor"),
        (BODY_V, "handle"),
    ]


def mug_interior(rows: pd.DataFrame, min_pixels: int = 50) -> None:
    """Mug accuracy with and without its inside (inner wall and floor) in view, from `uv_visible`."""
    from simulator.measurements import UV_GRID, decode_uv_visible

    regions = dict((text, v) for v, text in _mug_regions())
    low, high = regions["inner wall"], regions["handle"]
    cell_low, cell_high = np.arange(UV_GRID) / UV_GRID, (np.arange(UV_GRID) + 1) / UV_GRID

    def within(start: float, stop: float) -> np.ndarray:  # grid rows lying wholly inside [start, stop]
        return (cell_low >= start - 1e-9) & (cell_high <= stop + 1e-9)

    inside_rows = within(low, high)
    mug = rows[(rows["object"] == "coffee_mug") & rows["uv_visible"].notna()].copy()
    mug["interior visible"] = [int(decode_uv_visible(b)[inside_rows].sum()) >= min_pixels for b in mug["uv_visible"]]
    rows.loc[mug.index, "interior visible"] = mug["interior visible"]
    table = accuracy(mug, "interior visible")
    say(f"\ncoffee_mug with its interior in view (>= {min_pixels} pixels of inner wall or floor) or not:\n")
    say(markdown(table.assign(top1=[acc_cell(r) for _, r in table.iterrows()])[["interior visible", "n", "top1"]]))
    bounds = sorted(regions.items(), key=lambda item: item[1]) + [("end", 1.0)]
    parts = []
    counts = np.stack([decode_uv_visible(b) for b in mug["uv_visible"]])
    for (name, start), (_, stop) in zip(bounds[:-1], bounds[1:], strict=True):
        band = within(start, stop)
        seen = counts[:, band, :].sum(axis=(1, 2)) >= min_pixels
        for flag in (True, False):
            part = mug[seen == flag]
            if len(part):
                r = accuracy(part).iloc[0]
                parts.append({"part of the mug": name, "in view": flag, "n": int(r["n"]), "top1": acc_cell(r)})
    say(f"\ncoffee_mug accuracy by whether each part of its surface is in view (>= {min_pixels} pixels):\n")
    say(markdown(pd.DataFrame(parts)))


def mug_surface(frame: pd.DataFrame, out: Path) -> None:
    rows = frame[frame["error"].isna()].copy()
    overall = accuracy(rows).iloc[0]
    say(f"coffee_mug top-1 over all views {acc_cell(overall)} (n = {int(overall['n'])})")
    elevation = sensitivity(rows, "camera.elevation", bins=5)
    say("\nBy camera elevation (negative: from below):\n")
    say(markdown(elevation.assign(top1=[acc_cell(r) for _, r in elevation.iterrows()])[["condition", "n", "top1"]]))
    mug_interior(rows)
    wrong = prediction_distribution(rows.assign(interior=rows["interior visible"]), by="interior", top=4)
    say("\nMost frequent wrong predictions, by whether the interior is in view:\n")
    say(markdown(wrong.assign(share=wrong["share"].round(2))))

    uv_map = uv_accuracy_map(rows, "coffee_mug", min_views=3)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.9), layout="constrained")
    image = left.imshow(
        uv_map.accuracy, origin="lower", extent=(0, 1, 0, 1), cmap="RdYlGn", vmin=0, vmax=1, interpolation="nearest"
    )
    for v, text in _mug_regions():
        left.axhline(v, color="black", linewidth=0.8, linestyle="--")
        left.text(0.01, v + 0.01, text, fontsize=7)
    left.set_xlabel("u (around the mug; handle side at u = 0.75)")
    left.set_ylabel("v")
    left.set_title(f"coffee_mug: top-1 when this part is visible ({uv_map.samples} renders)", fontsize=9)
    figure.colorbar(image, ax=left, label="top-1 accuracy")
    y = elevation["top1"].to_numpy(float)
    err = np.vstack([y - elevation["top1_low"], elevation["top1_high"] - y])
    right.errorbar(range(len(elevation)), y, yerr=err, fmt="o-", capsize=3)
    right.set_xticks(range(len(elevation)), [str(b) for b in elevation["bin"]], rotation=15, fontsize=8)
    right.set_xlabel("camera.elevation (deg; negative = from below)")
    right.set_ylabel("top-1 (95% Wilson)")
    right.set_ylim(0, 1.05)
    right.grid(alpha=0.3)
    figure.savefig(out / "mug_surface.png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    print(f"  wrote {out / 'mug_surface.png'}")


# ---------------------------------------------------------------- 4. mug liquid
def accepted_everywhere(filled: pd.DataFrame, views: list[str]) -> tuple[int, int]:
    """Viewpoints at which every liquid's render is classified correctly (top-1), and all viewpoints."""
    correct = filled.groupby(views)["correct_top1"].all()
    return int(correct.sum()), len(correct)


def mug_liquid(frame: pd.DataFrame, out: Path) -> None:
    rows = frame[frame["error"].isna()].copy()
    if "liquid.mix" not in rows.columns:
        say("no liquid.mix column: not the mug_liquid experiment")
        return
    rows["liquid"] = rows["liquid.mix"].astype(str)
    views = ["camera.azimuth", "camera.elevation"]
    filled = rows[rows["liquid"] != "none"]

    def constant(part: pd.DataFrame) -> tuple[int, int]:
        distinct = part.groupby(views)["pred_top1_name"].nunique()
        return int((distinct == 1).sum()), len(distinct)

    for label, part in [("over the 7 liquids", filled), ("over the 7 liquids and the empty mug", rows)]:
        same, total = constant(part)
        low, high = wilson_interval(same, total)
        say(f"viewpoints with the same top-1 prediction {label}: {same} of {total} = {fmt(same / total, low, high)}")
    distinct = filled.groupby(views)["pred_top1_name"].nunique()
    say(f"distinct top-1 predictions per viewpoint over the liquids: mean {distinct.mean():.2f}, max {distinct.max()}")
    same, total = accepted_everywhere(filled, views)
    say(
        f"viewpoints where every liquid's top-1 is an accepted label (coffee mug or cup): {same} of {total} = "
        f"{fmt(same / total, *wilson_interval(same, total))}"
    )
    wrong = rows[~rows["correct_top1"].astype(bool)]
    if len(wrong):
        say("\nWrong top-1 predictions (all of them) by liquid, camera elevation and class:\n")
        say(
            markdown(
                wrong.groupby(["liquid", "camera.elevation", "pred_top1_name"]).size().rename("count").reset_index()
            )
        )
    by_elevation = []
    for elevation, part in rows.groupby("camera.elevation"):
        same, total = constant(part[part["liquid"] != "none"])
        low, high = wilson_interval(same, total)
        top = part["pred_top1_name"].value_counts()
        by_elevation.append(
            {
                "camera.elevation": elevation,
                "stable viewpoints": f"{same} of {total}",
                "top-1 (all liquids)": acc_cell(accuracy(part).iloc[0]),
                "most frequent predictions": ", ".join(f"{n} ({c})" for n, c in top.head(3).items()),
            }
        )
    say("\nBy camera elevation (8 azimuths each; all 8 liquid settings):\n")
    say(markdown(pd.DataFrame(by_elevation)))
    lowest = rows[rows["camera.elevation"] == rows["camera.elevation"].min()]
    say(f"\nTop-1 counts per liquid at the lowest elevation ({lowest['camera.elevation'].min():g} deg):\n")
    say(markdown(pd.crosstab(lowest["liquid"], lowest["pred_top1_name"]).reset_index()))
    order = [
        m
        for m in ["none", "water", "milky_water", "milk", "latte", "cafe_au_lait", "weak_coffee", "coffee"]
        if m in set(rows["liquid"])
    ]
    acc = accuracy(rows, "liquid").set_index("liquid").loc[order].reset_index()
    share_mug = rows.groupby("liquid")["pred_top1_name"].apply(lambda p: (p == "coffee mug").mean())
    say("\nPer liquid (accepted classes: coffee mug, cup):\n")
    say(
        markdown(
            acc.assign(
                top1=[acc_cell(r) for _, r in acc.iterrows()],
                top5=[acc_cell(r, "topk") for _, r in acc.iterrows()],
                coffee_mug_share=[f"{share_mug[m]:.2f}" for m in acc["liquid"]],
            )[["liquid", "n", "top1", "top5", "coffee_mug_share"]]
        )
    )
    counts = pd.crosstab(rows["liquid"], rows["pred_top1_name"], normalize="index").loc[order]
    counts = counts[counts.sum().sort_values(ascending=False).index[:8]]
    say("\nShare of top-1 predictions per liquid (8 most frequent classes; rows sum to <= 1):\n")
    say(markdown(counts.round(2).reset_index()))
    figure, axes = plt.subplots(figsize=(1.0 * counts.shape[1] + 3, 0.45 * counts.shape[0] + 2), layout="constrained")
    image = axes.imshow(counts.to_numpy(float), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    axes.set_xticks(range(counts.shape[1]), counts.columns, rotation=45, ha="right")
    axes.set_yticks(range(counts.shape[0]), counts.index)
    for (i, j), value in np.ndenumerate(counts.to_numpy(float)):
        axes.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color="white" if value < 0.5 else "black")
    figure.colorbar(image, ax=axes, label="share of the liquid's renders")
    axes.set_title("top-1 prediction by liquid (rows normalised, as 3DB Fig. 6.14a)")
    save(figure, out, "mug_liquid_predictions.png")

    grid = filled.pivot_table(
        index="camera.elevation", columns="camera.azimuth", values="pred_top1_name", aggfunc="nunique"
    )
    figure, axes = plt.subplots(figsize=(7, 3.2), layout="constrained")
    top = max(3, float(np.nanmax(grid.to_numpy(float))))
    image = axes.imshow(grid.to_numpy(float), cmap="YlOrRd", vmin=1, vmax=top, origin="lower")
    axes.set_xticks(range(grid.shape[1]), [f"{a:g}" for a in grid.columns])
    axes.set_yticks(range(grid.shape[0]), [f"{e:g}" for e in grid.index])
    axes.set_xlabel("camera.azimuth")
    axes.set_ylabel("camera.elevation")
    for (i, j), value in np.ndenumerate(grid.to_numpy(float)):
        axes.text(
            j,
            i,
            f"{int(value)}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if value >= top - 0.5 else "black",
        )
    figure.colorbar(image, ax=axes, label="distinct top-1 classes")
    axes.set_title("distinct top-1 classes over the 7 liquids (1 = stable)", fontsize=10)
    save(figure, out, "mug_liquid_stability.png")

    try:  # one viewpoint with saved images: mug_liquid_examples.yaml
        saved = load(Path(frame.attrs["root"]).parent / "mug_liquid_examples")
    except ResultsNotFoundError:
        saved = rows.iloc[0:0]
    examples = saved[saved["image_path"].notna() & saved["error"].isna()].assign(
        liquid=lambda f: f["liquid.mix"].astype(str)
    )
    if len(examples):
        from PIL import Image

        frame = saved

        view = examples.groupby(views).size().index[0]
        picks = examples[(examples[views[0]] == view[0]) & (examples[views[1]] == view[1])]
        picks = picks.set_index("liquid").loc[[m for m in order if m in set(picks["liquid"])]].reset_index()
        figure, grid_axes = plt.subplots(1, len(picks), figsize=(1.8 * len(picks), 2.2))
        for axes, (_, row) in zip(np.atleast_1d(grid_axes), picks.iterrows(), strict=True):
            with Image.open(Path(frame.attrs["root"]) / row["image_path"]) as picture:
                axes.imshow(np.asarray(picture))
            axes.set_title(
                f"{row['liquid']}\n{row['pred_top1_name']}", fontsize=8, color="green" if row["correct_top1"] else "red"
            )
            axes.axis("off")
        save(figure, out, "mug_liquid_examples.png", dpi=80)


# ---------------------------------------------------------------- mug studies without denoising
def denoise_comparison(results: Path, out: Path, studies: list[str]) -> None:
    """The mug studies as first run without denoising (`<study>_noisy` folders, if kept): their headline
    numbers, and a before/after strip of mug_liquid_examples (`mug_denoise.png`)."""
    for study in [s for s in ("mug_surface", "mug_liquid") if s in studies]:
        try:
            frame = load(results / f"{study}_noisy")
        except ResultsNotFoundError:
            continue
        rows = frame[frame["error"].isna()].copy()
        overall = accuracy(rows).iloc[0]
        say(f"\n## {study}_noisy (the same experiment without denoising): {len(frame)} rows")
        say(f"top-1 over all renders {acc_cell(overall)} (n = {int(overall['n'])})")
        espresso = (rows["pred_top1_name"] == "espresso").mean()
        say(f"share of 'espresso' among top-1 predictions: {espresso:.2f}")
        if study == "mug_surface":
            mug_interior(rows)
        elif "liquid.mix" in rows.columns:
            views = ["camera.azimuth", "camera.elevation"]
            filled = rows[rows["liquid.mix"].astype(str) != "none"]
            distinct = filled.groupby(views)["pred_top1_name"].nunique()
            same, total = int((distinct == 1).sum()), len(distinct)
            say(
                f"viewpoints with the same top-1 prediction over the 7 liquids: {same} of {total} = "
                f"{fmt(same / total, *wilson_interval(same, total))}"
            )
            same, total = accepted_everywhere(filled, views)
            say(
                f"viewpoints where every liquid's top-1 is an accepted label (coffee mug or cup): {same} of {total} = "
                f"{fmt(same / total, *wilson_interval(same, total))}"
            )
            liquid = rows["liquid.mix"].astype(str)
            per_liquid = rows.assign(liquid=liquid).groupby("liquid")
            say(
                "per liquid, top-1 / share 'espresso': "
                + ", ".join(
                    f"{m} {part['correct_top1'].mean():.2f} / {(part['pred_top1_name'] == 'espresso').mean():.2f}"
                    for m, part in per_liquid
                )
            )
            table = accuracy(rows.assign(elevation=rows["camera.elevation"]), "elevation")
            say("\nTop-1 by camera elevation (all 8 liquid settings):\n")
            say(markdown(table.assign(top1=[acc_cell(r) for _, r in table.iterrows()])[["elevation", "n", "top1"]]))
    if "mug_liquid" not in studies:
        return
    try:
        before, after = load(results / "mug_liquid_examples_noisy"), load(results / "mug_liquid_examples")
    except ResultsNotFoundError:
        return
    from PIL import Image

    order = ["none", "water", "milky_water", "milk", "latte", "cafe_au_lait", "weak_coffee", "coffee"]
    figure, grid_axes = plt.subplots(2, len(order), figsize=(1.8 * len(order), 4.6))
    for r, (frame, title) in enumerate([(before, "no denoising"), (after, "denoised")]):
        picks = frame[frame["image_path"].notna()].assign(liquid=lambda f: f["liquid.mix"].astype(str))
        picks = picks.set_index("liquid")
        for axes, liquid in zip(grid_axes[r], order, strict=True):
            axes.set_xticks([])
            axes.set_yticks([])
            if liquid not in picks.index:
                continue
            row = picks.loc[liquid]
            with Image.open(Path(frame.attrs["root"]) / row["image_path"]) as picture:
                axes.imshow(np.asarray(picture))
            axes.set_title(
                f"{liquid}\n{row['pred_top1_name']}", fontsize=8, color="green" if row["correct_top1"] else "red"
            )
        grid_axes[r, 0].set_ylabel(f"32 spp, {title}", fontsize=9)
    save(figure, out, "mug_denoise.png", dpi=80)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "results" / "case_studies")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "case_studies")
    parser.add_argument(
        "studies", nargs="*", default=["background", "texture", "orientation", "mug_surface", "mug_liquid"]
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    studies = {
        "background": background,
        "texture": texture,
        "orientation": orientation,
        "mug_surface": mug_surface,
        "mug_liquid": mug_liquid,
    }
    for name in args.studies:
        frame = try_load(args.results, name)
        if frame is not None:
            studies[name](frame, args.out)
    denoise_comparison(args.results, args.out, args.studies)
    (args.out / "numbers.md").write_text(
        "<!-- written by examples/case_studies/figures.py; do not edit by hand -->\n" + "\n".join(lines) + "\n"
    )
    print(f"  wrote {args.out / 'numbers.md'}")


if __name__ == "__main__":
    main()

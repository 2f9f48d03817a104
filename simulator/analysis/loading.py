"""Load a results folder into a DataFrame, and find which of its columns are control parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from simulator.analysis.errors import ResultsNotFoundError
from simulator.results.reader import read_results

# Columns of the results schema that are not control parameters, even when their name has a dot.
__all__ = ["SCHEMA_COLUMNS", "ResultsNotFoundError", "declared_kinds", "evaluated", "load", "parameter_columns"]

SCHEMA_COLUMNS = frozenset(
    "experiment id seed object environment renderer label label_names pred_top1 pred_top1_name pred_topk "
    "pred_topk_names prob_topk true_prob loss correct_top1 correct_topk render_s infer_s worker finished_at "
    "image_path error".split()
)


def load(results_dir: str | Path) -> pd.DataFrame:
    """All rows of a results folder: the output folder of `robustsim run` or its `results/` subfolder.

    `frame.attrs["root"]` is the output folder, which saved `image_path`s are relative to;
    `frame.attrs["parameter_kinds"]` says which parameters the experiment declared continuous or
    discrete (from `experiment.json`; binning uses it).
    Raises ResultsNotFoundError when the folder does not exist or holds no part files.
    """
    path = Path(results_dir)
    if not path.is_dir():
        raise ResultsNotFoundError(f"no results folder at {path}")
    if (path / "results").is_dir() and not any(path.glob("part-*.parquet")):
        root, parts = path, path / "results"
    else:
        root, parts = (path.parent if path.name == "results" else path), path
    frame = read_results(parts)
    if frame.empty:
        raise ResultsNotFoundError(f"no results in {path} (expected results/part-*.parquet written by `robustsim run`)")
    frame.attrs["root"] = str(root.resolve())
    frame.attrs["parameter_kinds"] = declared_kinds(root / "experiment.json")
    frame.attrs["objective"] = declared_objective(root / "experiment.json")
    return frame


def declared_objective(experiment_json: Path) -> str:
    """The column the experiment's search minimised (`policy.objective`), `margin` when not readable."""
    try:
        objective = json.loads(Path(experiment_json).read_text())["policy"]["objective"]
    except (OSError, ValueError, KeyError, TypeError):
        return "margin"
    if isinstance(objective, dict) and isinstance(objective.get("disagreement"), list) and len(objective["disagreement"]) == 2:
        return "disagreement ({} right, {} wrong)".format(*map(str, objective["disagreement"]))
    if isinstance(objective, dict):
        return str(objective.get("column", "margin"))
    return objective if isinstance(objective, str) else "margin"


def declared_kinds(experiment_json: Path) -> dict[str, str]:
    """`{column: "continuous" | "discrete"}` for the parameters the experiment declared as a range
    (`{min, max}`) or as `{choices: [...]}`; empty when the file is missing or unreadable."""
    try:
        controls = json.loads(Path(experiment_json).read_text()).get("controls") or []
    except (OSError, ValueError, AttributeError):
        return {}
    kinds = {}
    for control in controls:
        if not isinstance(control, dict):
            continue
        prefix = control.get("name") or control.get("type")
        for parameter, spec in control.items():
            if isinstance(spec, dict) and "choices" in spec:
                kinds[f"{prefix}.{parameter}"] = "discrete"
            elif isinstance(spec, dict) and ("min" in spec or "max" in spec):
                kinds[f"{prefix}.{parameter}"] = "continuous"
    return kinds


POLICY_PREFIXES = ("boundary.",)  # columns a policy notes on its samples (policies/boundary.py), not parameters


def parameter_columns(frame: pd.DataFrame, varying_only: bool = True) -> list[str]:
    """The `<control>.<parameter>` columns, in frame order; with `varying_only`, those with 2+ distinct values."""
    columns = [c for c in frame.columns if "." in c and c not in SCHEMA_COLUMNS and not c.startswith(POLICY_PREFIXES)]
    if varying_only:
        columns = [c for c in columns if frame[c].nunique(dropna=True) > 1]
    return columns


def evaluated(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows that were rendered and judged (no `error`)."""
    return frame[frame["error"].isna()] if "error" in frame.columns else frame

"""robustsim: simulator/analysis. Tables, sensitivity, failure modes and the HTML report of a results folder.

The public functions are importable from here (`from simulator.analysis import load, rank_controls`);
their modules (named differently from the functions) are imported on first use, so that `import simulator.analysis.errors` stays cheap.
See docs/analysis.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "load": "loading",
    "parameter_columns": "loading",
    "ResultsNotFoundError": "errors",
    "binning": "bins",
    "bin_parameter": "bins",
    "declared_kind": "bins",
    "accuracy": "tables",
    "per_object": "tables",
    "per_environment": "tables",
    "object_environment": "tables",
    "environment_summary": "tables",
    "sensitivity": "effects",
    "rank_controls": "effects",
    "interaction": "interactions",
    "interaction_table": "interactions",
    "prediction_distribution": "predictions",
    "failure_gallery": "gallery",
    "failure_modes": "modes",
    "query": "sql",
    "accuracy_sql": "sql",
    "uv_accuracy_map": "surface",
    "UVAccuracy": "surface",
    "environment_complexity": "complexity",
    "complexity_accuracy": "complexity",
    "search_summary": "search",
    "distinct_failures": "search",
    "best_so_far": "search",
    "model_names": "comparison",
    "one_model": "comparison",
    "paired_verdicts": "comparison",
    "agreement_matrix": "comparison",
    "model_accuracy": "comparison",
    "paired_comparison": "comparison",
    "disagreement_conditions": "comparison",
    "detection_summary": "detection",
    "recall_by_visibility": "detection",
    "render_report": "report",
    "write_report": "report",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)

"""The Parquet schema of a results dataset: one row per (sample, model), typed columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from simulator.search_space import Dimension

_KIND_TYPES = {"float": pa.float64(), "int": pa.int64(), "str": pa.string(), "bool": pa.bool_()}

IDENTITY_COLUMNS: dict[str, pa.DataType] = {
    "experiment": pa.string(),
    "id": pa.string(),
    "seed": pa.int64(),
    "object": pa.string(),
    "environment": pa.string(),
    "renderer": pa.string(),
    "model": pa.string(),  # which model judged the render: one row per (sample, model)
}
LABEL_COLUMNS: dict[str, pa.DataType] = {
    "label": pa.list_(pa.int64()),  # accepted classes, as ids into the model's classes (ImageNet's by default)
    "label_names": pa.list_(pa.string()),
}
SEARCH_COLUMNS: dict[str, pa.DataType] = {
    "ask_index": pa.int64(),  # position of the sample in its (object, environment) pair's ask stream
    "objective": pa.float64(),  # what the search minimises (lower is worse for the model); null if failed
}
RUN_COLUMNS: dict[str, pa.DataType] = {
    "render_s": pa.float64(),
    "infer_s": pa.float64(),
    "worker": pa.string(),
    "finished_at": pa.timestamp("us", tz="UTC"),
    "image_path": pa.string(),
    "error": pa.string(),
}


def measured_columns(controls: Iterable[Any]) -> dict[str, pa.DataType]:
    """`<control name>.<quantity>` for what controls measure on their renders.

    A control measures by declaring `measures = {quantity: kind}` (kind as for parameters) and
    overriding `Control.measure(channels, values) -> {quantity: value}`, called on every render.
    """
    return {
        f"{control.name}.{quantity}": _KIND_TYPES[kind]
        for control in controls
        for quantity, kind in control.measures.items()
    }


def results_schema(
    dimensions: tuple[Dimension, ...],
    evaluator_columns: Mapping[str, pa.DataType],
    measured: Mapping[str, pa.DataType] | None = None,
    policy_columns: Mapping[str, pa.DataType] | None = None,
) -> pa.Schema:
    """identity, `<control>.<param>` columns, measured columns, labels, evaluator columns, the search's
    columns (ask order, objective, what the policy notes), timings and error."""
    params = {d.key: _KIND_TYPES[d.spec.kind] for d in dimensions}
    columns = {
        **IDENTITY_COLUMNS,
        **params,
        **(measured or {}),
        **LABEL_COLUMNS,
        **evaluator_columns,
        **SEARCH_COLUMNS,
        **(policy_columns or {}),
        **RUN_COLUMNS,
    }
    return pa.schema([pa.field(name, dtype, nullable=True) for name, dtype in columns.items()])

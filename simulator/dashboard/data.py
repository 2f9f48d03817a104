"""The dashboard's view of a results folder: columns as arrays, every parameter binned once per load,
reloaded (new part files only) when the folder's part list changes."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulator.analysis.bins import binning
from simulator.analysis.errors import ResultsNotFoundError
from simulator.analysis.loading import SCHEMA_COLUMNS, declared_kinds
from simulator.results.reader import read_parts as read_results_parts
from simulator.results.reader import readable_parts

logger = logging.getLogger(__name__)

# Columns the dashboard reads; parameter columns (`<control>.<parameter>`) are added to these.
BASE_COLUMNS = ("id", "model", "object", "environment", "pred_top1_name", "true_prob", "correct_top1", "correct_topk", "error")
EMPTY = pa.table(
    {
        name: pa.array(
            [], pa.float64() if name == "true_prob" else pa.bool_() if name.startswith("correct") else pa.string()
        )
        for name in BASE_COLUMNS
    }
)


@dataclass(frozen=True)
class Dimension:
    """One axis a view can be cut along: `object`, `environment` or a binned parameter.

    `codes[i]` is row i's bin (-1 where the value is missing), `labels` name the bins in order.
    """

    name: str
    kind: str  # "continuous" | "discrete"
    labels: list[str]
    codes: np.ndarray
    edges: list[float] | None = None

    def describe(self) -> dict:
        """The dimension for the page: name, kind, bin labels and edges (continuous only)."""
        return {"name": self.name, "kind": self.kind, "labels": self.labels, "edges": self.edges}


@dataclass(frozen=True)
class Snapshot:
    """Everything loaded at one moment; never changed after it is built (requests share it across threads)."""

    version: int
    parts: int
    table: pa.Table  # the rows as read, in one chunk (fast `take`), for sample lists
    dimensions: dict[str, Dimension]  # "object", "environment", then the varying parameters in column order
    parameters: list[str]
    evaluated: np.ndarray  # bool: rendered and judged (no `error`)
    correct_top1: np.ndarray  # bool, False where not evaluated
    correct_topk: np.ndarray
    true_prob: np.ndarray  # float, NaN where missing
    experiment: dict = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.table.num_rows


def results_folders(results_dir: str | Path) -> tuple[Path, Path]:
    """(output folder, folder of part files) for the output folder of `robustsim run` or its `results/`."""
    path = Path(results_dir)
    if not path.is_dir():
        raise ResultsNotFoundError(f"no results folder at {path}")
    if path.name == "results" and not (path / "results").is_dir():
        return path.parent.resolve(), path.resolve()
    return path.resolve(), (path / "results").resolve()


PartFile = tuple[str, int, int]  # name, modification time (ns), size: a part rewritten in place differs


def part_files(parts_dir: Path) -> tuple[PartFile, ...]:
    """The finished part files, sorted (writers rename a part into place when it is whole; `--retry-failed`
    rewrites parts in place, which changes their time and size)."""
    try:
        entries = list(os.scandir(parts_dir))
    except FileNotFoundError:
        return ()
    found = []
    for entry in entries:
        if entry.name.startswith("part-") and entry.name.endswith(".parquet"):
            try:
                stat = entry.stat()
            except FileNotFoundError:  # replaced or removed since the listing
                continue
            found.append((entry.name, stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(found))


class ResultsSource:
    """A results folder that may still be growing; `snapshot()` is current as of the last part file."""

    def __init__(self, results_dir: str | Path, bins: int = 4, method: str = "quantile") -> None:
        self.root, self.parts_dir = results_folders(results_dir)
        self.images_dir = self.root / "images"
        self.bins, self.method = bins, method
        self._lock = threading.Lock()
        self._files: tuple[PartFile, ...] = ()
        self._table = EMPTY
        self._snapshot = self._build(0, 0)

    def snapshot(self) -> Snapshot:
        """The current snapshot, after reading any part files written since the last call."""
        if part_files(self.parts_dir) == self._files:
            return self._snapshot
        with self._lock:
            files = part_files(self.parts_dir)
            if files != self._files:
                self._update(files)
            return self._snapshot

    def _update(self, files: tuple[PartFile, ...]) -> None:
        known = set(self._files)
        if not known.issubset(files):  # parts were removed or rewritten: start again
            known, self._table = set(), EMPTY
        new = [name for name, *_ in (part for part in files if part not in known)]
        try:
            added = read_parts([self.parts_dir / name for name in new])
        except FileNotFoundError:
            logger.info("a part file disappeared while reading %s; will retry", self.parts_dir)
            return
        table = pa.concat_tables([self._table, added], promote_options="permissive") if known else added
        self._table = table.combine_chunks()
        self._snapshot = self._build(self._snapshot.version + 1, len(files))
        self._files = files  # last: a reader that sees the new list finds the new snapshot
        logger.info("read %d new part file(s): %d rows in %d parts", len(new), self._table.num_rows, len(files))

    def _build(self, version: int, parts: int) -> Snapshot:
        config = self.root / "experiment.json"
        kinds = declared_kinds(config)
        return build_snapshot(self._table, version, parts, _read_json(config), kinds, self.bins, self.method)


def read_parts(paths: list[Path]) -> pa.Table:
    """The dashboard's columns of these part files (the schema columns it uses, and every parameter column);
    unreadable parts are skipped with a warning (see `results.reader.read_parts`)."""
    readable = readable_parts(paths)
    if not readable:
        return EMPTY
    names = pq.read_schema(readable[0]).names
    columns = [c for c in names if c in BASE_COLUMNS or ("." in c and c not in SCHEMA_COLUMNS)]
    table = read_results_parts(readable, columns)
    return EMPTY if table is None else table


def build_snapshot(
    table: pa.Table, version: int, parts: int, experiment: dict, kinds: dict[str, str], bins: int, method: str
) -> Snapshot:
    """Bin every parameter that varies (kinds as declared in experiment.json) and take the arrays queries need.

    `table` should be in one chunk (`combine_chunks`), which keeps sample look-ups (`take`) fast. With
    several models (a `model` column), the dashboard shows the first model's rows (the first row's model).
    """
    table = first_model_rows(table)
    dimensions = {name: _category_dimension(table, name) for name in ("object", "environment")}
    parameters = []
    for column in table.column_names:
        if "." in column and column not in SCHEMA_COLUMNS:
            dimension = _parameter_dimension(column, table.column(column), bins, method, kinds.get(column))
            if len(dimension.labels) > 1:
                dimensions[column] = dimension
                parameters.append(column)
    evaluated = _array(table, "error", pc.is_null, np.ones(table.num_rows, dtype=bool))
    correct = {
        name: _array(table, name, lambda c: pc.fill_null(c, False), np.zeros(table.num_rows, dtype=bool)) & evaluated
        for name in ("correct_top1", "correct_topk")
    }
    true_prob = _array(table, "true_prob", lambda c: c.cast(pa.float64()), np.full(table.num_rows, np.nan))
    return Snapshot(
        version,
        parts,
        table,
        dimensions,
        parameters,
        evaluated,
        correct["correct_top1"],
        correct["correct_topk"],
        true_prob.astype(float),
        experiment,
    )


def first_model_rows(table: pa.Table) -> pa.Table:
    """The rows of the model of the first row, when the table has a `model` column (one row per sample and model)."""
    if "model" not in table.column_names or table.num_rows == 0:
        return table
    first = table.column("model")[0].as_py()
    return table if first is None else table.filter(pc.fill_null(pc.equal(table.column("model"), first), False))


def _category_dimension(table: pa.Table, column: str) -> Dimension:
    """One bin per distinct string, in sorted order (codes from Arrow's dictionary encoding)."""
    if column not in table.column_names or table.num_rows == 0:
        return Dimension(column, "discrete", [], np.full(table.num_rows, -1, dtype=np.int32))
    encoded = table.column(column).cast(pa.string()).combine_chunks().dictionary_encode()
    labels = encoded.dictionary.to_pylist()
    order = np.argsort(np.array(labels, dtype=object), kind="stable")
    rank = np.empty(len(labels), dtype=np.int32)
    rank[order] = np.arange(len(labels), dtype=np.int32)
    indices = encoded.indices.fill_null(-1).to_numpy()
    codes = np.where(indices >= 0, rank[np.maximum(indices, 0)], -1).astype(np.int32)
    return Dimension(column, "discrete", [str(labels[i]) for i in order], codes)


def _parameter_dimension(name: str, column: pa.ChunkedArray, bins: int, method: str, kind: str | None) -> Dimension:
    """`analysis.bins.binning` of a parameter column. Per-value bins are found on the distinct values
    (Arrow's dictionary encoding) and mapped back to the rows, which is much faster on many rows."""
    if kind != "continuous" and len(column):
        encoded = column.combine_chunks().dictionary_encode()
        per_value = binning(
            pd.Series(encoded.dictionary.to_numpy(zero_copy_only=False), name=name), bins, method, kind=kind
        )
        if per_value.discrete:
            indices = encoded.indices.fill_null(-1).to_numpy()
            codes = np.where(indices >= 0, per_value.codes[np.maximum(indices, 0)], -1)
            return Dimension(name, "discrete", per_value.labels, codes.astype(np.int32))
    binned = binning(pd.Series(column.to_numpy(), name=name), bins, method, kind=kind)
    if binned.discrete:  # values that are not numbers, or none at all
        return Dimension(name, "discrete", binned.labels, binned.codes.astype(np.int32))
    return Dimension(name, "continuous", binned.labels, binned.codes.astype(np.int32), [float(e) for e in binned.edges])


def _array(
    table: pa.Table, column: str, convert: Callable[[pa.ChunkedArray], pa.ChunkedArray], default: np.ndarray
) -> np.ndarray:
    """`convert(column)` as a numpy array, or `default` when the table has no such column."""
    if column not in table.column_names:
        return default
    return convert(table.column(column)).to_numpy()


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}

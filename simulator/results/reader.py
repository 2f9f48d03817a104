"""Read a results dataset (also while a run is still writing it).

A part file that cannot be read (truncated by a full disk, corrupted, replaced by something else) is
skipped with a warning naming it, so one bad file never hides, or stops, the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)


def part_paths(directory: Path) -> list[Path]:
    """The dataset's part files, sorted."""
    return sorted(Path(directory).glob("part-*.parquet"))


def readable_parts(paths: Sequence[Path]) -> list[Path]:
    """The parts whose Parquet footer reads; a warning names each one skipped."""
    readable = []
    for path in paths:
        try:
            pq.read_metadata(path)
        except FileNotFoundError:  # removed or replaced since it was listed
            continue
        except (OSError, pa.ArrowException) as error:
            logger.warning("skipping unreadable results part %s: %s", path, error)
            continue
        readable.append(path)
    return readable


def read_parts(paths: Sequence[Path], columns: list[str] | None = None) -> pa.Table | None:
    """The rows of the readable parts among `paths` (None when there are none). A part whose footer
    reads but whose data does not is skipped too: then each part is read on its own."""
    readable = readable_parts(paths)
    if not readable:
        return None
    try:
        return ds.dataset([str(p) for p in readable], format="parquet").to_table(columns=columns)
    except (OSError, pa.ArrowException):
        tables = [table for table in (_read_part(path, columns) for path in readable) if table is not None]
    return pa.concat_tables(tables, promote_options="permissive") if tables else None


def _read_part(path: Path, columns: list[str] | None) -> pa.Table | None:
    try:
        names = pq.read_schema(path).names
        return pq.read_table(path, columns=None if columns is None else [c for c in columns if c in names])
    except FileNotFoundError:
        return None
    except (OSError, pa.ArrowException) as error:
        logger.warning("skipping unreadable results part %s: %s", path, error)
        return None


def existing_ids(directory: Path) -> set[str]:
    """Sample ids already in the dataset (succeeded or failed)."""
    table = read_parts(part_paths(directory), columns=["id"])
    return set() if table is None else set(table.column("id").to_pylist())


def read_results(directory: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """All rows written so far as a DataFrame (empty if none)."""
    table = read_parts(part_paths(directory), columns=columns)
    return pd.DataFrame() if table is None else table.to_pandas()


def rows_by_sample(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Every stored row, grouped by sample id (a sample has one row per model)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in read_results(directory).to_dict("records"):
        grouped.setdefault(row["id"], []).append(row)
    return grouped

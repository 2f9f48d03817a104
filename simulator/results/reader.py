"""Read a results dataset (also while a run is still writing it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds


def _dataset(directory: Path) -> ds.Dataset | None:
    files = sorted(Path(directory).glob("part-*.parquet"))
    return ds.dataset([str(f) for f in files], format="parquet") if files else None


def existing_ids(directory: Path) -> set[str]:
    """Sample ids already in the dataset (succeeded or failed)."""
    dataset = _dataset(directory)
    if dataset is None:
        return set()
    return set(dataset.to_table(columns=["id"]).column("id").to_pylist())


def read_results(directory: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """All rows written so far as a DataFrame (empty if none)."""
    dataset = _dataset(directory)
    if dataset is None:
        return pd.DataFrame()
    return dataset.to_table(columns=columns).to_pandas()

"""SQL over a results folder with duckdb, without loading it into memory (for results of any size)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from simulator.analysis.errors import ResultsNotFoundError
from simulator.analysis.stats import accuracy_from_counts

_CORRECT = ("correct_top1", "correct_topk")


def _parts(results_dir: str | Path) -> str:
    path = Path(results_dir)
    folder = path / "results" if (path / "results").is_dir() else path
    if not any(folder.glob("part-*.parquet")):
        raise ResultsNotFoundError(f"no results in {path} (expected results/part-*.parquet written by `robustsim run`)")
    return str(folder / "part-*.parquet")


def query(results_dir: str | Path, sql: str) -> pd.DataFrame:
    """Run `sql` against the view `results` (every row of the folder) and return the answer.

    Example: `query("results/demo", "SELECT object, avg(correct_top1::INT) FROM results GROUP BY object")`.
    duckdb reads only the columns and row groups the query needs, so this works on results larger than memory.
    """
    with duckdb.connect() as connection:
        connection.execute(f"CREATE VIEW results AS SELECT * FROM read_parquet('{_parts(results_dir)}', union_by_name=true)")
        return connection.execute(sql).df()


def accuracy_sql(results_dir: str | Path, by: str | Sequence[str] = (), confidence: float = 0.95) -> pd.DataFrame:
    """`tables.accuracy` computed by duckdb: the same columns (n, failed, top1 with Wilson intervals, ...)."""
    by = [by] if isinstance(by, str) else list(by)
    keys = ", ".join(f'"{key}"' for key in by)
    sums = ", ".join(f'count_if("{c}" AND error IS NULL) AS "{c}"' for c in _CORRECT)
    sql = (
        f"SELECT {keys + ', ' if by else ''}count_if(error IS NULL) AS n, count_if(error IS NOT NULL) AS failed, {sums} "
        f"FROM results {'GROUP BY ' + keys + ' ORDER BY ' + keys if by else ''}"
    )
    counts = query(results_dir, sql).astype({column: "int64" for column in ("n", "failed", *_CORRECT)})
    return accuracy_from_counts(counts, by, _CORRECT, confidence)

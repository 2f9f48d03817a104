"""SQL over a results folder with duckdb, without loading it into memory (for results of any size)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from simulator.analysis.errors import ResultsNotFoundError
from simulator.analysis.stats import accuracy_from_counts, correct_columns


def _parts(results_dir: str | Path) -> list[str]:
    """The part files, listed (not a glob: a path may hold quotes or glob characters)."""
    path = Path(results_dir)
    folder = path / "results" if (path / "results").is_dir() else path
    parts = sorted(str(part) for part in folder.glob("part-*.parquet"))
    if not parts:
        raise ResultsNotFoundError(f"no results in {path} (expected results/part-*.parquet written by `robustsim run`)")
    return parts


def query(results_dir: str | Path, sql: str) -> pd.DataFrame:
    """Run `sql` against the view `results` (every row of the folder) and return the answer.

    Example: `query("results/demo", "SELECT object, avg(correct_top1::INT) FROM results GROUP BY object")`.
    duckdb reads only the columns and row groups the query needs, so this works on results larger than memory.
    """
    with duckdb.connect() as connection:
        connection.read_parquet(_parts(results_dir), union_by_name=True).create_view("results")
        return connection.execute(sql).df()


def accuracy_sql(results_dir: str | Path, by: str | Sequence[str] = (), confidence: float = 0.95) -> pd.DataFrame:
    """`tables.accuracy` computed by duckdb: the same columns (n, failed, top1 with Wilson intervals, ...)."""
    by = [by] if isinstance(by, str) else list(by)
    keys = ", ".join(_quoted(key) for key in by)
    correct = correct_columns(list(query(results_dir, "SELECT * FROM results LIMIT 0").columns))
    sums = "".join(f", count_if({_quoted(c)} AND error IS NULL) AS {_quoted(c)}" for c in correct)
    sql = (
        f"SELECT {keys + ', ' if by else ''}count_if(error IS NULL) AS n, count_if(error IS NOT NULL) AS failed{sums} "
        f"FROM results {'GROUP BY ' + keys + ' ORDER BY ' + keys if by else ''}"
    )
    counts = query(results_dir, sql).astype({column: "int64" for column in ("n", "failed", *correct)})
    return accuracy_from_counts(counts, by, correct, confidence)


def _quoted(name: str) -> str:
    """`name` as a SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


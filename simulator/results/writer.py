"""Append rows to a Parquet dataset in parts, each written whole (temp file + atomic rename)."""

from __future__ import annotations

import logging
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulator.results.errors import RowsNotWrittenError
from simulator.results.reader import readable_parts

logger = logging.getLogger(__name__)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see either nothing or the whole file."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class ResultsWriter:
    """Buffers rows and writes them as `part-*.parquet` files into `directory`.

    A part is written when `rows_per_part` rows are buffered or `seconds_per_part` have
    passed since the last part, and on `close()`, so a crash loses at most that much.
    Readers (pandas, pyarrow, duckdb) ignore the hidden temporary files.

    A part that cannot be written (a full disk, a folder gone) keeps its rows in the buffer and is
    tried again on the next write; if `close()` still cannot write them, they are saved in a
    temporary folder and RowsNotWrittenError says where.
    """

    def __init__(
        self, directory: Path, schema: pa.Schema, rows_per_part: int = 1000, seconds_per_part: float = 10.0
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.schema = schema
        self.rows_per_part = rows_per_part
        self.seconds_per_part = seconds_per_part
        self._buffer: list[dict[str, Any]] = []
        self._last_write = time.monotonic()
        self.rows_written = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._buffer.extend(rows)
        due = time.monotonic() - self._last_write >= self.seconds_per_part
        if len(self._buffer) >= self.rows_per_part or (due and self._buffer):
            try:
                self.flush()
            except OSError as error:
                self._last_write = time.monotonic()  # try again when the next part is due
                logger.warning("could not write %d rows to %s (%s); keeping them to retry", len(self._buffer), self.directory, error)

    def flush(self) -> None:
        """Write the buffered rows as one part (OSError when that fails; the rows stay buffered)."""
        if not self._buffer:
            return
        table = pa.Table.from_pylist(self._buffer, schema=self.schema)
        write_part(table, self.directory / _part_name())
        self.rows_written += len(self._buffer)
        self._buffer.clear()
        self._last_write = time.monotonic()

    def close(self) -> None:
        """Write what is buffered; RowsNotWrittenError (naming the fallback file) when that fails."""
        try:
            self.flush()
        except OSError as error:
            rows = len(self._buffer)
            fallback = self._save_elsewhere()
            raise RowsNotWrittenError(
                f"could not write {rows} finished rows to {self.directory} ({error.strerror or error}); "
                f"they are saved in {fallback}: move that file into {self.directory} once it is writable"
            ) from None

    def _save_elsewhere(self) -> Path:
        """The buffered rows as a part file in a new temporary folder."""
        folder = Path(tempfile.mkdtemp(prefix="robustsim-unwritten-"))
        path = folder / _part_name()
        write_part(pa.Table.from_pylist(self._buffer, schema=self.schema), path)
        self._buffer.clear()
        return path

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _part_name() -> str:
    return f"part-{time.time_ns()}-{uuid.uuid4().hex[:8]}.parquet"


def drop_failed_rows(directory: Path) -> int:
    """Remove the samples with a row whose `error` is set from every part, all their rows (one per
    model; they are written in one part), each part rewritten atomically (a part left empty is
    deleted), so that a resumed run renders those samples again. Returns how many samples went."""
    dropped = 0
    for part in readable_parts(sorted(Path(directory).glob("part-*.parquet"))):
        errors = pq.read_table(part, columns=["error"]).column("error")
        failed = errors.null_count < len(errors)
        if not failed:
            continue
        table = pq.read_table(part)
        failed_ids = table.filter(pc.is_valid(table.column("error"))).column("id").unique()
        kept = table.filter(pc.invert(pc.is_in(table.column("id"), value_set=failed_ids)))
        dropped += len(failed_ids)
        if kept.num_rows == 0:
            part.unlink()
            continue
        write_part(kept, part)
    return dropped


def write_part(table: pa.Table, path: Path) -> None:
    """Write a Parquet part whole: a hidden temporary file, then a rename (the temporary removed on failure)."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        pq.write_table(table, temporary, compression="zstd")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)

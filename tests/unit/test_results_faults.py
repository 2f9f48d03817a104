"""Faults in an output folder: unreadable parts are skipped with a warning naming them, a broken
experiment.json or an unusable folder is a clear error, and rows are never lost when a write fails."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulator.analysis.loading import load
from simulator.dashboard.data import ResultsSource
from simulator.results.errors import OutputFolderError, RowsNotWrittenError
from simulator.results.reader import existing_ids, read_results
from simulator.results.store import ResultsStore, writable_folder
from simulator.results.writer import ResultsWriter, drop_failed_rows
from test_analysis import frame

SCHEMA = pa.schema([("id", pa.string()), ("error", pa.string())])


def good_parts(results: Path, parts: int = 3, rows: int = 4) -> set[str]:
    """`parts` genuine part files of `rows` rows of the synthetic frame; returns their ids."""
    results.mkdir(parents=True, exist_ok=True)
    data = frame(parts * rows)
    for index in range(parts):
        data.iloc[index * rows : (index + 1) * rows].to_parquet(results / f"part-{index}.parquet")
    return set(data["id"])


BAD_PARTS = {
    "truncated": lambda good: good[: len(good) // 2],
    "empty": lambda good: b"",
    "garbage": lambda good: b"PAR1 this is not parquet PAR1",
    "corrupt pages": lambda good: good[:8] + bytes(len(good) - 16) + good[-8:],  # magic and footer length kept
}


@pytest.fixture(params=list(BAD_PARTS))
def folder(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, set[str]]:
    results = tmp_path / "out" / "results"
    ids = good_parts(results)
    good = (results / "part-0.parquet").read_bytes()
    (results / "part-9-bad.parquet").write_bytes(BAD_PARTS[request.param](good))
    return results.parent, ids


def test_resume_report_and_dashboard_skip_a_bad_part_and_name_it(folder, caplog) -> None:
    root, ids = folder
    with caplog.at_level(logging.WARNING):
        assert existing_ids(root / "results") == ids
        assert set(read_results(root / "results")["id"]) == ids
        assert set(load(root)["id"]) == ids
        assert ResultsSource(root).snapshot().rows == len(ids)
        drop_failed_rows(root / "results")
    assert "part-9-bad.parquet" in caplog.text


def test_broken_experiment_json_is_a_clear_error(tmp_path: Path) -> None:
    for content in (b"{not json", b"\xff\xfe", b"[1, 2]"):
        (tmp_path / "experiment.json").write_bytes(content)
        with pytest.raises(OutputFolderError, match="experiment.json"):
            ResultsStore(tmp_path).prepare({"name": "x"})


def test_output_below_a_file_is_refused_before_anything(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    for directory in (tmp_path / "file", tmp_path / "file" / "out", tmp_path / "file" / "a" / "b"):
        with pytest.raises(OutputFolderError, match="is a file, not a folder"):
            ResultsStore(directory).prepare({"name": "x"})


def test_unwritable_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputFolderError, match="cannot write to output folder"):
        writable_folder(Path("/proc/robustsim-cannot-be-here"))


def test_run_with_output_below_a_file_exits_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    config = Path(__file__).parents[1] / "malformed" / "_base.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(config), "-o", str(tmp_path / "file" / "out")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode != 0 and "is a file, not a folder" in done.stderr and "Traceback" not in done.stderr


def rows(start: int, count: int) -> list[dict]:
    return [{"id": f"{i:04d}", "error": None} for i in range(start, start + count)]


def test_a_failed_flush_keeps_its_rows_for_the_next_write(tmp_path: Path) -> None:
    results = tmp_path / "results"
    writer = ResultsWriter(results, SCHEMA, rows_per_part=2)
    shutil.rmtree(results)
    results.write_text("the folder was replaced by a file")
    writer.write(rows(0, 2))  # cannot be written: kept
    results.unlink()
    results.mkdir()
    writer.write(rows(2, 2))
    writer.close()
    assert sorted(pq.read_table(results).column("id").to_pylist()) == [f"{i:04d}" for i in range(4)]


def test_rows_that_cannot_be_written_on_close_are_saved_elsewhere(tmp_path: Path) -> None:
    results = tmp_path / "results"
    writer = ResultsWriter(results, SCHEMA, rows_per_part=100)
    writer.write(rows(0, 5))
    shutil.rmtree(results)
    results.write_text("not a folder")
    with pytest.raises(RowsNotWrittenError, match="could not write 5 finished rows") as raised:
        writer.close()
    saved = Path(str(raised.value).split("they are saved in ")[1].split(":")[0])
    assert pq.read_table(saved).column("id").to_pylist() == [f"{i:04d}" for i in range(5)]
    shutil.rmtree(saved.parent)

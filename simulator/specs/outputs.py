"""Where verdicts go: verdicts.json and verdicts.parquet beside the specs' renders, JUnit XML for CI."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from simulator.results.writer import atomic_write_bytes, write_part
from simulator.specs.check import SpecResult

VERDICTS_JSON = "verdicts.json"
VERDICTS_PARQUET = "verdicts.parquet"


def write_verdicts(output: Path, results: Sequence[SpecResult], specs: Sequence[str]) -> None:
    """One record per spec, as JSON and as Parquet (each written whole): this run's, and the earlier
    verdicts of the `specs` it did not run (a check of some specs keeps the others' verdicts)."""
    fresh = {result.spec: dataclasses.asdict(result) for result in results}
    earlier = {record.get("spec"): record for record in read_verdicts(output)}
    records = [fresh.get(name) or earlier[name] for name in specs if name in fresh or name in earlier]
    output.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(output / VERDICTS_JSON, json.dumps(records, indent=2).encode())
    fields = [(f.name, _ARROW[f.type]) for f in dataclasses.fields(SpecResult)]
    write_part(pa.Table.from_pylist(records, schema=pa.schema(fields)), output / VERDICTS_PARQUET)


_ARROW = {
    "str": pa.string(),
    "float": pa.float64(),
    "int": pa.int64(),
    "float | None": pa.float64(),
    "str | None": pa.string(),
}


def read_verdicts(output: Path) -> list[dict]:
    """The records of verdicts.json, or [] when there is none (or it is unreadable)."""
    try:
        records = json.loads((Path(output) / VERDICTS_JSON).read_text())
    except (OSError, ValueError):
        return []
    return records if isinstance(records, list) and all(isinstance(r, dict) for r in records) else []


def failing(result: SpecResult, inconclusive_fails: bool) -> bool:
    return result.verdict == "FAIL" or (inconclusive_fails and result.verdict == "INCONCLUSIVE")


def write_junit(path: Path, experiment: str, results: Sequence[SpecResult], inconclusive_fails: bool) -> None:
    """A JUnit XML test suite: one test case per spec; FAIL (and INCONCLUSIVE if it fails) is a failure."""
    suite = ET.Element(
        "testsuite",
        name=f"robustsim.{experiment}",
        tests=str(len(results)),
        failures=str(sum(failing(r, inconclusive_fails) for r in results)),
        skipped=str(sum(r.verdict == "INCONCLUSIVE" and not inconclusive_fails for r in results)),
    )
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=f"robustsim.{experiment}", name=result.spec)
        detail = describe(result)
        if failing(result, inconclusive_fails):
            ET.SubElement(case, "failure", message=f"{result.verdict}: {detail}", type=result.verdict).text = result.where
        elif result.verdict == "INCONCLUSIVE":
            ET.SubElement(case, "skipped", message=f"INCONCLUSIVE: {detail}")
        ET.SubElement(case, "system-out").text = f"{result.verdict}: {detail}\nwhere: {result.where}"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, ET.tostring(suite, encoding="utf-8", xml_declaration=True))


def describe(result: SpecResult) -> str:
    """One line: the share met, its interval, n, and a counterexample when search found one."""
    share = "n/a" if result.share is None else f"{result.share:.3f}"
    text = (
        f"{share} [{result.share_low:.3f}, {result.share_high:.3f}] of {result.n} renders met the requirement "
        f"(at least {result.at_least:g} required; {result.failures} failed)"
    )
    if result.counterexample:
        text += f"; counterexample found by search: render {result.counterexample}"
    return text

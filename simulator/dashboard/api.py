"""The dashboard's JSON API: URL path and query values in, (HTTP status, JSON-ready answer) out."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote

from simulator.dashboard.data import ResultsSource, Snapshot
from simulator.dashboard.files import image_file
from simulator.dashboard.queries import Query, QueryError, group_table, heatmap, samples

logger = logging.getLogger(__name__)
_DIGITS = re.compile(r"[0-9]{1,9}")  # str.isdigit() also accepts '²', which int() refuses

Params = Mapping[str, Sequence[str]]


class DashboardApi:
    """Answers `/api/*` requests from the current snapshot of a results folder.

    Every request first checks the folder's part list (one directory listing), so a page that polls
    `/api/status` sees a running experiment's new rows.
    """

    def __init__(self, source: ResultsSource) -> None:
        self.source = source
        self.routes: dict[str, Callable[[Snapshot, Params], dict]] = {
            "/api/status": self.status,
            "/api/schema": self.schema,
            "/api/heatmap": self.heatmap,
            "/api/tables": self.tables,
            "/api/samples": self.samples,
        }

    def respond(self, path: str, params: Params) -> tuple[int, dict]:
        """(200, answer); (404, error) for an unknown path; (400, error) for a bad query."""
        route = self.routes.get(path)
        if route is None:
            return 404, {"error": f"no such API path: {path}"}
        try:
            return 200, route(self.source.snapshot(), params)
        except QueryError as error:
            return 400, {"error": str(error)}
        except Exception as error:  # noqa: BLE001 - e.g. an unreadable part file: answer, and keep serving
            logger.exception("dashboard request %s failed", path)
            return 500, {"error": f"{type(error).__name__}: {error}"}

    def status(self, snapshot: Snapshot, params: Params) -> dict:
        """What changes while a run writes: the version (bumped on every new part file), parts and rows."""
        return {"version": snapshot.version, "parts": snapshot.parts, "rows": snapshot.rows}

    def schema(self, snapshot: Snapshot, params: Params) -> dict:
        """The experiment, row counts and every dimension (object, environment, parameters) with its bins."""
        evaluator = snapshot.experiment.get("evaluator")
        return {
            **self.status(snapshot, params),
            "experiment": snapshot.experiment.get("name"),
            "folder": self.source.root.name,  # the name only: the page needs no path of the serving machine
            "evaluated": int(snapshot.evaluated.sum()),
            "failed": int((~snapshot.evaluated).sum()),
            "topk": evaluator.get("topk") if isinstance(evaluator, dict) else None,
            "bins": self.source.bins,
            "binning": self.source.method,
            "parameters": [snapshot.dimensions[name].describe() for name in snapshot.parameters],
            "objects": snapshot.dimensions["object"].labels,
            "environments": snapshot.dimensions["environment"].labels,
        }

    def heatmap(self, snapshot: Snapshot, params: Params) -> dict:
        """`queries.heatmap` of the query (see `Query.parse` for the parameters)."""
        return {"version": snapshot.version, **heatmap(snapshot, Query.parse(params, snapshot))}

    def tables(self, snapshot: Snapshot, params: Params) -> dict:
        """Per-object and per-environment accuracy with Wilson intervals under the query."""
        query = Query.parse(params, snapshot)
        return {
            "version": snapshot.version,
            "objects": group_table(snapshot, query, "object"),
            "environments": group_table(snapshot, query, "environment"),
        }

    def samples(self, snapshot: Snapshot, params: Params) -> dict:
        """Samples of the query, lowest p(true class) first; `cell=X,Y` narrows to one heat-map cell,
        `failures=1` to misclassified ones, `limit` caps the list. `image` is the render's URL or None."""
        query = Query.parse(params, snapshot)
        cell = _cell(params)
        limit = _integer(params, "limit", 48)
        answer = samples(snapshot, query, cell, _flag(params, "failures"), limit)
        for sample in answer["samples"]:
            saved = image_file(self.source.images_dir, sample["id"]) is not None
            sample["image"] = f"/images/{quote(sample['id'])}.png" if saved else None
        return {"version": snapshot.version, **answer}


def _cell(params: Params) -> tuple[int, int] | None:
    value = params.get("cell", [None])[-1]
    if value is None:
        return None
    parts = value.split(",")
    if len(parts) != 2 or not all(_DIGITS.fullmatch(p) for p in parts):
        raise QueryError(f"cell must be 'x,y' bin numbers, got {value!r}")
    return int(parts[0]), int(parts[1])


def _integer(params: Params, key: str, default: int) -> int:
    value = params.get(key, [str(default)])[-1]
    if not _DIGITS.fullmatch(value):
        raise QueryError(f"{key} must be a whole number, got {value!r}")
    return int(value)


def _flag(params: Params, key: str) -> bool:
    return params.get(key, ["0"])[-1] in ("1", "true", "yes")

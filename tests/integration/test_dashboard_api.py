"""`robustsim dashboard`'s JSON API and file serving, over HTTP against the real server (no browser).

The results folder is written with the run's own schema and `ResultsWriter`, with tiny PNG renders:
objects banana and mug, environments studio and forest; banana is always misclassified at 30 degrees
of elevation and everything else is right, so every number has a known answer.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from simulator.analysis.loading import load
from simulator.analysis.stats import wilson_interval
from simulator.analysis.tables import per_environment, per_object
from simulator.dashboard.api import DashboardApi
from simulator.dashboard.data import ResultsSource
from simulator.dashboard.server import DashboardServer
from simulator.evaluators.classification import ClassificationEvaluator
from simulator.results.schema import results_schema
from simulator.results.writer import ResultsWriter, drop_failed_rows
from simulator.search_space import Continuous, Dimension, Discrete, ParameterSpec

CONTROLS = [
    {"type": "orientation", "yaw": {"min": -60, "max": 60}},
    {"type": "camera", "elevation": {"choices": [0, 30]}},
    {"type": "background", "rotation": {"min": 0, "max": 360}},
]
DIMENSIONS = (
    Dimension("orientation.yaw", ParameterSpec("yaw", "float", 0.0, "turn"), Continuous(-60, 60)),
    Dimension("camera.elevation", ParameterSpec("elevation", "float", 0.0, "height"), Discrete((0.0, 30.0))),
    Dimension("background.rotation", ParameterSpec("rotation", "float", 0.0, "spin"), Continuous(0, 360)),
)
OBJECTS = ("banana", "mug")
ENVIRONMENTS = ("studio", "forest")


def write_results(folder: Path, rows: int, start: int = 0, rows_per_part: int = 16, failed: int = 0) -> list[dict]:
    """Rows `start` .. `start + rows` as part files of `folder/results`, a PNG per evaluated row in
    `folder/images`, and `folder/experiment.json`; the last `failed` rows are render failures."""
    rng = np.random.default_rng(start)
    schema = results_schema(DIMENSIONS, ClassificationEvaluator(topk=2, class_names=["x"]).columns)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    experiment = {"name": "dashboard-test", "controls": CONTROLS, "evaluator": {"type": "classification", "topk": 2}}
    (folder / "experiment.json").write_text(json.dumps(experiment))
    written = []
    with ResultsWriter(folder / "results", schema, rows_per_part=rows_per_part) as writer:
        for index in range(start, start + rows):
            obj, environment = OBJECTS[index % 2], ENVIRONMENTS[(index // 2) % 2]
            elevation = (0.0, 30.0)[(index // 4) % 2]
            wrong = obj == "banana" and elevation == 30.0
            error = "render failed" if index >= start + rows - failed else None
            sample_id = f"{index:016x}"
            row = {
                "experiment": "dashboard-test",
                "id": sample_id,
                "seed": index,
                "object": obj,
                "environment": environment,
                "renderer": "blender",
                "orientation.yaw": float(rng.uniform(-60, 60)),
                "camera.elevation": elevation,
                "background.rotation": float(rng.uniform(0, 360)),
                "label": [1],
                "label_names": [obj],
                "pred_top1": 7 if wrong else 1,
                "pred_top1_name": "slug" if wrong else obj,
                "pred_topk": [7, 1],
                "pred_topk_names": ["slug", obj],
                "prob_topk": [0.6, 0.3],
                "true_prob": round(0.01 + index / 10_000, 6) if wrong else 0.9,
                "loss": 1.0,
                "correct_top1": not wrong,
                "correct_topk": True,
                "render_s": 0.1,
                "infer_s": 0.01,
                "worker": "w",
                "finished_at": datetime.now(timezone.utc),
                "image_path": None,
                "error": error,
            }
            if error is None:
                colour = (200, 40, 40) if wrong else (40, 160, 60)
                Image.new("RGB", (16, 16), colour).save(folder / "images" / f"{sample_id}.png")
                row["image_path"] = f"images/{sample_id}.png"
            else:
                for column in ("pred_top1", "pred_top1_name", "true_prob", "correct_top1", "correct_topk"):
                    row[column] = None
            writer.write([row])
            written.append(row)
    return written


class Client:
    """GET requests to the server, paths sent exactly as given (no normalising of `..` or `%2e`)."""

    def __init__(self, url: str) -> None:
        address = urlsplit(url)
        self.host, self.port = address.hostname, address.port

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def json(self, path: str) -> dict:
        status, body = self.get(path)
        assert status == 200, (path, status, body[:300])
        return json.loads(body)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    output = tmp_path / "out"
    write_results(output, 64, failed=2)
    return output


@pytest.fixture()
def client(folder: Path) -> Iterator[Client]:
    server = DashboardServer(folder, port=0)
    server.start()
    yield Client(server.url)
    server.shutdown()
    server.server_close()


def test_schema_describes_the_dimensions(client: Client) -> None:
    schema = client.json("/api/schema")
    assert (schema["rows"], schema["failed"], schema["evaluated"], schema["topk"]) == (64, 2, 62, 2)
    assert schema["objects"] == ["banana", "mug"] and schema["environments"] == ["forest", "studio"]
    parameters = {p["name"]: p for p in schema["parameters"]}
    assert list(parameters) == ["orientation.yaw", "camera.elevation", "background.rotation"]
    assert parameters["camera.elevation"]["kind"] == "discrete" and parameters["camera.elevation"]["labels"] == [
        "0",
        "30",
    ]
    yaw = parameters["orientation.yaw"]
    assert yaw["kind"] == "continuous" and len(yaw["labels"]) == 4 and len(yaw["edges"]) == 5


def test_heatmap_cells_have_accuracy_n_and_wilson_intervals(client: Client, folder: Path) -> None:
    heat = client.json("/api/heatmap?x=camera.elevation&y=object")
    assert heat["x"]["labels"] == ["0", "30"] and heat["y"]["labels"] == ["banana", "mug"]
    cells = {(c["x"], c["y"]): c for c in heat["cells"]}
    assert len(cells) == 4
    assert cells[1, 0]["accuracy"] == 0.0 and cells[0, 0]["accuracy"] == cells[0, 1]["accuracy"] == 1.0
    frame = load(folder)
    evaluated = frame[frame["error"].isna()]
    banana_30 = evaluated[(evaluated["object"] == "banana") & (evaluated["camera.elevation"] == 30)]
    assert cells[1, 0]["n"] == len(banana_30) and sum(c["n"] for c in heat["cells"]) == len(evaluated) == 62
    low, high = wilson_interval(0, len(banana_30))
    assert (cells[1, 0]["low"], cells[1, 0]["high"]) == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))
    assert heat["overall"]["n"] == 62 and heat["overall"]["accuracy"] == pytest.approx(
        evaluated["correct_top1"].mean(), abs=1e-4
    )
    one_axis = client.json("/api/heatmap?x=orientation.yaw")
    assert len(one_axis["cells"]) == 4 and one_axis["y"] is None


def test_sliders_and_selections_narrow_the_rows(client: Client) -> None:
    high = client.json("/api/heatmap?x=object&slider=camera.elevation:1")
    low = client.json("/api/heatmap?x=object&slider=camera.elevation:0")
    assert [c["accuracy"] for c in high["cells"]] == [0.0, 1.0]
    assert [c["accuracy"] for c in low["cells"]] == [1.0, 1.0]
    assert high["overall"]["n"] + low["overall"]["n"] == 62
    mug = client.json("/api/heatmap?x=object&object=mug&environment=studio")
    assert mug["cells"][0]["n"] == 0 and mug["cells"][1]["n"] == mug["overall"]["n"] == 16
    nothing = client.json("/api/heatmap?x=object&object=")
    assert nothing["overall"]["n"] == 0 and nothing["overall"]["accuracy"] is None
    topk = client.json("/api/heatmap?x=object&slider=camera.elevation:1&metric=topk")
    assert [c["accuracy"] for c in topk["cells"]] == [1.0, 1.0]


def test_tables_match_the_analysis_package(client: Client, folder: Path) -> None:
    tables = client.json("/api/tables?object=mug")  # an object's own table ignores the object selection
    expected = per_object(load(folder)).set_index("object")
    assert [row["object"] for row in tables["objects"]] == ["banana", "mug"]
    for row in tables["objects"]:
        reference = expected.loc[row["object"]]
        assert row["n"] == reference["n"]
        assert (row["accuracy"], row["low"], row["high"]) == pytest.approx(
            (reference["top1"], reference["top1_low"], reference["top1_high"]), abs=1e-4
        )
    frame = load(folder)
    environments = per_environment(frame[frame["object"] == "mug"]).set_index("environment")
    for row in tables["environments"]:
        assert row["n"] == environments.loc[row["environment"], "n"] and row["accuracy"] == 1.0


def test_samples_of_a_cell_lowest_true_prob_first_with_their_images(client: Client) -> None:
    answer = client.json("/api/samples?x=camera.elevation&y=object&cell=1,0&limit=5")
    assert answer["total"] == 15 and len(answer["samples"]) == 5
    probabilities = [s["true_prob"] for s in answer["samples"]]
    assert probabilities == sorted(probabilities)
    for sample in answer["samples"]:
        assert sample["object"] == "banana" and sample["parameters"]["camera.elevation"] == 30.0
        assert sample["prediction"] == "slug" and sample["correct"] is False
        status, body = client.get(sample["image"])
        assert status == 200 and body.startswith(b"\x89PNG")
    failures = client.json("/api/samples?failures=1&limit=100")
    assert failures["total"] == 15 and all(not s["correct"] for s in failures["samples"])
    everything = client.json("/api/samples?limit=1000")
    assert everything["total"] == len(everything["samples"]) == 62


@pytest.mark.parametrize(
    "query",
    [
        "/api/heatmap?x=nope",
        "/api/heatmap?x=object&y=object",
        "/api/heatmap?x=object&slider=camera.elevation:2",
        "/api/heatmap?slider=camera.elevation:-1",
        "/api/heatmap?x=object&slider=object:0",
        "/api/heatmap?metric=top3",
        "/api/heatmap?x=object&x=environment",
        "/api/samples?cell=1",
        "/api/samples?limit=ten",
        "/api/samples?limit=%C2%B2",  # '²' passes str.isdigit() but not int()
        "/api/heatmap?slider=camera.elevation:%C2%B2",
    ],
)
def test_bad_queries_are_400(client: Client, query: str) -> None:
    status, body = client.get(query)
    assert status == 400 and "error" in json.loads(body)


def test_new_part_files_are_picked_up(client: Client, folder: Path) -> None:
    before = client.json("/api/status")
    write_results(folder, 16, start=64)
    after = client.json("/api/status")
    assert after["version"] > before["version"] and after["rows"] == 80 and after["parts"] > before["parts"]
    assert client.json("/api/heatmap?x=object")["overall"]["n"] == 78


def test_a_folder_without_results_yet_is_served_empty_then_filled(tmp_path: Path) -> None:
    output = tmp_path / "starting"
    output.mkdir()
    server = DashboardServer(output, port=0)
    server.start()
    try:
        client = Client(server.url)
        assert client.json("/api/schema")["rows"] == 0
        assert client.json("/api/heatmap")["overall"] == {
            "n": 0,
            "correct": 0,
            "accuracy": None,
            "low": None,
            "high": None,
        }
        write_results(output, 8)
        assert client.json("/api/heatmap?x=object")["overall"]["n"] == 8
    finally:
        server.shutdown()
        server.server_close()


def test_parts_rewritten_by_retry_failed_are_read_again(tmp_path: Path) -> None:
    write_results(tmp_path, 16, failed=3)
    source = ResultsSource(tmp_path)
    assert source.snapshot().rows == 16
    assert drop_failed_rows(tmp_path / "results") == 3  # rewrites the part in place, same name
    assert source.snapshot().rows == 13


def test_a_metric_the_results_lack_is_a_clear_400(tmp_path: Path) -> None:
    write_results(tmp_path, 8)
    for part in (tmp_path / "results").glob("part-*.parquet"):  # as a plugin evaluator without top-k writes
        pq.write_table(pq.read_table(part).drop_columns(["correct_topk"]), part)
    api = DashboardApi(ResultsSource(tmp_path))
    assert api.respond("/api/heatmap", {"x": ["object"]})[0] == 200
    status, answer = api.respond("/api/heatmap", {"metric": ["topk"]})
    assert status == 400 and "no correct_topk column" in answer["error"]


def test_page_and_its_files_are_served(client: Client) -> None:
    status, page = client.get("/")
    assert status == 200 and b'<script src="/static/app.js"' in page
    for path in ("/static/app.js", "/static/app.css"):
        assert client.get(path)[0] == 200
    assert client.get("/api/nothing")[0] == 404


def test_files_outside_the_results_folder_are_never_served(client: Client, folder: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG secret")
    (folder / "images" / "00000000000000ff.png").symlink_to(secret)
    (folder / "images" / "outside").symlink_to(tmp_path)
    attempts = [
        "/images/../experiment.json",
        "/images/..%2fexperiment.json",
        "/images/%2e%2e/experiment.json",
        "/images/%2e%2e%2f%2e%2e%2fsecret.png",
        "/images/..%2f..%2fsecret.png",
        "/images/%2E%2E%2Fexperiment.png",
        "/images//etc/passwd.png",
        "/images/%2fetc%2fpasswd.png",
        f"/images/{secret}",
        "/images/outside/secret.png",
        "/images/outside%2fsecret.png",
        "/images/00000000000000ff.png",  # a symlink out of the folder
        "/images/0000000000000001",  # no .png
        "/images/nothing.png",
        "/static/../experiment.json",
        "/static/%2e%2e/data.py",
        "/static/app.js/../../server.py",
        "/../experiment.json",
        "/experiment.json",
        "/results/",
        "//etc/passwd",
        "/etc/passwd",
    ]
    for path in attempts:
        status, body = client.get(path)
        assert status in (400, 404), (path, status)
        assert b"secret" not in body and b"dashboard-test" not in body, path
    assert client.get("/images/0000000000000001.png")[0] == 200


def test_requests_naming_another_host_are_refused(client: Client) -> None:
    assert client.get("/api/status", headers={"Host": "attacker.example:8050"})[0] == 400
    assert client.get("/api/status", headers={"Host": f"localhost:{client.port}"})[0] == 200


def test_command_serves_the_folder_and_prints_the_url(folder: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "dashboard", str(folder), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        line = process.stdout.readline()
        assert "Dashboard: http://127.0.0.1:" in line, line
        url = line.split("Dashboard: ")[1].split()[0]
        assert Client(url).json("/api/status")["rows"] == 64
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_command_refuses_a_missing_folder(tmp_path: Path) -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "simulator", "dashboard", str(tmp_path / "missing")], capture_output=True, text=True
    )
    assert ran.returncode == 2 and "no results folder" in ran.stderr

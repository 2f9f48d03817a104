"""The dashboard under idle and half-open connections: each times out, their number is capped, and the
server keeps answering; its API shows no path of the serving machine."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from simulator.dashboard.server import DashboardServer


@contextmanager
def serving(folder: Path, **options: float) -> Iterator[DashboardServer]:
    server = DashboardServer(folder, port=0, **options)
    server.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def idle_sockets(server: DashboardServer, count: int) -> list[socket.socket]:
    """`count` connections that send nothing (a half-open request never finished)."""
    host, port = server.server_address[:2]
    sockets = [socket.create_connection((host, port), timeout=5) for _ in range(count)]
    time.sleep(0.3)  # let the server accept them all
    return sockets


def get(server: DashboardServer, path: str) -> tuple[int, bytes]:
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def closed_by_server(sock: socket.socket, within_s: float) -> bool:
    sock.settimeout(within_s)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    output = tmp_path / "private-location" / "out"
    output.mkdir(parents=True)
    return output


def test_idle_connections_neither_block_requests_nor_stay_open(folder: Path) -> None:
    with serving(folder, timeout_s=1.0) as server:
        sockets = idle_sockets(server, 40)
        try:
            status, _ = get(server, "/api/status")
            assert status == 200
            started = time.monotonic()
            assert all(closed_by_server(sock, 4.0) for sock in sockets)
            assert time.monotonic() - started < 4.0
        finally:
            for sock in sockets:
                sock.close()


def test_connections_beyond_the_cap_are_closed_at_once(folder: Path) -> None:
    with serving(folder, timeout_s=30.0, max_connections=4) as server:
        held = idle_sockets(server, 4)
        try:
            extra = idle_sockets(server, 1)[0]
            assert closed_by_server(extra, 2.0)
            extra.close()
            for sock in held:
                sock.close()
            time.sleep(0.5)  # the handlers see EOF and give their slots back
            assert get(server, "/api/status")[0] == 200
        finally:
            for sock in held:
                sock.close()


def test_schema_shows_no_absolute_path(folder: Path) -> None:
    with serving(folder) as server:
        status, body = get(server, "/api/schema")
    assert status == 200
    assert "private-location" not in body.decode() and str(folder) not in body.decode()
    assert json.loads(body)["folder"] == "out"

"""The dashboard's HTTP server (standard library, one thread per request): the page, the API, the renders."""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from simulator.dashboard.api import DashboardApi
from simulator.dashboard.data import ResultsSource
from simulator.dashboard.files import image_file, static_file

logger = logging.getLogger(__name__)

# The page loads nothing from elsewhere: scripts, styles, images and requests all go to this server.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


CONNECTION_TIMEOUT_S = 10.0  # a connection that sends nothing for this long is closed
MAX_CONNECTIONS = 64  # handler threads at once; connections beyond them are closed at once


class DashboardServer(ThreadingHTTPServer):
    """Serves the dashboard of one results folder on (host, port); port 0 picks a free one.

    Each connection has a handler thread and a socket timeout of `timeout_s`; at most
    `max_connections` are served at once, so idle or half-open connections cannot pile up threads.
    """

    daemon_threads = True
    request_queue_size = 128  # connections waiting to be accepted (the default 5 drops bursts)

    def __init__(
        self,
        results_dir: str | Path,
        host: str = "127.0.0.1",
        port: int = 8050,
        bins: int = 4,
        method: str = "quantile",
        timeout_s: float = CONNECTION_TIMEOUT_S,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.source = ResultsSource(results_dir, bins=bins, method=method)
        self.api = DashboardApi(self.source)
        self.loopback = _is_loopback(host)
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(max_connections)
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), DashboardHandler)

    def process_request(self, request: socket.socket, client_address: tuple) -> None:
        """Serve in a new thread when a slot is free; close the connection when all are taken."""
        if not self._slots.acquire(blocking=False):
            logger.warning("too many connections; closing the one from %s", client_address)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: socket.socket, client_address: tuple) -> None:
        """Handle one connection, then give its slot back."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def handle_error(self, request: object, client_address: tuple) -> None:
        """Log a failed request (a browser that went away is no error) instead of printing a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("%s went away", client_address)
        else:
            logger.exception("error answering %s", client_address)

    def start(self) -> threading.Thread:
        """Serve in a background thread (stop with `shutdown()` then `server_close()`)."""
        thread = threading.Thread(target=self.serve_forever, name="robustsim-dashboard", daemon=True)
        thread.start()
        return thread


class DashboardHandler(BaseHTTPRequestHandler):
    """GET only: `/`, `/static/app.js|app.css`, `/api/*`, `/images/<id>.png`; 404 for everything else."""

    server: DashboardServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        """Give the connection's socket the server's timeout (reads that wait longer end the connection)."""
        self.timeout = self.server.timeout_s
        super().setup()

    def do_GET(self) -> None:  # noqa: N802 - the name BaseHTTPRequestHandler dispatches to
        if self.server.loopback and not self._host_is_loopback():
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "the dashboard only answers to localhost"})
            return
        url = urlsplit(self.path)
        path = unquote(url.path)
        if path.startswith("/api/"):
            status, answer = self.server.api.respond(path, parse_qs(url.query, keep_blank_values=True))
            self._send_json(status, answer)
        elif path.startswith("/images/") and path.endswith(".png"):
            found = image_file(self.server.source.images_dir, path.removeprefix("/images/").removesuffix(".png"))
            if found is None:
                self._not_found()
            else:
                self._send_file(found, "image/png", cache=True)
        elif (entry := static_file(path)) is not None:
            self._send_file(*entry, cache=False)
        else:
            self._not_found()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's signature
        logger.debug("%s %s", self.address_string(), format % args)

    def _host_is_loopback(self) -> bool:
        """Whether the Host header names this machine (a page of another site cannot reach us by DNS rebinding)."""
        host = self.headers.get("Host", "")
        name = host.split("]")[0] + "]" if host.startswith("[") else host.rsplit(":", 1)[0]
        return name in LOOPBACK_NAMES

    def _not_found(self) -> None:
        self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def _send_json(self, status: int, answer: dict) -> None:
        body = json.dumps(answer, separators=(",", ":"), allow_nan=False).encode()
        self._send(status, body, "application/json", cache=False)

    def _send_file(self, path: Path, content_type: str, cache: bool) -> None:
        try:
            body = path.read_bytes()
        except OSError:
            self._not_found()
            return
        self._send(HTTPStatus.OK, body, content_type, cache)

    def _send(self, status: int, body: bytes, content_type: str, cache: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600" if cache else "no-store")
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

"""Helpers for the end-to-end security tests: drive the real login flow against the local IdP.

Every attack goes through the app's real views (Django's test client) and the local identity
provider's real token endpoint and JWKS over HTTP; tokens are forged with ``idp.id_token_hook``.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.sso import LOGIN, path_of


@pytest.fixture
def pool(idp: Any) -> Any:
    """The running :class:`~tenant_sso.devidp.DevIdP` behind the ``idp`` server handle."""
    return getattr(idp, "idp", idp)


# -- driving a login ---------------------------------------------------------------------------
def start(client: Any, org: str = "acme", **params: str) -> str:
    """Begin a login at the app; return the authorization URL it redirects to."""
    response = client.post(LOGIN, {"org": org, **params})
    assert response.status_code == 302, (response.status_code, response.content[:300])
    return str(response["Location"])


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def idp_answer(idp: Any, authorize_url: str, email: str) -> str:
    """The user signs in at the IdP (in-process); the callback path with code and state."""
    location = idp.complete_login(authorize_url, email)
    return path_of(location)


def login(client: Any, idp: Any, email: str = "alice@acme.test", org: str = "acme", **params: str) -> Any:
    """A whole login through the test client; returns the app's response to the callback."""
    return client.get(idp_answer(idp, start(client, org, **params), email))


# -- counting requests to the IdP ---------------------------------------------------------------
class RequestLog(logging.Handler):
    """Collects the devidp's one-line request log ("GET /path?... 200")."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def count(self, fragment: str) -> int:
        return sum(fragment in line for line in self.lines)


@pytest.fixture
def idp_requests() -> Iterator[RequestLog]:
    handler = RequestLog()
    logger = logging.getLogger("tenant_sso.devidp")
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


# -- tiny misbehaving servers ---------------------------------------------------------------
class StubServer:
    """A local HTTP server on 127.0.0.1 answering every request with ``answer(handler)``."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], None]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answer(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.body = self.rfile.read(length)
                answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def stub_server() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler], None]], StubServer]]:
    servers: list[StubServer] = []

    def make(answer: Callable[[BaseHTTPRequestHandler], None]) -> StubServer:
        server = StubServer(answer)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def closed_port_url() -> str:
    """A loopback URL nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def reply(
    status: int, body: bytes, content_type: str = "application/json", delay: float = 0.0
) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        if delay:
            time.sleep(delay)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout): nothing to answer

    return answer

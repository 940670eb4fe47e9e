"""A hostile OpenID Provider: a real HTTP server on 127.0.0.1 whose every answer a test controls.

It serves discovery, a JWKS, a token endpoint and a UserInfo endpoint; ID tokens are really
signed (RS256, ``tests.keys``), so the app's validation passes and whatever the test puts in the
claims reaches the product's boundary. Every request is recorded (method, path, body), so a test
can prove that nothing was sent where it must not be.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.keys import jwks, rsa_key, sign
from tests.support.driver import path_of, start

CLIENT_ID = "hostile-client"


class HostileOP:
    def __init__(self) -> None:
        op = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: bytes) -> None:
                op.requests.append((self.command, self.path, body))
                status, document = op.route(self.command, urlsplit(self.path).path, body, dict(self.headers))
                data = document if isinstance(document, bytes) else json.dumps(document).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            def do_GET(self) -> None:
                self._answer(b"")

            def do_POST(self) -> None:
                self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.issuer = self.base_url
        self.requests: list[tuple[str, str, bytes]] = []
        self.discovery_overrides: dict[str, Any] = {}
        self.claims: dict[str, Any] = {}
        self.token_extra: dict[str, Any] = {}
        self.userinfo: dict[str, Any] | None = None
        self.nonce = ""
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base_url}/authorize",
            "token_endpoint": f"{self.base_url}/token",
            "jwks_uri": f"{self.base_url}/jwks",
            "userinfo_endpoint": f"{self.base_url}/userinfo",
            "scopes_supported": ["openid", "email", "profile", "groups"],
            **self.discovery_overrides,
        }

    def id_claims(self) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.issuer, "aud": CLIENT_ID, "sub": "hostile-user-1", "iat": now, "exp": now + 300,
            "nonce": self.nonce, "email": "mallory@hostile.test", "email_verified": True,
            "groups": ["engineering"], **self.claims,
        }

    def route(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        if path == "/.well-known/openid-configuration":
            return 200, self.discovery()
        if path == "/jwks":
            return 200, jwks(rsa_key())
        if path == "/token" and method == "POST":
            return 200, {"token_type": "Bearer", "access_token": "at-1", "id_token": sign(self.id_claims()),
                         **self.token_extra}
        if path == "/userinfo":
            return 200, self.userinfo if self.userinfo is not None else {"sub": self.id_claims()["sub"]}
        return 404, {"error": "not_found"}

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.requests if m == method and urlsplit(p).path == path)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def hostile_op() -> Iterator[HostileOP]:
    op = HostileOP()
    yield op
    op.stop()


@pytest.fixture
def hostile(hostile_op: HostileOP, make_connection: Any) -> Any:
    """Organization ``hostile`` with an OIDC connection to the hostile OP."""
    return make_connection(
        "hostile", kind="oidc", org_name="Hostile Inc", issuer=hostile_op.issuer, client_id=CLIENT_ID,
        group_mapping={"engineering": "Engineers"},
    )


def callback_of(client: Any, op: HostileOP, org: str = "hostile", code: str = "code-1") -> Any:
    """Start a login at ``org``; answer as the provider would (code + state to the redirect URI
    the app sent); return the app's response to the callback."""
    url = start(client, org)
    query = parse_qs(urlsplit(url).query)
    op.nonce = query["nonce"][0]
    callback = path_of(query["redirect_uri"][0])
    return client.get(f"{callback}?{urlencode({'code': code, 'state': query['state'][0]})}")

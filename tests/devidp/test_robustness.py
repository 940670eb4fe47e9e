"""Malformed input never crashes a server thread: always a clean 4xx, never a traceback."""

from __future__ import annotations

import socket

import pytest

from tenant_sso.devidp import DevIdPServer

from .helpers import rp


def _raw(server: DevIdPServer, payload: bytes) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "target",
    [
        "/oauth2/authorize?%zz=%ff&client_id=%E0%A4%A",
        "/oauth2/authorize?" + "&".join(f"p{i}=x" for i in range(500)),
        "/logout?client_id=acme-client&client_id=other",
        "/oauth2/authorize?client_id=acme-client&redirect_uri=http://127.0.0.1:8000/api/oidc/cognito/callback/"
        "&state=a&state=b&response_type=code&scope=openid",
    ],
)
def test_malformed_queries(shared_server: DevIdPServer, target: str) -> None:
    response = rp().get(shared_server.base_url + target)
    assert 300 <= response.status_code < 500
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "payload",
    [
        b"NOT A REQUEST LINE AT ALL\r\n\r\n",
        b"GET /oauth2/authorize HTTP/1.1\r\nHost: x\r\nCookie: ;;;=;devidp_session\r\n\r\n",
        b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
        b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 8\r\n\r\n\xff\xfe=%%%&a",
        b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Authorization: Basic Zm9v\r\nContent-Length: 29\r\n\r\ngrant_type=authorization_code",
        b"DELETE /oauth2/token HTTP/1.1\r\nHost: x\r\n\r\n",
        b"OPTIONS /nowhere HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
)
def test_malformed_requests(shared_server: DevIdPServer, payload: bytes) -> None:
    answer = _raw(shared_server, payload)
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:200]
    assert b"Traceback" not in answer
    # The server is still up.
    assert rp().get(shared_server.jwks_url).status_code == 200


def test_userinfo_with_odd_authorization(shared_server: DevIdPServer) -> None:
    url = f"{shared_server.base_url}/oauth2/userInfo"
    for value in ["Bearer", "Bearer a.b.c", "Basic abc", "Bearer " + "x" * 5000]:
        assert rp().get(url, headers={"Authorization": value}).status_code == 401


def test_requests_are_logged_without_secrets(
    shared_server: DevIdPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="tenant_sso.devidp")
    rp().get(f"{shared_server.base_url}/oauth2/token?code=SUPERSECRETCODE&client_secret=HUSH-HUSH")
    lines = [r.getMessage() for r in caplog.records if r.name == "tenant_sso.devidp"]
    assert any('"GET /oauth2/token?code=SUPE...&client_secret=HUSH..." 405' in line for line in lines), lines
    assert not any("SUPERSECRETCODE" in line or "HUSH-HUSH" in line for line in lines)

"""The pytest fixtures, the Python API around serving, and the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tenant_sso.devidp import DevIdP, DevIdPConfig, DevIdPLookupError, DevIdPServer
from tenant_sso.devidp.pytest_plugin import ALLOWED_USER, DENIED_USER, default_config

from .helpers import config, rp, verify


def test_devidp_fixture_default_pool(devidp: DevIdPServer) -> None:
    assert devidp.base_url.startswith("http://127.0.0.1:")
    assert devidp.issuer == f"{devidp.base_url}/us-east-1_DevPool01"
    users = {u.email: u for u in devidp.idp.users("AcmeOkta")}
    assert set(users) == {ALLOWED_USER, DENIED_USER}
    assert users[ALLOWED_USER].groups == ("engineering", "sso-admins")
    callback = "http://testserver/api/oidc/cognito/callback/"
    assert callback in devidp.idp.config.clients[0].callback_urls
    location = devidp.idp.complete_login(devidp.authorize_url("acme-client", callback), DENIED_USER)
    assert location.startswith(callback + "?code=")


def test_devidp_factory_stops_servers(devidp_factory: Callable[..., DevIdPServer]) -> None:
    first = devidp_factory()
    second = devidp_factory(DevIdPConfig.from_dict(config()))
    assert first.port != second.port
    assert rp().get(second.jwks_url).status_code == 200
    first.stop()
    first.stop()  # idempotent
    with pytest.raises(httpx.TransportError):  # connection refused
        rp().get(first.jwks_url, timeout=2)


def test_serve_as_context_manager_and_restart() -> None:
    idp = DevIdP(DevIdPConfig.from_dict(default_config()))
    with idp.serve() as server:
        assert rp().get(server.discovery_url).json()["issuer"] == server.issuer == idp.issuer
        with pytest.raises(RuntimeError, match="already serving"):
            idp.serve()
    with pytest.raises(RuntimeError, match="not serving"):
        _ = idp.issuer
    with idp.serve() as again:
        assert again.issuer == idp.issuer
    with pytest.raises(ValueError, match="loopback"):
        idp.serve(host="0.0.0.0")


def test_python_api_users_and_clients(devidp: DevIdPServer) -> None:
    idp = devidp.idp
    idp.add_user("AcmeOkta", {"sub": "00u3carol", "email": "carol@acme.test", "groups": ["x"]})
    tokens = idp.issue_tokens_for("acme-client", "carol@acme.test", nonce="n")
    _, claims = verify(devidp, tokens["id_token"])
    assert claims["custom:groups"] == "[x]" and claims["nonce"] == "n"
    assert set(tokens) == {"id_token", "access_token", "refresh_token", "expires_in", "token_type"}
    idp.set_roles("AcmeOkta", "carol@acme.test", ["auditor"])
    assert idp.users("AcmeOkta")[-1].roles == ("auditor",)
    pool_user = idp.pool_user("AcmeOkta", "carol@acme.test")
    assert pool_user is not None and pool_user.username == "AcmeOkta_00u3carol"
    with pytest.raises(DevIdPLookupError, match="unknown identity provider"):
        idp.set_groups("Nope", "carol@acme.test", [])
    with pytest.raises(DevIdPLookupError, match="no user"):
        idp.set_groups("AcmeOkta", "nobody@acme.test", [])
    with pytest.raises(DevIdPLookupError):
        idp.issue_tokens_for("acme-client", "nobody@acme.test")
    live = "http://127.0.0.1:45678/api/oidc/cognito/callback/"
    idp.add_callback_url("acme-client", live)
    idp.add_logout_url("acme-client", "http://127.0.0.1:45678/")
    assert idp.complete_login(devidp.authorize_url("acme-client", live), "carol@acme.test").startswith(live)
    idp.remove_user("AcmeOkta", "carol@acme.test")
    assert "carol@acme.test" not in {u.email for u in idp.users("AcmeOkta")}


def _start_cli(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tenant_sso.devidp", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_cli_serves_rotates_and_stops(tmp_path: Path) -> None:
    config_file = tmp_path / "devidp.json"
    config_file.write_text(json.dumps(config()))
    key_file = tmp_path / "keys.json"
    proc = _start_cli(
        ["--config", str(config_file), "--port", "0", "--key-file", str(key_file), "--rotate-keys"]
    )
    try:
        assert proc.stdout is not None
        banner: dict[str, Any] = {}
        lines: list[str] = []
        deadline = time.monotonic() + 15
        while not lines or "Press Ctrl-C" not in lines[-1]:
            line = proc.stdout.readline()
            assert line and time.monotonic() < deadline, lines
            lines.append(line)
            if "base URL" in line:
                banner["base"] = line.split()[-1]
            if line.strip().startswith("issuer:"):
                banner["issuer"] = line.split()[-1]
        text = "".join(lines)
        assert "client acme-client" in text and "alice@acme.test" in text
        assert "acme-secret" not in text
        assert banner["issuer"] == f"{banner['base']}/us-east-1_DevPool01"
        keys = rp().get(f"{banner['issuer']}/.well-known/jwks.json").json()["keys"]
        assert len(keys) == 2  # the generated key and the rotated one
        rp().get(f"{banner['base']}/oauth2/authorize?client_id=acme-client&code=TOPSECRETCODE")
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert '"GET /oauth2/authorize?client_id=acme-client&code=TOPS..." 400' in err
    assert "TOPSECRETCODE" not in err and "acme-secret" not in err
    assert "devidp: stopped" in err


def test_cli_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"user_pool_id": "x"}))
    result = subprocess.run(
        [sys.executable, "-m", "tenant_sso.devidp", "--config", str(bad), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "devidp: error:" in result.stderr and "user_pool_id" in result.stderr


def test_restarts_on_the_same_port_right_after_a_stop_but_never_shares_a_live_one() -> None:
    """`make demo` run again right after Ctrl-C must get its port back (TIME_WAIT connections)."""
    first = DevIdP(DevIdPConfig.from_dict(default_config())).serve(port=0)
    port = first.port
    assert httpx.get(first.discovery_url).status_code == 200
    with pytest.raises(OSError):
        DevIdP(DevIdPConfig.from_dict(default_config())).serve(port=port)
    first.stop()
    again = DevIdP(DevIdPConfig.from_dict(default_config())).serve(port=port)
    try:
        assert httpx.get(again.discovery_url).status_code == 200
    finally:
        again.stop()

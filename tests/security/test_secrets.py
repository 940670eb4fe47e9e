"""Secrets at rest and in logs: client secrets encrypted and rotatable; no secret, code, token or
state in a database dump or in the logs of whole logins (successful and refused)."""

from __future__ import annotations

import json
import logging
from io import StringIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from tenant_sso.flows import SESSION_KEY
from tenant_sso.models import Connection
from tests.support import attempts, urls
from tests.support.driver import login, path_of, start
from tests.support.pages import ME

OLD_KEY = "x0S9v0u2bM2pDzqBnd7dtyQt3aqwXh3TNmtjpO3oZJk="  # tests/settings.py
NEW_KEY = Fernet.generate_key().decode()
OTHER_KEY = Fernet.generate_key().decode()


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("sso_rotate_secrets", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


# -- sso_rotate_secrets -------------------------------------------------------------------------
def test_rotation_moves_every_secret_to_the_newest_key_and_logins_go_on(
    client: Any, tenants: Any, pool: Any
) -> None:
    Connection.objects.filter(pk=tenants["globex"].pk).update(enabled=False)  # disabled ones too
    before = dict(Connection.objects.values_list("pk", "client_secret_encrypted"))
    with override_settings(TENANT_SSO_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert "Dry run" in rotate("--dry-run")
        assert dict(Connection.objects.values_list("pk", "client_secret_encrypted")) == before
        output = rotate()
    assert "Re-encrypted 2 client secret(s)" in output and "2 were under an older key" in output
    Connection.objects.filter(pk=tenants["globex"].pk).update(enabled=True)
    with override_settings(TENANT_SSO_ENCRYPTION_KEYS=[NEW_KEY]):  # the old key is gone
        secrets = {c.client_id: c.get_client_secret() for c in Connection.objects.all()}
        assert secrets == {"acme-client": "acme-secret", "globex-client": "globex-secret"}
        assert login(client, pool).status_code == 302
        assert client.get(ME).status_code == 200
        assert "0 were under an older key" in rotate()


def test_rotation_refuses_and_changes_nothing_when_a_secret_is_unreadable(tenants: Any) -> None:
    before = dict(Connection.objects.values_list("pk", "client_secret_encrypted"))
    with override_settings(TENANT_SSO_ENCRYPTION_KEYS=[NEW_KEY, OTHER_KEY]):
        with pytest.raises(CommandError) as info:
            rotate()
    message = str(info.value)
    assert "cannot be decrypted" in message and "Nothing was changed" in message
    assert f"{tenants['acme'].pk} (acme)" in message and "acme-secret" not in message
    assert dict(Connection.objects.values_list("pk", "client_secret_encrypted")) == before


def test_rotation_with_a_malformed_key_is_a_clear_error(tenants: Any) -> None:
    with override_settings(TENANT_SSO_ENCRYPTION_KEYS=["not-a-fernet-key"]):
        with pytest.raises(CommandError, match="malformed"):
            rotate()


def test_rotation_of_a_plaintext_secret_is_refused(tenants: Any) -> None:
    """A secret written around the model (raw SQL, an old fixture) is named, never re-encrypted."""
    Connection.objects.filter(pk=tenants["acme"].pk).update(client_secret_encrypted="acme-secret")
    with pytest.raises(CommandError, match="cannot be decrypted"):
        rotate()


# -- no secret in a dump or in the logs ----------------------------------------------------------
class Recorder:
    """A forwarding proxy in front of the IdP's token endpoint that keeps what it answered."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.answers: list[dict[str, Any]] = []
        self.requests: list[bytes] = []

    def __call__(self, handler: Any) -> None:
        body = getattr(handler, "body", b"")
        self.requests.append(body)
        headers = {k: v for k, v in handler.headers.items() if k.lower() in ("authorization", "content-type")}
        upstream = httpx.request(handler.command, self.target + handler.path, content=body, headers=headers)
        try:
            self.answers.append(upstream.json())
        except ValueError:
            pass
        handler.send_response(upstream.status_code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(upstream.content)))
        handler.end_headers()
        handler.wfile.write(upstream.content)


def test_no_secret_reaches_a_dump_or_the_logs(
    client: Any, tenants: Any, pool: Any, idp: Any, stub_server: Any, caplog: Any
) -> None:
    recorder = Recorder(idp.base_url)
    proxy = stub_server(recorder)
    Connection.objects.filter(pk=tenants["acme"].pk).update(cognito_domain=proxy.base_url)
    for name in ("", "tenant_sso", "tenant_sso.audit", "tenant_sso.devidp", "django", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name or None)
    secrets: set[str] = {"acme-secret", "globex-secret"}

    # A whole login; the user's part at the IdP runs in-process (a test browser's own request log
    # would show the URLs it visits, which is the browser's business, not the application's).
    authorize = start(client)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    secrets.add(state)
    secrets.add(attempts.pending(client)[state]["verifier"])
    callback = path_of(pool.complete_login(authorize, "alice@acme.test"))
    code = parse_qs(urlsplit(callback).query)["code"][0]
    secrets.add(code)
    assert client.get(callback).status_code == 302
    assert client.get(ME).status_code == 200
    secrets.add(client.session[SESSION_KEY]["id_token"])
    secrets.add(client.session.session_key or "-")  # the SSO session index holds it encrypted only
    # Refused ones: a replay, a stolen code in another browser, a forged token.
    client.get(callback)
    thief = Client()
    thief_state = parse_qs(urlsplit(start(thief)).query)["state"][0]
    secrets.add(thief_state)
    thief.get(f"{urls.callback()}?state={thief_state}&code={code}")
    pool.id_token_hook = lambda h, c, sign: sign(h, {**c, "nonce": "forged"})
    other = Client()
    other.get(path_of(pool.complete_login(start(other), "alice@acme.test")))
    for document in recorder.answers:
        secrets.update(v for k, v in document.items() if k in ("id_token", "access_token", "refresh_token"))
    assert len(recorder.answers) == 3 and len(secrets) >= 10

    dump = StringIO()
    call_command("dumpdata", "tenant_sso", stdout=dump)
    dump_text = dump.getvalue()
    assert json.loads(dump_text)  # a real dump, with the connections and the events in it
    assert "LoginEvent".lower() in dump_text.lower() and "client_secret_encrypted" in dump_text
    assert "session_key_encrypted" in dump_text

    logs = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {json.dumps(getattr(r, '__dict__', {}), default=str)}"
        for r in caplog.records
    )
    assert "POST /oauth2/token" in logs  # the IdP's request log was captured
    for secret in secrets:
        assert secret not in dump_text, f"a secret ({secret[:6]}...) is in the dump"
        assert secret not in logs, f"a secret ({secret[:6]}...) is in the logs"

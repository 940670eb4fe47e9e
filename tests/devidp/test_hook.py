"""``id_token_hook``: tests forge the ID token served by /oauth2/token."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from tenant_sso.devidp import DevIdPServer

from .helpers import Browser, exchange, verify

Factory = Callable[..., DevIdPServer]
Sign = Callable[[dict[str, Any], dict[str, Any]], str]


def _id_token(server: DevIdPServer, browser: Browser) -> str:
    response = exchange(server, browser.login()["code"])
    assert response.status_code == 200
    return str(response.json()["id_token"])


def test_hook_can_change_claims_and_still_sign(server: DevIdPServer, browser: Browser) -> None:
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def hook(header: dict[str, Any], claims: dict[str, Any], sign: Sign) -> str:
        seen.append((header, claims))
        return sign(header, {**claims, "aud": "someone-else", "exp": claims["iat"] - 10})

    server.idp.id_token_hook = hook
    token = _id_token(server, browser)
    ((header, original),) = seen
    assert header == {"kid": server.idp.keys.current.kid, "alg": "RS256"}
    assert original["aud"] == "acme-client"
    _, claims = verify(server, token)  # the signature is still valid ...
    assert claims["aud"] == "someone-else" and claims["exp"] < claims["iat"]  # ... the claims are not


def test_hook_can_forge_alg_none_and_foreign_keys(server: DevIdPServer, browser: Browser) -> None:
    def alg_none(header: dict[str, Any], claims: dict[str, Any], sign: Sign) -> str:
        def b64(data: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        return f"{b64({'alg': 'none'})}.{b64(claims)}."

    server.idp.id_token_hook = alg_none
    token = _id_token(server, browser)
    assert token.endswith(".")
    with pytest.raises((JoseError, ValueError)):
        verify(server, token)

    attacker = RSAKey.generate_key(2048, parameters={"alg": "RS256"})

    def other_key(header: dict[str, Any], claims: dict[str, Any], sign: Sign) -> str:
        return jwt.encode(header, claims, attacker)  # same kid, wrong key

    server.idp.id_token_hook = other_key
    with pytest.raises(JoseError):
        verify(server, _id_token(server, browser))

    def unknown_kid(header: dict[str, Any], claims: dict[str, Any], sign: Sign) -> str:
        return sign({"kid": "not-published"}, claims)

    server.idp.id_token_hook = unknown_kid
    token = _id_token(server, browser)
    assert jws.extract_compact(token.encode()).headers()["kid"] == "not-published"


def test_hook_applies_to_issue_tokens_for(server: DevIdPServer) -> None:
    server.idp.id_token_hook = lambda header, claims, sign: "forged"
    assert server.idp.issue_tokens_for("acme-client", "alice@acme.test", nonce="n")["id_token"] == "forged"
    server.idp.id_token_hook = None
    tokens = server.idp.issue_tokens_for("acme-client", "alice@acme.test", nonce="n")
    assert verify(server, tokens["id_token"])[1]["nonce"] == "n"


def test_hook_error_is_a_clean_500(server: DevIdPServer, browser: Browser) -> None:
    def broken(header: dict[str, Any], claims: dict[str, Any], sign: Sign) -> str:
        raise RuntimeError("boom")

    server.idp.id_token_hook = broken
    response = exchange(server, browser.login()["code"])
    assert response.status_code == 500 and "boom" not in response.text and "Traceback" not in response.text

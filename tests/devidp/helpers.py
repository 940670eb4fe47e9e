"""Drive the devidp over HTTP as a browser and as a relying party would."""

from __future__ import annotations

import base64
import hashlib
import secrets
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from tenant_sso.devidp import DevIdPServer
from tests.support.html import hidden_fields

CALLBACK = "http://127.0.0.1:8000/api/oidc/cognito/callback/"
LOGGED_OUT = "http://127.0.0.1:8000/"
POOL = "us-east-1_DevPool01"

# Building an SSL context costs ~0.1 s per httpx.Client; the tests only speak plain HTTP.
_SSL = ssl.create_default_context()
_HTTP = httpx.Client(verify=_SSL, timeout=10)


def new_client(**kwargs: Any) -> httpx.Client:
    """An httpx client (own cookie jar) without the per-client SSL set-up cost."""
    return httpx.Client(verify=_SSL, timeout=10, **kwargs)


def rp() -> httpx.Client:
    """The relying party's shared client for back-channel calls (token, JWKS, userInfo)."""
    return _HTTP


def config(groups_format: str = "bracketed", **client_overrides: Any) -> dict[str, Any]:
    """The brief's example pool, plus a user without groups and a second IdP/client."""
    return {
        "region": "us-east-1",
        "user_pool_id": POOL,
        "token_ttl": 3600,
        "clients": [
            {
                "client_id": "acme-client",
                "client_secret": "acme-secret",
                "callback_urls": [CALLBACK],
                "logout_urls": [LOGGED_OUT],
                "identity_providers": ["AcmeOkta"],
                **client_overrides,
            },
            {
                "client_id": "globex-client",
                "client_secret": "globex-secret",
                "callback_urls": [CALLBACK],
                "logout_urls": [LOGGED_OUT],
                "identity_providers": ["GlobexEntra"],
            },
        ],
        "identity_providers": [
            {
                "name": "AcmeOkta",
                "groups_format": groups_format,
                "users": [
                    {
                        "sub": "00u1alice",
                        "email": "alice@acme.test",
                        "email_verified": True,
                        "given_name": "Alice",
                        "family_name": "Anders",
                        "groups": ["engineering", "sso-admins"],
                        "roles": ["admin"],
                    },
                    {"sub": "00u2nogroups", "email": "nogroups@acme.test"},
                ],
            },
            {
                "name": "GlobexEntra",
                "groups_format": "json",
                "users": [{"sub": "entra-carol", "email": "carol@globex.test", "groups": ["g1"]}],
            },
        ],
    }


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass
class Browser:
    """A browser at the IdP: one cookie jar, no automatic redirects."""

    server: DevIdPServer
    http: httpx.Client

    def authorize(
        self, client_id: str = "acme-client", redirect_uri: str = CALLBACK, **params: str
    ) -> httpx.Response:
        return self.http.get(self.server.authorize_url(client_id, redirect_uri, **params))

    def login(
        self, email: str = "alice@acme.test", client_id: str = "acme-client", **params: str
    ) -> dict[str, str]:
        """Authorize, pick ``email`` on the login page (unless the session signs in silently);
        return the callback's query parameters."""
        page = self.authorize(client_id, **params)
        if page.status_code == 302:
            return query_of(page.headers["location"])
        assert page.status_code == 200, page.text
        answer = self.http.post(
            f"{self.server.base_url}/login", data={**hidden_fields(page.text), "user": email}
        )
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        assert location.startswith(CALLBACK + "?")
        return query_of(location)


def exchange(
    server: DevIdPServer,
    code: str,
    *,
    auth: str = "basic",
    client_id: str = "acme-client",
    secret: str = "acme-secret",
    redirect_uri: str = CALLBACK,
    **extra: str,
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **extra}
    if auth == "basic":
        return _HTTP.post(f"{server.base_url}/oauth2/token", data=data, auth=(client_id, secret))
    return _HTTP.post(
        f"{server.base_url}/oauth2/token", data={**data, "client_id": client_id, "client_secret": secret}
    )


def verify(server: DevIdPServer, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify a JWT against the server's published JWKS; return (header, claims)."""
    keys = KeySet.import_key_set(_HTTP.get(server.jwks_url).json())
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    return dict(decoded.header), dict(decoded.claims)

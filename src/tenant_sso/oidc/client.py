"""The relying party's requests: authorization URL, code exchange, userinfo, logout URLs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from ..exceptions import ProviderError, ProviderRefused, TokenError
from .http import ProviderHTTP
from .metadata import ProviderMetadata


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str
    auth_method: str = "client_secret_basic"  # or "client_secret_post"


WANTED_SCOPES = ("email", "profile", "groups")
#: RFC 6749 3.3: ``scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`` (printable ASCII but space, ``"``, ``\``).
SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")
MAX_SCOPE_LENGTH = 200
#: RFC 6750 2.1 b64token: what a Bearer access token may hold (it goes into a header).
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
MAX_ACCESS_TOKEN_LENGTH = 16384


def is_scope_token(value: str) -> bool:
    """A scope name as RFC 6749 3.3 allows it (and at most ``MAX_SCOPE_LENGTH`` characters)."""
    return len(value) <= MAX_SCOPE_LENGTH and SCOPE_TOKEN.match(value) is not None


def request_scope(
    metadata: ProviderMetadata, wanted: tuple[str, ...] = WANTED_SCOPES, extra: Iterable[str] = ()
) -> str:
    """``openid`` plus each wanted scope the provider lists in ``scopes_supported``, plus ``extra``.

    Email and profile claims come with their scopes (OIDC Core 5.4); Okta releases its groups
    claim only with ``groups``. Scopes a provider does not list are not sent (Entra ID reads an
    unknown bare scope as a Microsoft Graph permission); one that lists none gets the standard
    ``openid email profile``. ``extra`` (a connection's own scopes, e.g. a custom scope that
    releases groups) is always sent, listed or not, once each.
    """
    supported = set(metadata.scopes_supported)
    base = ["openid", "email", "profile"] if not supported else [
        "openid", *(scope for scope in wanted if scope in supported)
    ]
    return " ".join(dict.fromkeys([*base, *extra]))


def form_encoding_changes(value: str) -> bool:
    """True when RFC 6749 2.3.1's form-encoding of ``value`` differs from it (``+ / = :``, space...).

    Such a secret reaches the provider intact in ``client_secret_basic`` only if the provider
    form-decodes the Basic credentials, as 2.3.1 requires and several providers do not.
    """
    return quote(value, safe="") != value


def choose_auth_method(supported: Iterable[str], client_id: str, client_secret: str) -> str:
    """The automatic client authentication method (``client_secret_basic`` unless it is unsafe).

    ``client_secret_post`` when the provider lists only it, or lists it too and form-encoding
    would change the client ID or secret (so a provider that does not decode Basic credentials
    still sees the real ones); ``client_secret_basic`` otherwise (OIDC Core 9: the default).
    """
    methods = set(supported)
    if "client_secret_post" not in methods:
        return "client_secret_basic"
    if "client_secret_basic" not in methods:
        return "client_secret_post"
    if form_encoding_changes(client_id) or form_encoding_changes(client_secret):
        return "client_secret_post"
    return "client_secret_basic"


def authorization_url(
    metadata: ProviderMetadata,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    code_challenge: str | None,
    scope: str = "openid",
    extra: dict[str, str] | None = None,
) -> str:
    """The authorization request (OIDC Core 3.1.2.1), PKCE S256 when a challenge is given."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "nonce": nonce,
    }
    if code_challenge:
        params.update(code_challenge=code_challenge, code_challenge_method="S256")
    params.update(extra or {})
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    return f"{metadata.authorization_endpoint}{separator}{urlencode(params, quote_via=quote)}"


def exchange_code(
    http: ProviderHTTP,
    metadata: ProviderMetadata,
    credentials: ClientCredentials,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
) -> dict[str, Any]:
    """Exchange the authorization code at the token endpoint (OIDC Core 3.1.3)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        form["code_verifier"] = code_verifier
    auth: httpx.BasicAuth | None = None
    if credentials.auth_method == "client_secret_post":
        form.update(client_id=credentials.client_id, client_secret=credentials.client_secret)
    else:
        # RFC 6749 2.3.1: id and secret are form-urlencoded before Basic encoding.
        auth = httpx.BasicAuth(
            quote(credentials.client_id, safe=""), quote(credentials.client_secret, safe="")
        )
        form["client_id"] = credentials.client_id
    status, document = http.request_json("POST", metadata.token_endpoint, what="token", data=form, auth=auth)
    if status != 200 or "error" in document:
        error = str(document.get("error", ""))[:64] or f"http_{status}"
        raise ProviderRefused(
            "token_exchange_failed",
            detail=f"token endpoint HTTP {status}: error={error!r}",
            provider_error=error,
        )
    token_type = str(document.get("token_type", "")).lower()
    if token_type and token_type != "bearer":
        raise ProviderError("token_response_invalid", detail=f"token_type {token_type[:20]!r}")
    if not isinstance(document.get("id_token"), str):
        raise TokenError("id_token_missing", detail="token response has no id_token")
    return document


def fetch_userinfo(http: ProviderHTTP, metadata: ProviderMetadata, access_token: str) -> dict[str, Any]:
    """UserInfo (OIDC Core 5.3); the caller must check its ``sub`` against the ID token's."""
    if not metadata.userinfo_endpoint:
        raise ProviderError("userinfo_unavailable", detail="provider has no userinfo endpoint")
    if len(access_token) > MAX_ACCESS_TOKEN_LENGTH or not _B64TOKEN.fullmatch(access_token):
        raise ProviderError("access_token_invalid", detail="access token is not an RFC 6750 b64token")
    return http.get_json(
        metadata.userinfo_endpoint,
        what="userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
    )


def rp_initiated_logout_url(
    metadata: ProviderMetadata,
    *,
    client_id: str,
    id_token_hint: str | None,
    post_logout_redirect_uri: str,
    state: str | None = None,
) -> str | None:
    """OpenID Connect RP-Initiated Logout 1.0, section 2; None when the OP has no end session."""
    if not metadata.end_session_endpoint:
        return None
    params = {"client_id": client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
    if id_token_hint:
        params["id_token_hint"] = id_token_hint
    if state:
        params["state"] = state
    separator = "&" if "?" in metadata.end_session_endpoint else "?"
    return f"{metadata.end_session_endpoint}{separator}{urlencode(params, quote_via=quote)}"

"""Shared state of the development identity provider and the helpers every endpoint uses.

:class:`PoolState` holds the pool (clients, identity providers and their users, pool users),
the short-lived records of the OAuth flows (pending logins, codes, sessions, refresh tokens) and
the signing keys, all behind one re-entrant lock. Endpoints live in :mod:`.authorize` and
:mod:`.token`; the public class is :class:`tenant_sso.devidp.DevIdP`.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from . import pages
from .claims import MAX_CUSTOM_ATTRIBUTE_LENGTH, PoolUser, at_hash, pool_user_sub
from .config import ClientConfig, DevIdPConfig, IdentityProviderConfig, UserConfig
from .exceptions import DevIdPLookupError, DevIdPSignInError
from .keys import KeyStore
from .web import Response, add_query, html_response, redirect

if TYPE_CHECKING:
    from .server import DevIdPServer

#: Cognito's session cookie on the hosted domain. Deliberately not ``sessionid``/``csrftoken``:
#: cookies ignore ports, and the Django app under test runs on the same host.
SESSION_COOKIE = "devidp_session"
#: The upstream IdP's own session (only for IdPs with ``remember_upstream_session``).
UPSTREAM_COOKIE = "devidp_upstream"

SignFunction = Callable[[dict[str, Any], dict[str, Any]], str]
IdTokenHook = Callable[[dict[str, Any], dict[str, Any], SignFunction], str]

# RFC 7636 4.1: code_verifier = 43*128unreserved; the S256 challenge has the same alphabet.
PKCE_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
FORM_TYPE = "application/x-www-form-urlencoded"

UserKey = tuple[str, str]  # (IdP name, upstream sub)


@dataclass
class PendingLogin:
    """An authorization request waiting for the user at the upstream sign-in page."""

    csrf_token: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    idp_name: str
    expires_at: float


@dataclass
class AuthCode:
    """An authorization code: single use, bound to client, redirect_uri and PKCE challenge."""

    client_id: str
    redirect_uri: str
    user_key: UserKey
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    auth_time: int
    expires_at: float
    used: bool = False


@dataclass
class Session:
    """The hosted domain's session (Cognito's cookie): enables silent SSO."""

    user_key: UserKey
    auth_time: int
    expires_at: float


@dataclass
class RefreshTokenRecord:
    """A refresh token (opaque, server-side); ``origin_jti`` names its token family."""

    client_id: str
    user_key: UserKey
    scopes: tuple[str, ...]
    auth_time: int
    origin_jti: str
    expires_at: float
    revoked: bool = False


def cookie_header(name: str, value: str, max_age: int) -> tuple[str, str]:
    """A ``Set-Cookie`` header for the hosted domain (HttpOnly, SameSite=Lax, Path=/)."""
    return ("Set-Cookie", f"{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax")


class PoolState:
    """State and shared helpers; see :class:`tenant_sso.devidp.DevIdP` for the public API."""

    def __init__(
        self,
        config: DevIdPConfig,
        key_file: str | Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.keys = KeyStore(key_file)
        self.clock = clock
        self.code_ttl: float = config.code_ttl
        self.token_ttl: int = config.token_ttl
        self.session_ttl: int = config.session_ttl
        self.refresh_token_ttl: int = config.refresh_token_ttl
        self.pending_ttl: float = 600
        self.id_token_hook: IdTokenHook | None = None
        self._lock = threading.RLock()
        self._clients: dict[str, ClientConfig] = {c.client_id: c for c in config.clients}
        self._idps: dict[str, IdentityProviderConfig] = {
            i.name: dataclasses.replace(i, users=()) for i in config.identity_providers
        }
        self._users: dict[str, dict[str, UserConfig]] = {
            i.name: {u.sub: u for u in i.users} for i in config.identity_providers
        }
        self._pool_users: dict[UserKey, PoolUser] = {}
        self._pending: dict[str, PendingLogin] = {}
        self._codes: dict[str, AuthCode] = {}
        self._sessions: dict[str, Session] = {}
        self._upstream: dict[str, dict[str, tuple[str, float]]] = {}
        self._refresh_tokens: dict[str, RefreshTokenRecord] = {}
        self._revoked_families: set[str] = set()
        # SAML IdPs (saml_broker.py): metadata read once, AuthnRequests sent, assertion ids used.
        self._saml_metadata: dict[str, Any] = {}
        self._saml_pending: dict[str, Any] = {}
        self._saml_seen: dict[str, float] = {}
        #: Admin API calls answered (operation, username, attribute names): what tests assert on.
        self.admin_calls: list[tuple[str, str, tuple[str, ...]]] = []
        self._base_url: str | None = None
        self._server: DevIdPServer | None = None

    @property
    def base_url(self) -> str:
        """The hosted domain, e.g. ``http://127.0.0.1:54321`` (only while serving)."""
        if self._base_url is None:
            raise RuntimeError("the DevIdP is not serving: call serve() first")
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        # For in-process use (handle() without a socket); serve() sets it itself.
        self._base_url = value.rstrip("/")

    @property
    def issuer(self) -> str:
        """The pool issuer, ``{base_url}/{user_pool_id}``: the ``iss`` of every token."""
        return f"{self.base_url}/{self.config.user_pool_id}"

    def _idp(self, idp_name: str) -> IdentityProviderConfig:
        try:
            return self._idps[idp_name]
        except KeyError:
            raise DevIdPLookupError(f"unknown identity provider {idp_name!r}") from None

    def _client(self, client_id: str) -> ClientConfig:
        try:
            return self._clients[client_id]
        except KeyError:
            raise DevIdPLookupError(f"unknown client {client_id!r}") from None

    def _find_user(self, idp_name: str, email: str) -> UserConfig | None:
        wanted = email.strip().lower()
        for user in self._users[idp_name].values():
            if user.email.lower() == wanted:
                return user
        return None

    def _federated_login(self, idp_name: str, user: UserConfig) -> PoolUser:
        """Create or update the pool user from the IdP's claims, as Cognito does at sign-in.

        Raises :class:`DevIdPSignInError` (leaving the pool user unchanged) when a custom
        attribute would exceed Cognito's 2,048-character limit: such a user cannot sign in.
        """
        idp = self._idps[idp_name]
        key = (idp_name, user.sub)
        existing = self._pool_users.get(key)
        candidate = (
            dataclasses.replace(existing)
            if existing
            else PoolUser(
                idp_name=idp_name,
                upstream_sub=user.sub,
                sub=pool_user_sub(self.config.user_pool_id, idp_name, user.sub),
                date_created_ms=int(self.clock() * 1000),
                email=user.email,
                email_verified=user.email_verified,
                given_name=None,
                family_name=None,
                custom_groups=None,
                custom_roles=None,
                extra_claims={},
            )
        )
        candidate.sync_from(user, idp.groups_format, idp.keep_stale_attributes)
        too_long = candidate.too_long_attribute()
        if too_long is not None:
            raise DevIdPSignInError(
                f"Invalid user attributes: {too_long}: String must be no longer than "
                f"{MAX_CUSTOM_ATTRIBUTE_LENGTH} characters"
            )
        self._pool_users[key] = candidate
        return candidate

    def _open_session(self, user_key: tuple[str, str], now: float, previous: str | None) -> tuple[str, str]:
        """The pool's session for ``user_key`` after a sign-in at an upstream IdP (OIDC or SAML),
        replacing the browser's previous one (its id, ``previous``); its cookie header."""
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = Session(user_key, int(now), now + self.session_ttl)
        self._sessions.pop(previous or "", None)
        return cookie_header(SESSION_COOKIE, session_id, self.session_ttl)

    def _new_code(
        self,
        client: ClientConfig,
        redirect_uri: str,
        user_key: UserKey,
        scopes: tuple[str, ...],
        nonce: str | None,
        challenge: str | None,
        auth_time: int,
        now: float,
    ) -> str:
        self._expire(now)
        code = secrets.token_urlsafe(32)
        self._codes[code] = AuthCode(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            user_key=user_key,
            scopes=scopes,
            nonce=nonce,
            code_challenge=challenge,
            auth_time=auth_time,
            expires_at=now + self.code_ttl,
        )
        return code

    def _expire(self, now: float) -> None:
        """Drop expired codes, pending logins (OIDC and SAML), sessions and the SAML assertion ids
        remembered against replay (keeps memory bounded)."""
        for store in (self._codes, self._pending, self._sessions, self._saml_pending):
            for key in [k for k, v in store.items() if v.expires_at <= now]:
                del store[key]
        for key in [k for k, until in self._saml_seen.items() if until <= now]:
            del self._saml_seen[key]

    def _mint(
        self,
        client: ClientConfig,
        pool_user: PoolUser,
        scopes: tuple[str, ...],
        nonce: str | None,
        auth_time: int,
        origin_jti: str | None,
    ) -> dict[str, Any]:
        """Sign an access token and an ID token (through ``id_token_hook``); maybe a refresh token."""
        with self._lock:
            now = int(self.clock())
            issuer = self.issuer
            user = dataclasses.replace(pool_user)  # a snapshot, signed outside the lock
            refresh_token: str | None = None
            if origin_jti is None:
                origin_jti = str(uuid.uuid4())
                refresh_token = secrets.token_urlsafe(64)
                self._refresh_tokens[refresh_token] = RefreshTokenRecord(
                    client_id=client.client_id,
                    user_key=(user.idp_name, user.upstream_sub),
                    scopes=scopes,
                    auth_time=auth_time,
                    origin_jti=origin_jti,
                    expires_at=now + self.refresh_token_ttl,
                )
            ttl = self.token_ttl
            hook = self.id_token_hook
        event_id = str(uuid.uuid4())
        pool_group = f"{self.config.user_pool_id}_{user.idp_name}"
        access_claims: dict[str, Any] = {
            "sub": user.sub,
            "cognito:groups": [pool_group],
            "iss": issuer,
            "version": 2,
            "client_id": client.client_id,
            "origin_jti": origin_jti,
            "event_id": event_id,
            "token_use": "access",
            "scope": " ".join(scopes),
            "auth_time": auth_time,
            "exp": now + ttl,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "username": user.username,
        }
        access_token = self.keys.sign({}, access_claims)
        id_claims: dict[str, Any] = {
            **user.attributes(),
            "at_hash": at_hash(access_token),
            "sub": user.sub,
            "cognito:groups": [pool_group],
            "iss": issuer,
            "cognito:username": user.username,
            "origin_jti": origin_jti,
            "aud": client.client_id,
            "identities": user.identities(),
            "token_use": "id",
            "auth_time": auth_time,
            "exp": now + ttl,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "event_id": event_id,
        }
        if nonce is not None:
            id_claims["nonce"] = nonce
        header = {"kid": self.keys.current.kid, "alg": "RS256"}
        if hook is not None:
            id_token = hook(dict(header), dict(id_claims), self.keys.sign)
        else:
            id_token = self.keys.sign(header, id_claims)
        result: dict[str, Any] = {
            "id_token": id_token,
            "access_token": access_token,
            "expires_in": ttl,
            "token_type": "Bearer",
        }
        if refresh_token is not None:
            result["refresh_token"] = refresh_token
        return result


def error_page_response(error: str, description: str) -> Response:
    """Cognito's error page (HTTP 400) for requests that must not be redirected."""
    response = html_response(400, pages.error_page(error, description))
    response.context.update(error=error, error_description=description)
    return response


def error_redirect(redirect_uri: str, error: str, description: str, state: str | None) -> Response:
    """An authorization error sent back to the app (RFC 6749 4.1.2.1)."""
    params = {"error": error, "error_description": description, "state": state}
    return redirect(add_query(redirect_uri, params))


def query_params(query: str) -> dict[str, list[str]]:
    """Parse a query string into lists of values (no limits: for trusted in-process input)."""
    params: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(key, []).append(value)
    return params


def flat_params(params: Mapping[str, list[str]], **overrides: str) -> list[tuple[str, str]]:
    """Query parameters as pairs, minus logout-only ones, with ``overrides`` replacing values."""
    pairs = [
        (k, v) for k, values in params.items() if k not in overrides and k != "logout_uri" for v in values
    ]
    return pairs + list(overrides.items())

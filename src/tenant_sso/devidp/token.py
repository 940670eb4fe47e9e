"""The back-channel endpoints: ``/oauth2/token``, ``/oauth2/userInfo`` and ``/oauth2/revoke``.

Errors are RFC 6749 5.2 JSON documents with Cognito's codes: ``invalid_request``,
``invalid_client`` (401 with ``WWW-Authenticate`` when HTTP Basic failed), ``invalid_grant``,
``unauthorized_client`` and ``unsupported_grant_type``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from joserfc.errors import JoseError

from .config import ClientConfig
from .core import FORM_TYPE, PKCE_RE, PoolState
from .web import BadRequest, Request, Response, json_response, single


class _TokenError(Exception):
    """A token-endpoint error (RFC 6749 5.2), answered as JSON."""

    def __init__(self, error: str, description: str, status: int = 400, basic: bool = False):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.basic = basic

    def response(self) -> Response:
        headers = [("WWW-Authenticate", 'Basic realm="devidp"')] if self.basic else []
        return json_response(
            self.status, {"error": self.error, "error_description": self.description}, headers
        )


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class TokenEndpoints(PoolState):
    """``POST /oauth2/token``, ``GET|POST /oauth2/userInfo`` and ``POST /oauth2/revoke``."""

    def _token(self, request: Request) -> Response:
        try:
            if request.content_type != FORM_TYPE:
                raise _TokenError("invalid_request", f"Content-Type must be {FORM_TYPE}")
            form = request.form
            grant_type = single(form, "grant_type")
            if grant_type is None:
                raise _TokenError("invalid_request", "grant_type is required")
            client = self._authenticate_client(request)
            if grant_type == "authorization_code":
                return json_response(200, self._grant_code(client, form))
            if grant_type == "refresh_token":
                return json_response(200, self._grant_refresh(client, form))
            if grant_type in ("client_credentials", "password", "implicit"):
                raise _TokenError("unauthorized_client", f"{grant_type} is not enabled for this client")
            raise _TokenError("unsupported_grant_type", f"unsupported grant_type {grant_type!r}")
        except BadRequest as exc:
            return _TokenError("invalid_request", str(exc)).response()
        except _TokenError as exc:
            return exc.response()

    def _authenticate_client(self, request: Request) -> ClientConfig:
        """client_secret_basic or client_secret_post (RFC 6749 2.3.1), exactly one of them."""
        form = request.form
        form_id = single(form, "client_id")
        form_secret = single(form, "client_secret")
        authorization = request.header("Authorization")
        if authorization:
            scheme, _, credentials = authorization.strip().partition(" ")
            if scheme.lower() != "basic":
                raise _TokenError("invalid_client", "unsupported authorization scheme", 401, True)
            if form_secret is not None:
                raise _TokenError("invalid_request", "use only one client authentication method")
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                raise _TokenError("invalid_client", "malformed Basic credentials", 401, True) from None
            raw_id, sep, raw_secret = decoded.partition(":")
            # RFC 6749 2.3.1: id and secret are form-urlencoded before the Basic encoding.
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
            client = self._clients.get(client_id)
            if (
                not sep
                or client is None
                or not hmac.compare_digest(secret.encode(), (client.client_secret or "").encode())
            ):
                raise _TokenError("invalid_client", "Client authentication failed", 401, True)
            if form_id is not None and form_id != client_id:
                raise _TokenError("invalid_client", "client_id does not match the credentials")
            return client
        if form_id is None:
            raise _TokenError("invalid_client", "client authentication is required", 401, True)
        client = self._clients.get(form_id)
        if client is None:
            raise _TokenError("invalid_client", "Client does not exist")
        if client.client_secret is None:
            if form_secret is not None:
                raise _TokenError("invalid_client", "this client has no secret")
            return client
        if form_secret is None:
            raise _TokenError("invalid_client", "client_secret is required")
        if not hmac.compare_digest(form_secret.encode(), client.client_secret.encode()):
            raise _TokenError("invalid_client", "Client authentication failed")
        return client

    def _grant_code(self, client: ClientConfig, form: Mapping[str, list[str]]) -> dict[str, Any]:
        code = single(form, "code")
        redirect_uri = single(form, "redirect_uri")
        verifier = single(form, "code_verifier")
        if code is None:
            raise _TokenError("invalid_request", "code is required")
        if redirect_uri is None:
            raise _TokenError("invalid_request", "redirect_uri is required")
        with self._lock:
            now = self.clock()
            record = self._codes.get(code)
            if record is None:
                raise _TokenError("invalid_grant", "invalid authorization code")
            if record.client_id != client.client_id:
                raise _TokenError("invalid_grant", "the code was issued to another client")
            if record.used:
                raise _TokenError("invalid_grant", "the authorization code was already used")
            if record.expires_at <= now:
                del self._codes[code]
                raise _TokenError("invalid_grant", "the authorization code has expired")
            # Any exchange attempt burns the code (RFC 6749 4.1.2: use it at most once).
            record.used = True
            if redirect_uri != record.redirect_uri:
                raise _TokenError("invalid_grant", "redirect_uri does not match the authorize request")
            if record.code_challenge is not None:
                if verifier is None:
                    raise _TokenError("invalid_grant", "code_verifier is required")
                if not PKCE_RE.match(verifier) or not hmac.compare_digest(
                    _s256(verifier), record.code_challenge
                ):
                    raise _TokenError("invalid_grant", "PKCE verification failed")
            elif verifier is not None:
                raise _TokenError("invalid_grant", "code_verifier sent but no code_challenge was")
            pool_user = self._pool_users[record.user_key]
        return self._mint(client, pool_user, record.scopes, record.nonce, record.auth_time, None)

    def _grant_refresh(self, client: ClientConfig, form: Mapping[str, list[str]]) -> dict[str, Any]:
        token = single(form, "refresh_token")
        if token is None:
            raise _TokenError("invalid_request", "refresh_token is required")
        with self._lock:
            record = self._refresh_tokens.get(token)
            if (
                record is None
                or record.revoked
                or record.expires_at <= self.clock()
                or record.client_id != client.client_id
            ):
                raise _TokenError("invalid_grant", "Invalid Refresh Token")
            pool_user = self._pool_users[record.user_key]
        # Cognito returns new ID and access tokens but no new refresh token; auth_time is kept.
        return self._mint(client, pool_user, record.scopes, None, record.auth_time, record.origin_jti)

    def _userinfo(self, request: Request) -> Response:
        authorization = request.header("Authorization") or ""
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return json_response(
                401,
                {"error": "invalid_request", "error_description": "Bearer token required"},
                [("WWW-Authenticate", 'Bearer realm="devidp"')],
            )
        error = json_response(
            401,
            {"error": "invalid_token", "error_description": "Access token is not valid"},
            [("WWW-Authenticate", 'Bearer realm="devidp", error="invalid_token"')],
        )
        try:
            claims = self.keys.verify(token.strip())
        except (JoseError, ValueError, TypeError):
            return error
        with self._lock:
            if (
                claims.get("token_use") != "access"
                or claims.get("iss") != self.issuer
                or not isinstance(claims.get("exp"), int)
                or claims["exp"] <= self.clock()
                or "openid" not in str(claims.get("scope", "")).split()
                or claims.get("origin_jti") in self._revoked_families
            ):
                return error
            user = next((u for u in self._pool_users.values() if u.sub == claims.get("sub")), None)
            if user is None:
                return error
            return json_response(200, user.userinfo())

    def _revoke(self, request: Request) -> Response:
        try:
            if request.content_type != FORM_TYPE:
                raise _TokenError("invalid_request", f"Content-Type must be {FORM_TYPE}")
            client = self._authenticate_client(request)
            token = single(request.form, "token")
            if token is None:
                raise _TokenError("invalid_request", "token is required")
        except BadRequest as exc:
            return _TokenError("invalid_request", str(exc)).response()
        except _TokenError as exc:
            return exc.response()
        with self._lock:
            record = self._refresh_tokens.get(token)
            # RFC 7009 2.2: an unknown token, or another client's, is still a 200.
            if record is not None and record.client_id == client.client_id:
                record.revoked = True
                self._revoked_families.add(record.origin_jti)
        return Response(200, b"", [("Cache-Control", "no-store")])

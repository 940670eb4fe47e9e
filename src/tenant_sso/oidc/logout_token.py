"""Logout token validation, OpenID Connect Back-Channel Logout 1.0 section 2.6; every step on.

The OP POSTs ``logout_token`` (a signed JWT) to the RP's back-channel logout URI; the RP
validates it like an ID token (signature by the OP's JWKS with an allowed algorithm, ``iss``,
``aud``, ``iat``, ``exp`` when present), then the logout-specific rules: ``events`` holds the
back-channel-logout event (whose value is a JSON object), ``sub`` and/or ``sid`` are present, there
is no ``nonce`` (2.4: so an ID token cannot be replayed as a logout token), ``jti`` is present (the
caller refuses a ``jti`` already seen: 2.6 step 10), and an explicit ``typ`` header, if any, is
``logout+jwt`` (2.4 "explicit typing"). No Django: plain data in, :class:`LogoutRequest` out.
Each failed step raises :class:`~tenant_sso.exceptions.TokenError` with a stable code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import Key

from ..exceptions import TokenError
from . import signatures
from .tokens import _json_object, _number, _parse

#: The member of ``events`` that makes a JWT a logout token (section 2.4).
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
#: ``typ`` values accepted when the header has one (2.4 recommends ``logout+jwt``).
ACCEPTED_TYP = frozenset({"logout+jwt", "application/logout+jwt", "JWT"})


@dataclass(frozen=True)
class LogoutExpectations:
    """What a connection's logout tokens must say."""

    issuer: str
    client_id: str
    algorithms: Collection[str] = ("RS256",)
    leeway: int = 60
    max_age: int = 600  # how old iat may be: a token of the past cannot end a session later
    max_length: int = 16384


@dataclass(frozen=True)
class LogoutRequest:
    """A validated logout token: whose sessions to end, and its ``jti`` until when to remember it."""

    sub: str | None
    sid: str | None
    jti: str
    remember_until: float


def _optional_string(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 255:
        raise TokenError("logout_token_invalid", detail=f"{name} is not a non-empty string of at most 255 characters")
    return value


def check_logout_claims(claims: dict[str, Any], expect: LogoutExpectations, now: float) -> LogoutRequest:
    """Section 2.6 steps 3-9 on the decoded claims (signature already verified)."""
    if claims.get("iss") != expect.issuer:
        raise TokenError("issuer_mismatch", detail="logout token iss is not the connection's issuer")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or expect.client_id not in audiences:
        raise TokenError("audience_mismatch", detail="logout token aud does not contain the client id")
    iat = _number(claims, "iat")
    if iat is None:
        raise TokenError("iat_missing", detail="logout token has no iat")
    if iat > now + expect.leeway:
        raise TokenError("iat_in_future", detail=f"iat {int(iat - now)}s in the future")
    if now - iat > expect.max_age + expect.leeway:
        raise TokenError("token_too_old", detail=f"logout token issued {int(now - iat)}s ago")
    exp = _number(claims, "exp")
    if exp is not None and now > exp + expect.leeway:
        raise TokenError("token_expired", detail=f"logout token expired {int(now - exp)}s ago")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise TokenError("logout_token_invalid", detail="events has no back-channel logout event object")
    if "nonce" in claims:
        raise TokenError("logout_token_invalid", detail="a logout token must not have a nonce")
    sub, sid = _optional_string(claims, "sub"), _optional_string(claims, "sid")
    if sub is None and sid is None:
        raise TokenError("logout_token_invalid", detail="neither sub nor sid")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise TokenError("logout_token_invalid", detail="jti missing")
    # Remember the jti for as long as the token could be accepted again.
    until = max(exp if exp is not None else 0.0, iat + expect.max_age) + expect.leeway
    return LogoutRequest(sub=sub, sid=sid, jti=jti, remember_until=until)


def validate_logout_token(
    raw: object,
    resolve_key: Callable[[dict[str, Any]], Key],
    expect: LogoutExpectations,
    *,
    now: float | None = None,
) -> LogoutRequest:
    """Verify a logout token's signature and claims; return whose sessions it ends.

    ``resolve_key(header)`` returns the verification key (see :class:`~.keys.JWKSResolver`).
    The caller still has to refuse a replayed ``jti`` (shared cache, until ``remember_until``).
    """
    if not isinstance(raw, str) or not raw:
        raise TokenError("logout_token_missing", detail="no logout_token in the request")
    token = _parse(raw, algorithms=expect.algorithms, max_length=expect.max_length)
    typ = token.header.get("typ")
    if typ is not None and typ not in ACCEPTED_TYP:
        raise TokenError("logout_token_invalid", detail=f"typ {str(typ)[:30]!r} is not logout+jwt")
    key = resolve_key(token.header)
    if not signatures.verify(token.header["alg"], key.public_key, token.signing_input, token.signature):
        raise TokenError("bad_signature", detail="logout token signature does not verify")
    claims = _json_object(token.payload, "payload")
    return check_logout_claims(claims, expect, time.time() if now is None else now)

"""ID token validation, OpenID Connect Core 1.0 section 3.1.3.7, every step always on.

The algorithm comes from the caller's allow-list, never from the token header (RFC 8725 3.1);
the key from the issuer's JWKS by ``kid``. Each failed step raises a
:class:`~tenant_sso.exceptions.TokenError` with its own stable code.
"""

from __future__ import annotations

import binascii
import hmac
import json
import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
import pybase64
from joserfc.jwk import Key

from ..exceptions import TokenError
from . import signatures


@dataclass(frozen=True)
class Expectations:
    """What the ID token of one login must say."""

    issuer: str
    client_id: str
    nonce: str | None
    algorithms: Collection[str] = ("RS256",)
    leeway: int = 60
    max_age: int = 600
    token_use: str | None = None  # Cognito: "id"
    max_length: int = 16384


def _b64(segment: str) -> bytes:
    """Strict base64url (RFC 7515 2): only its 64 characters, no padding, no whitespace.

    Decoded by pybase64 (SIMD; the standard library's decoder and the translation to its alphabet
    were a third of the time spent on top of the RSA check, docs/performance.md). With
    ``validate=True`` it refuses any character outside base64 and ``-_``, whitespace, and a
    length of 4n + 1; it still takes ``+`` and ``/`` next to the URL-safe pair, so those, and
    ``=`` (the only ``=`` it sees is the padding added here), are refused first.
    """
    if "=" in segment or "+" in segment or "/" in segment:
        raise binascii.Error("not base64url")
    return pybase64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)


@lru_cache(maxsize=64)
def _header_json(segment: str) -> dict[str, Any]:
    """A protected header, decoded once per distinct text: a provider signs every token with the
    same few headers, so the next token's header is a dictionary lookup (bounded cache)."""
    return _json_object(_b64(segment), "header")


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        # orjson, about 4x faster here (the JSON was a third of a validation's cost), accepts a
        # subset of what json accepts and reads it the same way; what it refuses (NaN, integers
        # over 64 bits, escaped lone surrogates...) goes to json, so every refusal keeps its code.
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        value = None
    try:
        if value is None:
            value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise TokenError("malformed_token", detail=f"{what} is not base64url JSON") from exc
    if not isinstance(value, dict):
        raise TokenError("malformed_token", detail=f"{what} is not a JSON object")
    return value


class _Parts(NamedTuple):
    header: dict[str, Any]
    signing_input: bytes
    payload: bytes
    signature: bytes


def _parse(raw: object, *, algorithms: Collection[str], max_length: int) -> _Parts:
    """Check the token's shape, decode its three parts once, check the header's algorithm."""
    if not isinstance(raw, str) or not raw:
        raise TokenError("id_token_missing", detail="no id_token in the token response")
    if len(raw) > max_length:
        raise TokenError("token_too_large", detail=f"id_token of {len(raw)} bytes")
    # The two dots found with str.find (a memchr) rather than split (a loop over every character).
    first = raw.find(".")
    second = raw.find(".", first + 1) if first >= 0 else -1
    if second < 0 or raw.find(".", second + 1) >= 0:
        if raw.count(".") == 4:
            raise TokenError("token_encrypted", detail="encrypted (JWE) ID tokens are not accepted")
        raise TokenError("malformed_token", detail="id_token is not a compact JWS")
    if not raw.isascii():
        raise TokenError("malformed_token", detail="id_token is not a compact JWS")
    try:
        payload, signature = _b64(raw[first + 1 : second]), _b64(raw[second + 1 :])
        header = dict(_header_json(raw[:first]))  # a copy: callers may not change the cached one
    except (binascii.Error, ValueError) as exc:
        raise TokenError("malformed_token", detail="id_token is not a compact JWS") from exc
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise TokenError("malformed_token", detail="header has no alg")
    if alg.lower() == "none":
        raise TokenError("alg_none", detail="unsigned token (alg none) refused")
    if alg not in algorithms:
        raise TokenError("alg_not_allowed", detail=f"alg {alg[:20]!r} not in {sorted(algorithms)}")
    if not signature:
        raise TokenError("malformed_token", detail="id_token has no signature")
    if "crit" in header:
        raise TokenError("malformed_token", detail="crit header parameters are not supported")
    return _Parts(header, raw[:second].encode("ascii"), payload, signature)


def read_header(raw: object, *, algorithms: Collection[str], max_length: int) -> dict[str, Any]:
    """Check the token's shape and return its protected header (before any key is chosen)."""
    return _parse(raw, algorithms=algorithms, max_length=max_length).header


_EXACT = 2**53  # integers floats hold exactly


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if type(value) is int and -_EXACT < value < _EXACT:
        return value  # the usual NumericDate: an exact integer, compared as it is
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenError("malformed_token", detail=f"{name} is not a number")
    # Python's json accepts NaN and Infinity (not JSON, RFC 8259 6): every comparison with NaN is
    # false, so such an exp would never expire. A NumericDate is a finite number (RFC 7519 2).
    try:
        number = float(value)  # an int of 400 digits overflows here
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise TokenError("malformed_token", detail=f"{name} is not a finite number")
    return number


def check_claims(claims: dict[str, Any], expect: Expectations, now: float) -> None:
    """Claim checks of OIDC Core 3.1.3.7 steps 2-11, plus Cognito's ``token_use`` (checked second)."""
    if claims.get("iss") != expect.issuer:
        raise TokenError("issuer_mismatch", detail="iss is not the connection's issuer")
    # Before aud: a Cognito access token (same pool, same key, no aud) must be named for what it is.
    if expect.token_use is not None and claims.get("token_use") != expect.token_use:
        raise TokenError("token_use_mismatch", detail=f"token_use {str(claims.get('token_use'))[:20]!r}")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise TokenError("sub_missing", detail="sub missing, empty or too long")
    aud = claims.get("aud")
    if isinstance(aud, str):  # the usual single audience: no list built, no generator run
        several = False
        if aud != expect.client_id:
            raise TokenError("audience_mismatch", detail="aud does not contain the client id")
    else:
        if not isinstance(aud, list) or not all(isinstance(a, str) for a in aud):
            raise TokenError("audience_mismatch", detail="aud missing or malformed")
        if expect.client_id not in aud:
            raise TokenError("audience_mismatch", detail="aud does not contain the client id")
        several = len(aud) > 1
    azp = claims.get("azp")
    if several and azp is None:
        raise TokenError("azp_mismatch", detail="several audiences and no azp")
    if azp is not None and azp != expect.client_id:
        raise TokenError("azp_mismatch", detail="azp is not the client id")
    exp = _number(claims, "exp")
    if exp is None:
        raise TokenError("exp_missing", detail="exp missing")
    if now > exp + expect.leeway:
        raise TokenError("token_expired", detail=f"expired {int(now - exp)}s ago")
    iat = _number(claims, "iat")
    if iat is None:
        raise TokenError("iat_missing", detail="iat missing")
    if iat > now + expect.leeway:
        raise TokenError("iat_in_future", detail=f"iat {int(iat - now)}s in the future")
    if now - iat > expect.max_age + expect.leeway:
        raise TokenError("token_too_old", detail=f"issued {int(now - iat)}s ago")
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf > now + expect.leeway:
        raise TokenError("token_not_yet_valid", detail="nbf in the future")
    if expect.nonce is not None:
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise TokenError("nonce_missing", detail="nonce missing from the ID token")
        if not hmac.compare_digest(nonce.encode(), expect.nonce.encode()):
            raise TokenError("nonce_mismatch", detail="nonce is not the one sent")


def validate_id_token(
    raw: object,
    resolve_key: Callable[[dict[str, Any]], Key],
    expect: Expectations,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify an ID token's signature and claims; return its claims.

    ``resolve_key(header)`` returns the verification key (see :class:`~.keys.JWKSResolver`).
    """
    token = _parse(raw, algorithms=expect.algorithms, max_length=expect.max_length)
    key = resolve_key(token.header)
    # The key's type must fit the algorithm's family: an HS256 header against an RSA key
    # (algorithm confusion) or a key of another curve never verifies.
    if not signatures.verify(token.header["alg"], key.public_key, token.signing_input, token.signature):
        raise TokenError("bad_signature", detail="signature does not verify")
    claims = _json_object(token.payload, "payload")
    check_claims(claims, expect, time.time() if now is None else now)
    return claims

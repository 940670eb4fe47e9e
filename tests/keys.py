"""Test signing keys and token minting: real RS256 signatures, no mocks."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from joserfc import jws
from joserfc.jwk import RSAKey


@lru_cache(maxsize=4)
def rsa_key(kid: str = "test-key-1") -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


def jwks(*keys: RSAKey) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) for k in keys]}


def sign(claims: dict[str, Any], key: RSAKey | None = None, header: dict[str, Any] | None = None) -> str:
    key = key or rsa_key()
    hdr = {"alg": "RS256", "kid": key.kid, **(header or {})}
    import json

    return jws.serialize_compact(hdr, json.dumps(claims).encode(), key, algorithms=[hdr["alg"]])


def id_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool",
        "aud": "client-1",
        "sub": "5f1e3a2b-0000-4000-8000-000000000001",
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "nonce": "n-0S6_WzA2Mj",
        "email": "alice@acme.test",
        "custom:groups": "[engineering, sso-admins]",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}

"""JSON Web Key Sets: fetched, cached per JWKS URI, refetched once (rate-limited) on an unknown kid.

The raw JWKS document lives in the shared cache (Redis in production, so every process sees a
rotation at once); the parsed keys are memoised per process by the document's text, which is
derived data and bounded (``functools.lru_cache``), so nothing the flow depends on is held only
in process memory.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from ..exceptions import InvalidDocument, TokenError, UnknownKeyError
from .http import ProviderHTTP
from .metadata import Cache
from .netguard import describe

SIGNING_KEY_TYPES = frozenset({"RSA", "EC", "OKP"})


@lru_cache(maxsize=256)
def signing_keys(text: str) -> tuple[tuple[str | None, Key], ...]:
    """Import the signature keys of a JWKS document (by its exact text); unusable keys are skipped."""
    document = json.loads(text)
    usable: list[tuple[str | None, Key]] = []
    for entry in document.get("keys", []):
        if not isinstance(entry, dict) or entry.get("kty") not in SIGNING_KEY_TYPES:
            continue  # symmetric keys can never verify an ID token from a JWKS
        if entry.get("use", "sig") != "sig":
            continue
        try:
            key = KeySet.import_key_set({"keys": [entry]}).keys[0]
        except (JoseError, ValueError, TypeError, KeyError):
            continue
        kid = entry.get("kid")
        usable.append((kid if isinstance(kid, str) else None, key))
    return tuple(usable)


def select_key(jwks_text: str, kid: str | None) -> Key:
    """The key for ``kid``; without a kid, the only key (several keys make it ambiguous)."""
    keys = signing_keys(jwks_text)
    if kid is None:
        if len(keys) == 1:
            return keys[0][1]
        raise TokenError("kid_missing", detail=f"token has no kid and the JWKS holds {len(keys)} keys")
    for key_id, key in keys:
        if key_id == kid:
            return key
    raise UnknownKeyError(detail=f"kid {kid[:64]!r} not in JWKS")


class JWKSResolver:
    """Finds the verification key for a token header, refetching the JWKS at most once per interval."""

    def __init__(self, http: ProviderHTTP, cache: Cache, *, ttl: int, refetch_interval: int) -> None:
        self.http = http
        self.cache = cache
        self.ttl = ttl
        self.refetch_interval = refetch_interval

    def _fetch(self, jwks_uri: str) -> str:
        document = self.http.get_json(jwks_uri, what="jwks")
        if not isinstance(document.get("keys"), list):
            raise InvalidDocument("jwks", f"GET {describe(jwks_uri)}", detail="JWKS has no keys list")
        text = json.dumps(document, sort_keys=True)
        self.cache.set(f"tenant_sso:jwks:{jwks_uri}", text, self.ttl)
        return text

    def resolve(self, jwks_uri: str, header: dict[str, Any]) -> Key:
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenError("malformed_token", detail="kid is not a string")
        cached = self.cache.get(f"tenant_sso:jwks:{jwks_uri}")
        fresh = not isinstance(cached, str)
        try:
            return select_key(self._fetch(jwks_uri) if fresh else cached, kid)
        except UnknownKeyError:
            # Key rotation: refetch once, but never more than once per interval across all
            # processes (cache.add is atomic), so a flood of random kids cannot hammer the IdP.
            # A document fetched just now is already the newest: no second request for it.
            if fresh or not self.cache.add(f"tenant_sso:jwks-refetch:{jwks_uri}", 1, self.refetch_interval):
                raise
            return select_key(self._fetch(jwks_uri), kid)

"""One session stash: small values a browser must hand back once, kept in its session.

Three things are stored this way: login attempts (state, nonce, PKCE verifier; the ``state``
is their id), the mark of a Cognito logout's second hop, and the admin's last "Test connection"
results per connection. Each is a :class:`Kind` of entry: where it lives in the session, how
long an entry stays valid (``ttl``, read live from settings) and how many are kept at once
(``cap``, oldest dropped first). In the session, a kind is a dict ``{id: {**value, "at": t}}``
(``t`` in seconds since the epoch), so values are JSON dicts without an ``at`` key of their own.

* :func:`stash` stores a value and returns its id (a new random one unless given);
* :func:`peek` reads an entry without consuming it;
* :func:`unstash` pops an entry once: the session is written only when there was something to
  take (an anonymous refusal never creates a session); with ``Kind.claim_in_cache`` the id is
  also claimed atomically in the shared cache, so two copies of one request sent at once cannot
  both take it (:class:`AlreadyTaken`). Without an id it takes the newest entry and clears the
  kind: for a hop that carries no id of ours (Cognito's redirect after its logout).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django.http import HttpRequest

from .conf import app_settings
from .oidc import pkce

logger = logging.getLogger("tenant_sso")


@dataclass(frozen=True)
class Kind:
    #: The session key holding this kind's entries.
    key: str
    #: Seconds an entry stays valid (None: until replaced or capped away).
    ttl: Callable[[], float] | None
    #: Entries kept at once.
    cap: Callable[[], int]
    #: When set, :func:`unstash` also claims ``id`` under this cache key prefix (single use
    #: across concurrent requests, whose session copies were loaded before either was saved).
    claim_in_cache: str = ""


#: Login attempts, by ``state`` (several tabs at once; single use; expire with STATE_TTL).
ATTEMPTS = Kind(
    "tenant_sso.attempts",
    ttl=lambda: app_settings.STATE_TTL,
    cap=lambda: app_settings.MAX_PENDING_LOGINS,
    claim_in_cache="tenant_sso:attempt:",
)
#: The mark a logout leaves for Cognito's redirect to our second hop (flows.upstream_logout).
UPSTREAM_LOGOUT = Kind("tenant_sso.upstream_logout", ttl=lambda: app_settings.STATE_TTL, cap=lambda: 1)
#: The admin's last "Test connection" results, by connection id (no secrets in them).
DIAGNOSTICS = Kind("tenant_sso.admin.diagnostics", ttl=None, cap=lambda: 10)


@dataclass(frozen=True)
class Taken:
    """An entry :func:`unstash` popped: its value (``at`` included) and whether it had expired."""

    value: dict[str, Any]
    expired: bool


class AlreadyTaken(Exception):
    """A concurrent request claimed this entry first (``Kind.claim_in_cache``)."""


def _at(entry: dict[str, Any]) -> float | None:
    at = entry.get("at")
    return float(at) if isinstance(at, (int, float)) and not isinstance(at, bool) else None


def _expired(kind: Kind, entry: dict[str, Any], now: float) -> bool:
    at = _at(entry)
    if at is None:
        return True
    return kind.ttl is not None and now - at > kind.ttl()


def _entries(request: HttpRequest, kind: Kind) -> dict[str, Any]:
    entries = request.session.get(kind.key)
    return dict(entries) if isinstance(entries, dict) else {}


def stash(request: HttpRequest, kind: Kind, value: dict[str, Any], *, id: str | None = None) -> str:
    """Store ``value`` under ``id`` (default: a new random id); return the id.

    Expired entries go; then the oldest until there is room under the cap."""
    now = time.time()
    entries = _entries(request, kind)
    id = id or pkce.random_token()
    entries.pop(id, None)
    entries = {k: v for k, v in entries.items() if isinstance(v, dict) and not _expired(kind, v, now)}
    while entries and len(entries) >= kind.cap():
        entries.pop(min(entries, key=lambda k: _at(entries[k]) or 0.0))
    entries[id] = {**value, "at": now}
    request.session[kind.key] = entries
    return id


def peek(request: HttpRequest, kind: Kind, id: str) -> dict[str, Any] | None:
    """The entry ``id`` (``at`` included, expired or not), without consuming it."""
    entry = _entries(request, kind).get(id) if id else None
    return entry if isinstance(entry, dict) else None


def unstash(request: HttpRequest, kind: Kind, id: str | None = None) -> Taken | None:
    """Pop the entry ``id`` once (None when there is none); see the module docstring."""
    now = time.time()
    if id is None:
        entries = request.session.pop(kind.key, None)
        valid = [v for v in entries.values() if isinstance(v, dict)] if isinstance(entries, dict) else []
        if not valid:
            return None
        newest = max(valid, key=lambda v: _at(v) or 0.0)
        return Taken(newest, _expired(kind, newest, now))
    entries = _entries(request, kind)
    entry = entries.pop(id, None)
    if not isinstance(entry, dict):
        return None  # nothing to consume: the session is left untouched
    # The session is saved at the end of the request, so two copies of one request sent at once
    # both find the entry; the shared cache's atomic add lets exactly one through. The others
    # leave the session alone: the winner may already have replaced it (login() cycles the key),
    # and writing the stale copy back would end in Django's SessionInterrupted.
    if kind.claim_in_cache and not _claim_once(kind, id):
        raise AlreadyTaken(id)
    request.session[kind.key] = entries  # single use, whatever happens next
    return Taken(entry, _expired(kind, entry, now))


def _claim_once(kind: Kind, id: str) -> bool:
    """Atomically mark ``id`` taken (``cache.add``); False when it already was.

    A cache server that cannot be reached lets the entry through (logins go on during a cache
    outage; the session's own pop and the IdP's single-use code remain)."""
    key = kind.claim_in_cache + hashlib.sha256(id.encode("utf-8", "surrogatepass")).hexdigest()
    ttl = kind.ttl() if kind.ttl is not None else app_settings.STATE_TTL
    try:
        return bool(caches[app_settings.CACHE_ALIAS].add(key, 1, int(ttl) + 60))
    except Exception as error:
        logger.warning("%s entry not claimed in the cache (%s: %s)", kind.key, type(error).__name__, error)
        return True

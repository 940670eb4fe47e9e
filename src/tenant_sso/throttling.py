"""Bounds on what anonymous traffic may cost: rate limits and the audit rows of refusals.

Everything here counts in the shared Django cache (``TENANT_SSO_CACHE_ALIAS``) with fixed windows
of ``TENANT_SSO_RATE_LIMIT_WINDOW`` seconds (``add`` then ``incr``: atomic on Redis and Memcached,
per process on the local-memory cache). A cache that cannot be reached counts nothing: limits do
not apply and every event is written (logins go on during a cache outage, as everywhere else).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time

from django.core.cache import caches

from .conf import app_settings

logger = logging.getLogger("tenant_sso")

PREFIX = "tenant_sso:rl"


def client_key(address: str | None) -> str:
    """The client a limit counts: its IPv4 address, or its IPv6 /64 (one subscriber's prefix)."""
    if not address:
        return "-"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "-"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def now() -> float:
    return time.time()


def _window() -> tuple[int, int]:
    size = app_settings.RATE_LIMIT_WINDOW
    return size, int(now() // size)


def hit(scope: str, name: str) -> int:
    """Count one event of ``scope``/``name`` in the current window; the count so far (0: unknown)."""
    size, window = _window()
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"{PREFIX}:{scope}:{digest}:{window}"
    cache = caches[app_settings.CACHE_ALIAS]
    try:
        cache.add(key, 0, size + 5)
        return int(cache.incr(key))
    except Exception as error:  # the cache server is down, or the key expired in between
        logger.warning("rate limit %s not counted (%s: %s)", scope, type(error).__name__, error)
        return 0


def over(scope: str, name: str, limit: int) -> bool:
    """Count one request; True when it is beyond ``limit`` in this window (``limit`` 0: never)."""
    return limit > 0 and hit(scope, name) > limit


def should_record_anonymous(client: str | None, reason: str) -> bool:
    """Whether a refusal nobody signed in to gets its audit row: at most
    ``ANONYMOUS_EVENTS_PER_CLIENT`` per client and reason and ``ANONYMOUS_EVENTS_TOTAL`` in all,
    per window. Over the ceiling the refusal is counted here and logged once per window."""
    per_client = hit("event", f"{client_key(client)}|{reason}")
    if per_client > app_settings.ANONYMOUS_EVENTS_PER_CLIENT:
        if per_client == app_settings.ANONYMOUS_EVENTS_PER_CLIENT + 1:
            logger.warning("sso events suppressed reason=%s client=%s for this window", reason, client_key(client))
        return False
    total = hit("event", "*")
    if total > app_settings.ANONYMOUS_EVENTS_TOTAL:
        if total == app_settings.ANONYMOUS_EVENTS_TOTAL + 1:
            logger.warning("sso events suppressed for all anonymous refusals for this window")
        return False
    return True

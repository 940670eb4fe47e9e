"""One stash: small values a browser must hand back once.

Three things are stored this way: login attempts (state, nonce, PKCE verifier; the ``state``
is their id), the mark of a Cognito logout's second hop, and the admin's last "Test connection"
results per connection. Each is a :class:`Kind` of entry: where it lives, how long an entry
stays valid (``ttl``, read live from settings) and how many are kept at once (``cap``, oldest
dropped first). An entry is a JSON dict stored with the time it was made (``at``, seconds since
the epoch), so values have no ``at`` key of their own.

Where an entry lives:

* in the session (the default): a kind is a dict ``{id: {**value, "at": t}}`` under its key;
* in the browser (``Kind.cookie``): each entry is a cookie of its own, named from the kind's
  prefix and a hash of the id (``__Host-`` in front on https), its value sealed (encrypted and
  authenticated: :func:`tenant_sso.crypto.seal`). Login attempts live there: starting a login
  writes nothing on the server (no session row for a start nobody finishes, no database round
  trip), two tabs never overwrite each other's attempt, and the attempt stays bound to the
  browser that started it (docs/security.md, "Login attempts"). The cookies are set, replaced
  and deleted on the response by :func:`write_cookies`, which the views that start or finish a
  login call.

* :func:`stash` stores a value and returns its id (a new random one unless given);
* :func:`peek` reads an entry without consuming it (:func:`entries`: all of a kind's);
* :func:`unstash` pops an entry once: it is written back only when there was something to take
  (an anonymous refusal never creates a session); with ``Kind.claim_in_cache`` the id is also
  claimed atomically in the shared cache, so two copies of one request sent at once cannot both
  take it (:class:`AlreadyTaken`), and a browser replaying a cookie it kept cannot take it
  again. Without an id it takes the newest entry and clears the kind: for a hop that carries no
  id of ours (Cognito's redirect after its logout; session kinds only).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse

from . import crypto
from .conf import app_settings
from .oidc import pkce

logger = logging.getLogger("tenant_sso")


@dataclass(frozen=True)
class Kind:
    #: The session key holding this kind's entries (a cookie kind: its cookies' name prefix).
    key: str
    #: Seconds an entry stays valid (None: until replaced or capped away).
    ttl: Callable[[], float] | None
    #: Entries kept at once.
    cap: Callable[[], int]
    #: When set, :func:`unstash` also claims ``id`` under this cache key prefix (single use
    #: across concurrent requests, whose session copies were loaded before either was saved,
    #: and across a browser's copies of one cookie).
    claim_in_cache: str = ""
    #: Kept in the browser, one sealed cookie per entry named ``key`` + a hash of the id (module
    #: docstring); ``key`` is then the cookies' name prefix and the seal's purpose.
    cookie: bool = False


#: Login attempts, by ``state`` (several tabs at once; single use; expire with STATE_TTL).
ATTEMPTS = Kind(
    "tenant_sso_login_",
    ttl=lambda: app_settings.STATE_TTL,
    cap=lambda: app_settings.MAX_PENDING_LOGINS,
    claim_in_cache="tenant_sso:attempt:",
    cookie=True,
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


class TooLarge(ValueError):
    """A cookie kind's entry would not fit in one cookie (:data:`COOKIE_LIMIT`)."""


#: The longest cookie value :func:`stash` writes. Browsers keep cookies up to 4,096 bytes, name
#: and attributes included (RFC 6265 6.1); an attempt is about 600 bytes, 3,300 with the longest
#: ``next`` path :func:`tenant_sso.urlsafety.safe_next` accepts in ASCII.
COOKIE_LIMIT = 3_600


def _at(entry: dict[str, Any]) -> float | None:
    at = entry.get("at")
    return float(at) if isinstance(at, (int, float)) and not isinstance(at, bool) else None


def _expired(kind: Kind, entry: dict[str, Any], now: float) -> bool:
    at = _at(entry)
    if at is None:
        return True
    return kind.ttl is not None and now - at > kind.ttl()


def entries(request: HttpRequest, kind: Kind) -> dict[str, Any]:
    """Every entry of ``kind`` this request holds, by id (expired ones included)."""
    if kind.cookie:
        return _by_id(_opened_all(request, kind))
    entries = request.session.get(kind.key)
    return dict(entries) if isinstance(entries, dict) else {}


def stash(request: HttpRequest, kind: Kind, value: dict[str, Any], *, id: str | None = None) -> str:
    """Store ``value`` under ``id`` (default: a new random id); return the id.

    Expired entries go; then the oldest until there is room under the cap. A cookie kind raises
    :class:`TooLarge` when the entry would not fit in one cookie."""
    now = time.time()
    id = id or pkce.random_token()
    entry = {**value, "at": now}
    if kind.cookie:
        sealed = crypto.seal(kind.key, json.dumps({"id": id, "value": entry}, separators=(",", ":")).encode())
        if len(sealed) > COOKIE_LIMIT:
            raise TooLarge(f"{kind.key} entry of {len(sealed)} bytes")
    opened = _opened_all(request, kind) if kind.cookie else {}
    kept = _by_id(opened) if kind.cookie else entries(request, kind)
    kept.pop(id, None)
    kept = {k: v for k, v in kept.items() if isinstance(v, dict) and not _expired(kind, v, now)}
    while kept and len(kept) >= kind.cap():
        kept.pop(min(kept, key=lambda k: _at(kept[k]) or 0.0))
    if kind.cookie:
        for name, found in opened.items():  # the expired, the capped away, the replaced
            if found is None or found[0] not in kept:
                _queue(request, kind, name, None)
        _queue(request, kind, _cookie_name(request, kind, id), sealed)
        return id
    kept[id] = entry
    request.session[kind.key] = kept
    return id


def peek(request: HttpRequest, kind: Kind, id: str) -> dict[str, Any] | None:
    """The entry ``id`` (``at`` included, expired or not), without consuming it."""
    if kind.cookie:
        found = _opened(request, kind, _cookie_name(request, kind, id)) if id else None
        return found[1] if found is not None and found[0] == id else None
    entry = entries(request, kind).get(id) if id else None
    return entry if isinstance(entry, dict) else None


def unstash(request: HttpRequest, kind: Kind, id: str | None = None) -> Taken | None:
    """Pop the entry ``id`` once (None when there is none); see the module docstring."""
    now = time.time()
    if id is None:
        if kind.cookie:
            raise ValueError("a cookie kind's entries are taken by id")
        stored = request.session.pop(kind.key, None)
        valid = [v for v in stored.values() if isinstance(v, dict)] if isinstance(stored, dict) else []
        if not valid:
            return None
        newest = max(valid, key=lambda v: _at(v) or 0.0)
        return Taken(newest, _expired(kind, newest, now))
    entry = peek(request, kind, id) if kind.cookie else entries(request, kind).get(id)
    if not isinstance(entry, dict):
        return None  # nothing to consume: the session (or cookie) is left untouched
    # The session is saved at the end of the request, so two copies of one request sent at once
    # both find the entry; the shared cache's atomic add lets exactly one through. The others
    # leave the session alone: the winner may already have replaced it (login() cycles the key),
    # and writing the stale copy back would end in Django's SessionInterrupted. A cookie is
    # the browser's to send again: only the claim makes it single use.
    if kind.claim_in_cache and not _claim_once(kind, id):
        raise AlreadyTaken(id)
    if kind.cookie:
        _queue(request, kind, _cookie_name(request, kind, id), None)  # single use, whatever happens next
    else:
        kept = entries(request, kind)
        kept.pop(id, None)
        request.session[kind.key] = kept  # single use, whatever happens next
    return Taken(entry, _expired(kind, entry, now))


# -- cookie kinds ------------------------------------------------------------------------------
#: Where the cookies to set wait for the response, by name: (sealed value, max age), or
#: (None, 0) to delete.
_QUEUE = "_tenant_sso_cookies"


def _secure(request: HttpRequest) -> bool:
    return bool(request.is_secure() or settings.SESSION_COOKIE_SECURE)


def _prefix(request: HttpRequest, kind: Kind) -> str:
    """The cookies' name prefix: with ``__Host-`` in front where the browser allows it (Secure,
    the whole host, no Domain), so no sibling subdomain can set or replace one (RFC 6265bis
    4.1.3.2: cookie tossing)."""
    host_only = settings.SESSION_COOKIE_DOMAIN is None and settings.SESSION_COOKIE_PATH == "/"
    return ("__Host-" if host_only and _secure(request) else "") + kind.key


def _cookie_name(request: HttpRequest, kind: Kind, id: str) -> str:
    return _prefix(request, kind) + hashlib.sha256(id.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _cookie_names(request: HttpRequest, kind: Kind) -> list[str]:
    queued, prefix = getattr(request, _QUEUE, {}), _prefix(request, kind)
    names = {name for name in request.COOKIES if name.startswith(prefix)} | set(queued)
    return sorted(name for name in names if name.startswith(prefix) and queued.get(name, ("",))[0] is not None)


def _opened(request: HttpRequest, kind: Kind, name: str) -> tuple[str, dict[str, Any]] | None:
    """(id, entry) of the cookie ``name`` as this request left it; None when absent or not ours."""
    queued = getattr(request, _QUEUE, {})
    sealed = queued[name][0] if name in queued else request.COOKIES.get(name)
    opened = crypto.unseal(kind.key, sealed) if sealed else None
    try:
        found = json.loads(opened) if opened else None
    except ValueError:
        return None
    if not (isinstance(found, dict) and isinstance(found.get("id"), str) and isinstance(found.get("value"), dict)):
        return None
    if _cookie_name(request, kind, found["id"]) != name:  # a sealed entry moved under another name
        return None
    return found["id"], found["value"]


def _opened_all(request: HttpRequest, kind: Kind) -> dict[str, tuple[str, dict[str, Any]] | None]:
    """Every cookie of ``kind`` this request holds, by name, opened (None: not ours)."""
    return {name: _opened(request, kind, name) for name in _cookie_names(request, kind)}


def _by_id(opened: dict[str, tuple[str, dict[str, Any]] | None]) -> dict[str, Any]:
    return dict(found for found in opened.values() if found is not None)


def _queue(request: HttpRequest, kind: Kind, name: str, sealed: str | None) -> None:
    queued = getattr(request, _QUEUE, None)
    if queued is None:
        queued = {}
        setattr(request, _QUEUE, queued)
    if sealed is None and name not in request.COOKIES:
        queued.pop(name, None)  # never sent: nothing to delete
    elif sealed is None:
        queued[name] = (None, 0)
    else:  # an expired entry still reads as expired rather than unknown for a minute
        queued[name] = (sealed, int(kind.ttl()) + 60 if kind.ttl is not None else None)


def write_cookies(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Set and delete on ``response`` the cookies this request's stash changed.

    They have the session cookie's scope (``SESSION_COOKIE_DOMAIN``, ``SESSION_COOKIE_PATH``,
    Secure on https or with ``SESSION_COOKIE_SECURE``; a ``__Host-`` name where that allows it),
    are HttpOnly, ``SameSite=Lax`` (sent on the top-level redirect back from the identity
    provider, never on another site's subrequests) and last their kind's ``ttl`` plus a minute,
    so an expired attempt still reads as expired rather than unknown. Django's
    ``delete_cookie`` marks a ``__Host-`` deletion Secure, as browsers require."""
    domain, path = settings.SESSION_COOKIE_DOMAIN, settings.SESSION_COOKIE_PATH
    for name, (sealed, max_age) in getattr(request, _QUEUE, {}).items():
        if sealed is None:
            response.delete_cookie(name, path=path, domain=domain, samesite="Lax")
        else:
            response.set_cookie(
                name,
                sealed,
                max_age=max_age,
                secure=_secure(request),
                httponly=True,
                samesite="Lax",
                domain=domain,
                path=path,
            )
    return response


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

"""Home-realm discovery's cache: email domain or organization slug -> its enabled connection.

Why (docs/performance.md, "Login start"): building the ORM query of the lookup (a join and an
ORDER BY compiled again at every request) was the largest Python cost of a login start, larger
than the round trip it sends. The connection found is kept in Django's cache (Redis in
production: shared by every process) under its domain or slug, so a login start reads one cache
key and sends no query for it.

Correctness rules:

- Every save or delete of an :class:`~.models.Organization`, :class:`~.models.OrganizationDomain`
  or :class:`~.models.Connection` forgets the keys of the organization(s) concerned, as they
  were before the change and as they are after it (a renamed slug, a domain moved to another
  organization, a connection moved or disabled), once at once and once more after the
  transaction commits (a login start that read the old rows meanwhile cannot leave them cached
  past the commit). Writes that bypass signals (``QuerySet.update``) call :func:`forget`.
- Entries live at most :data:`TTL` seconds: the bound on staleness if a forget failed (a cache
  outage; the cache is :class:`~.wiring.TolerantCache`, so an outage is a miss and lookups go
  to the database).
- It only ever starts a login: the callback reads the connection from the database again
  (``flows.callback``), so a connection disabled a moment ago admits nobody even in that bound.
- The client secret is not in the cached copy, not even encrypted (the field is deferred; a
  login start never reads it).
- Unknown domains are not cached (no entry for every string someone types).
- Only a cache every process shares is used (``TENANT_SSO_REALM_CACHE``, default: not with
  ``LocMemCache`` or ``DummyCache``): with a per-process cache, a save in one process (the admin,
  a management command) could not forget another process's copy. Lookups then go to the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import django
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

from . import wiring
from .conf import app_settings
from .models import Connection, Organization, OrganizationDomain

#: Seconds an entry lives: the staleness bound should an invalidation be lost.
TTL = 300
#: Never cached; a login start reads the connection without it.
DEFERRED = ("client_secret_encrypted",)


@lru_cache(maxsize=1)
def _schema() -> str:
    """Part of every key: a pickled row of another version or shape is never read back."""
    shape = [django.__version__] + [
        f"{model.__name__}.{f.attname}"
        for model in (Connection, Organization)
        for f in model._meta.concrete_fields
    ]
    return hashlib.sha256(" ".join(shape).encode()).hexdigest()[:12]


def _key(kind: str, value: str) -> str:
    # Hashed: a domain may be up to 253 characters, more than some cache backends accept in a key.
    return f"tenant_sso:realm:{_schema()}:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"


#: Cache backends that live in one process: never shared, so never used here.
PER_PROCESS = (LocMemCache, DummyCache)


def enabled() -> bool:
    """Whether lookups go through the cache (see the module's rules)."""
    configured = app_settings.REALM_CACHE
    if configured is not None:
        return configured
    return not isinstance(caches[app_settings.CACHE_ALIAS], PER_PROCESS)


def lookup(kind: str, value: str, query: Callable[[], Connection | None]) -> Connection | None:
    """The cached connection for ``kind`` ("domain" or "org") and ``value``, else ``query()``'s."""
    if not enabled():
        return query()
    cache = wiring.cache()
    key = _key(kind, value)
    found = cache.get(key)
    if isinstance(found, Connection):
        return found
    connection = query()
    if connection is not None:
        cache.set(key, connection, TTL)
    return connection


def _keys_of(organization_ids: Iterable[Any]) -> set[str]:
    ids = {pk for pk in organization_ids if pk is not None}
    if not ids:
        return set()
    keys = {
        _key("org", slug) for slug in Organization.objects.filter(pk__in=ids).values_list("slug", flat=True)
    }
    domains = OrganizationDomain.objects.filter(organization_id__in=ids).values_list("domain", flat=True)
    return keys | {_key("domain", domain) for domain in domains}


def _delete(keys: set[str]) -> None:
    if not keys:
        return
    cache = wiring.cache()
    for key in keys:
        cache.delete(key)
    transaction.on_commit(lambda: [cache.delete(key) for key in keys])


def forget(*, organization_ids: Iterable[Any] = (), connection_ids: Iterable[Any] = ()) -> None:
    """Forget what the cache holds for these organizations (and those of these connections)."""
    if not enabled():  # nothing was cached: no query to find what to forget
        return
    ids = set(organization_ids)
    connection_ids = [pk for pk in connection_ids if pk is not None]
    if connection_ids:
        ids |= set(Connection.objects.filter(pk__in=connection_ids).values_list("organization_id", flat=True))
    _delete(_keys_of(ids))


# -- invalidation on save and delete ---------------------------------------------------------------
def _before(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """The keys of the rows as stored before this save (old slug, old domain, old organization)."""
    if instance.pk is None or not enabled():
        return
    if sender is Organization:
        keys = _keys_of([instance.pk])
    elif sender is OrganizationDomain:
        old = OrganizationDomain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        keys = {_key("domain", old)} if old else set()
    else:
        old_org = Connection.objects.filter(pk=instance.pk).values_list("organization_id", flat=True).first()
        keys = _keys_of([old_org])
    _delete(keys)


def _after(sender: type, instance: Any, **kwargs: Any) -> None:
    """The keys of the rows as they are now (after a save) or were (after a delete)."""
    if not enabled():
        return
    if sender is Organization:
        keys = {_key("org", instance.slug)} | _keys_of([instance.pk])
    elif sender is OrganizationDomain:
        keys = {_key("domain", instance.domain)}
    else:
        keys = _keys_of([instance.organization_id])
    _delete(keys)


def connect() -> None:
    """Called from the app's ``ready()``."""
    for model in (Organization, OrganizationDomain, Connection):
        uid = f"tenant_sso.realm_cache.{model.__name__}"
        pre_save.connect(_before, sender=model, dispatch_uid=f"{uid}.before")
        post_save.connect(_after, sender=model, dispatch_uid=f"{uid}.saved")
        post_delete.connect(_after, sender=model, dispatch_uid=f"{uid}.deleted")

"""The kill switch: an index of the Django sessions SSO created, and their revocation.

Every SSO login writes one :class:`~tenant_sso.models.SSOSession` (user, connection, identity,
the IdP's ``sid``; the session key encrypted with :mod:`tenant_sso.crypto` and as a digest).
Deleting such a row, by any path, deletes its Django session from the session store, so the
next request of that browser is anonymous; nothing is checked on ordinary requests (no query).

Revocations (each audited as a ``revoked`` LoginEvent with the reason):

- ``connection_disabled``: a connection saved disabled, or disabled by :func:`disable_connections`
  (``sso_connection disable``, Cognito offboarding);
- ``user_deactivated``: a user saved with ``is_active=False``;
- ``identity_removed``, ``connection_removed``, ``organization_removed``, ``user_removed``:
  the row deleted with its identity, connection, organization or user;
- ``session_revoked``: the row deleted directly (admin) or by :func:`revoke` without a reason.

Last seen: :class:`tenant_sso.middleware.LastSeenMiddleware` moves ``last_seen_at`` forward on a
signed-in request at most once per ``TENANT_SSO_LAST_SEEN_INTERVAL`` seconds (the time of the
last update is kept in the session itself, so the requests in between cost no query); without the
middleware, ``last_seen_at`` is the login time.

Works with the ``db``, ``cache``, ``cached_db`` and ``file`` engines (and any engine whose
``SessionStore.delete`` removes a key); not with ``signed_cookies``, which has nothing on the
server to delete (check ``tenant_sso.W014``). Issue 16 (SCIM, back-channel logout) ends sessions
by user or by ``sid`` through :func:`revoke` as well.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import router
from django.db.models import QuerySet
from django.db.models.signals import post_save, pre_delete
from django.http import HttpRequest
from django.utils import timezone

from . import crypto, realm_cache, sql
from .exceptions import ConfigurationError
from .models import Connection, FederatedIdentity, LoginEvent, Organization, SSOSession

logger = logging.getLogger("tenant_sso.audit")

#: (reason, audited) of the revocation in progress in this thread/task, if any.
_revoking: ContextVar[tuple[str, bool] | None] = ContextVar("tenant_sso_revoking", default=None)


#: Session keys are ~190 random bits: stored as :func:`tenant_sso.crypto.digest`.
key_digest = crypto.digest


def session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


# -- at login --------------------------------------------------------------------------------
def start(
    request: HttpRequest,
    *,
    user: Any,
    connection: Connection,
    identity: FederatedIdentity | None,
    claims: dict[str, Any],
    previous_key: str | None,
) -> SSOSession:
    """Index the session ``django.contrib.auth.login`` just made (a new key, or the same key
    when the same user signs in again in this browser)."""
    session = request.session
    if session.session_key is None:
        session.save()  # engines that create the key lazily
    key = str(session.session_key)
    digest = key_digest(key)
    if previous_key and previous_key != key:
        # The browser's earlier SSO session: its key was already deleted by login().
        with _revocation("replaced", audited=False):
            SSOSession.objects.filter(session_key_digest=key_digest(previous_key)).delete()
    sid = claims.get("sid")
    now = timezone.now()
    values: dict[str, Any] = {
        "user": user,
        "connection": connection,
        "identity": identity,
        "sid": sid[:255] if isinstance(sid, str) else "",
        "last_seen_at": now,
        "expires_at": session.get_expiry_date(),
    }
    if previous_key == key:
        row = SSOSession.objects.filter(session_key_digest=digest).first()
        if row is not None:
            for name, value in values.items():
                setattr(row, name, value)
            row.save(update_fields=list(values))
            return row
    row = SSOSession(session_key_digest=digest, session_key_encrypted=crypto.encrypt(key), **values)
    # Written as SQL (tenant_sso.sql; one row per login): no model signals, and not read back.
    sql.insert(router.db_for_write(SSOSession), row)
    return row


# -- on requests -----------------------------------------------------------------------------
#: Session key holding the epoch second ``last_seen_at`` was last moved forward.
SEEN_KEY = "_tenant_sso_seen"


def touch(request: HttpRequest, interval: int, now: float, sso_key: str) -> bool:
    """Move this session's ``last_seen_at`` to now if the last move is ``interval`` seconds old
    (``sso_key``: the session key of the SSO data, ``flows.SESSION_KEY``).

    Costs nothing (no query, no session write) in between; one UPDATE and one session save per
    interval otherwise. Whether it wrote."""
    session = getattr(request, "session", None)
    if session is None:
        return False
    data = session.get(sso_key)
    if not isinstance(data, dict):
        return False
    seen = session.get(SEEN_KEY) or data.get("login_at") or 0
    if now - float(seen) < interval or not session.session_key:
        return False
    session[SEEN_KEY] = int(now)
    SSOSession.objects.filter(session_key_digest=key_digest(str(session.session_key))).update(
        last_seen_at=timezone.now()
    )
    return True


# -- revocation ------------------------------------------------------------------------------
@contextmanager
def _revocation(reason: str, *, audited: bool = True) -> Iterator[None]:
    token = _revoking.set((reason, audited))
    try:
        yield
    finally:
        _revoking.reset(token)


def revoke(queryset: QuerySet[SSOSession], reason: str = "session_revoked") -> int:
    """End every session in ``queryset`` (deleted from the session store, audited); how many."""
    with _revocation(reason):
        _deleted, per_model = queryset.delete()
    return int(per_model.get(SSOSession._meta.label, 0))


def end_current(request: HttpRequest) -> None:
    """At logout: forget this browser's row (the session itself is flushed by Django)."""
    key = request.session.session_key
    if key:
        with _revocation("logout", audited=False):
            SSOSession.objects.filter(session_key_digest=key_digest(key)).delete()


def disable_connections(queryset: QuerySet[Connection]) -> int:
    """Disable the enabled connections in ``queryset`` and end their sessions; how many."""
    pks = list(queryset.filter(enabled=True).values_list("pk", flat=True))
    if not pks:
        return 0
    count = Connection.objects.filter(pk__in=pks, enabled=True).update(enabled=False)
    realm_cache.forget(connection_ids=pks)  # update() sends no signal: login starts must not find them
    revoke(SSOSession.objects.filter(connection_id__in=pks), "connection_disabled")
    return int(count)


def _reason_for(origin: Any) -> str:
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    if issubclass(model, FederatedIdentity):
        return "identity_removed"
    if issubclass(model, Connection):
        return "connection_removed"
    if issubclass(model, Organization):
        return "organization_removed"
    if issubclass(model, get_user_model()):
        return "user_removed"
    return "session_revoked"


def _end_django_session(row: SSOSession) -> str:
    """Delete the row's Django session from the store; an error text when that was impossible."""
    try:
        key = crypto.decrypt(row.session_key_encrypted)
    except ConfigurationError:
        return "session key unreadable (encryption key removed?)"
    try:
        session_store()(session_key=key).delete()
    except Exception as error:  # a store that is down: said in the audit event, not a 500
        return f"session store: {type(error).__name__}"
    return ""


def _on_delete(sender: Any, instance: SSOSession, origin: Any = None, **kwargs: Any) -> None:
    reason, audited = _revoking.get() or (_reason_for(origin), True)
    problem = _end_django_session(instance)
    if problem:
        logger.error("sso session %s not ended: %s", instance.pk, problem)
    if not audited:
        return
    connection_id = instance.connection_id
    organization_id = (
        Connection.objects.filter(pk=connection_id).values_list("organization_id", flat=True).first()
        if reason not in ("connection_removed", "organization_removed")
        else None
    )
    LoginEvent.objects.create(
        outcome=LoginEvent.Outcome.REVOKED,
        reason=reason,
        connection_id=connection_id if organization_id else None,
        organization_id=organization_id,
        user_id=instance.user_id if reason != "user_removed" else None,
        detail={"sso_session": instance.pk, "since": instance.created_at.isoformat(), **(
            {"problem": problem} if problem else {}
        )},
    )
    logger.info("sso revoked reason=%s session=%s user=%s", reason, instance.pk, instance.user_id)


def _on_connection_saved(sender: Any, instance: Connection, **kwargs: Any) -> None:
    if not instance.enabled and not kwargs.get("raw"):
        revoke(SSOSession.objects.filter(connection=instance), "connection_disabled")


def _on_user_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if getattr(instance, "is_active", True) is False and not kwargs.get("raw"):
        revoke(SSOSession.objects.filter(user=instance), "user_deactivated")


def connect() -> None:
    """Called from the app's ``ready()``."""
    pre_delete.connect(_on_delete, sender=SSOSession, dispatch_uid="tenant_sso.session_index.delete")
    post_save.connect(_on_connection_saved, sender=Connection, dispatch_uid="tenant_sso.session_index.connection")
    post_save.connect(_on_user_saved, sender=get_user_model(), dispatch_uid="tenant_sso.session_index.user")

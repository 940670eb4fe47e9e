"""The audit trail: every login outcome becomes one :class:`LoginEvent` row and one log line.

Never records secrets: no tokens, codes, client secrets or state values; claims are reduced to
the subject, the email and the group names.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import router
from django.http import HttpRequest

from . import sql
from .models import Connection, LoginEvent

logger = logging.getLogger("tenant_sso.audit")


def client_ip(request: HttpRequest) -> str | None:
    value = request.META.get("REMOTE_ADDR") or None
    return value[:45] if value else None


def record(
    request: HttpRequest,
    outcome: str,
    *,
    reason: str = "",
    connection: Connection | None = None,
    claims: dict[str, Any] | None = None,
    user: Any = None,
    detail: dict[str, Any] | None = None,
) -> LoginEvent:
    """Store the event and log its line; the event returned was not read back (its pk is None)."""
    claims = claims or {}
    event = LoginEvent(
        outcome=outcome,
        reason=reason[:64],
        connection=connection,
        organization_id=connection.organization_id if connection else None,
        user=user if user is not None and getattr(user, "pk", None) else None,
        subject=str(claims.get("sub", ""))[:255],
        email=str(claims.get("email", ""))[:254],
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        detail=detail or {},
    )
    # Written as SQL (tenant_sso.sql: one row per login, the ORM's INSERT cost more to build than
    # to run): no model signals; login_succeeded / login_failed are the signals to listen to.
    sql.insert(router.db_for_write(LoginEvent), event)
    logger.info(
        "sso %s reason=%s connection=%s sub=%s ip=%s",
        outcome,
        reason or "-",
        connection.pk if connection else "-",
        event.subject or "-",
        event.ip_address or "-",
    )
    return event

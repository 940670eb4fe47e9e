"""Certificates and secrets that expire: what we know, days left, and warnings sent once.

Tracked (docs/saml.md, "Expiry tracking"):

- a SAML upstream's IdP signing certificates, per source: as read from the metadata, and as
  Cognito holds them (``sso_cognito status`` records Cognito's copy). Per source, the credential
  is the certificate that expires **last**: while a newer certificate sits next to an old one (a
  rollover), the old one's expiry breaks nothing; when Cognito's copy holds only the old one, it
  does, and Cognito's source is warned about.
- an OIDC connection's client secret, when the operator recorded the day it stops working
  (``Connection.client_secret_expires_on``: admin, or ``sso_connection ... --secret-expires``).

:func:`sweep` sends the warnings: at 30, 14 and 7 days left and after expiry, for each credential
once per threshold (an :class:`~tenant_sso.models.ExpiryNotice` row per threshold passed: running
the sweep twice sends nothing new). A warning is the ``credential_expiring`` signal and a
``LoginEvent`` with outcome ``expiry`` and reason ``credential_expiring`` / ``credential_expired``.
A sweep that ran late (a credential already at 5 days) sends the most severe threshold once and
records the milder ones as passed. A rolled certificate or a new secret date is a new credential:
its warnings start afresh, and the old one's are no longer shown anywhere.

"now" is always passed in (tests freeze it; commands and tasks pass ``timezone.now()``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from .models import Connection, ExpiryNotice, LoginEvent, SAMLUpstream
from .saml.metadata import days_until
from .signals import credential_expiring

logger = logging.getLogger("tenant_sso.audit")

#: Days left at which a warning is sent; 0 stands for "expired".
THRESHOLDS = (30, 14, 7, 0)
#: Under this many days left, the system check, ``sso_cognito status`` and the admin warn.
WARN_DAYS = 30

KIND_CERTIFICATE = "saml_certificate"
KIND_SECRET = "client_secret"


@dataclass(frozen=True)
class Credential:
    """One expiring credential of a connection."""

    connection_id: int
    org_slug: str
    kind: str  # saml_certificate | client_secret
    key: str  # cert:<sha256> | secret:<YYYY-MM-DD>: what ExpiryNotice rows are keyed on
    source: str  # metadata | cognito | operator
    label: str
    expires_at: datetime

    def days_left(self, now: datetime) -> int:
        return days_until(self.expires_at, now)

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def threshold(self, now: datetime) -> int | None:
        """The most severe threshold passed at ``now`` (0: expired), None when none is."""
        if self.expired(now):
            return 0
        remaining = self.expires_at - now
        passed = [t for t in THRESHOLDS if t and remaining <= timedelta(days=t)]
        return min(passed) if passed else None

    def warned(self, now: datetime, *, within_days: int = WARN_DAYS) -> bool:
        """Expired, or ``within_days`` days or fewer left: shown as a warning everywhere."""
        return self.expires_at - now <= timedelta(days=within_days)

    def describe(self, now: datetime) -> str:
        days = self.days_left(now)
        if self.expired(now):
            ago = int((now - self.expires_at).total_seconds() // 86400)
            when = f"EXPIRED {ago} day{'s' if ago != 1 else ''} ago" if ago else "EXPIRED today"
        else:
            when = f"{days} day{'s' if days != 1 else ''} left"
        return f"{self.label}: {when} ({self.expires_at:%Y-%m-%d})"


def _secret_expiry(day: Any) -> datetime:
    # The day the secret stops working: counted from that day's start (UTC), the safe side.
    return datetime.combine(day, time.min, tzinfo=UTC)


def _parse(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def certificate_credentials(connection: Connection, upstream: SAMLUpstream) -> list[Credential]:
    """Per source, the signing certificate that expires last (see the module's docstring)."""
    latest: dict[str, tuple[datetime, dict[str, Any]]] = {}
    for record in upstream.certificates or []:
        not_after = _parse(str(record.get("not_after", "")))
        source = str(record.get("source", "metadata"))
        if not_after is None:
            continue
        if source not in latest or not_after > latest[source][0]:
            latest[source] = (not_after, record)
    where = {"metadata": "from the metadata", "cognito": "as Cognito holds it"}
    return [
        Credential(
            connection_id=connection.pk,
            org_slug=connection.organization.slug,
            kind=KIND_CERTIFICATE,
            key=f"cert:{record.get('fingerprint_sha256', '')}"[:100],
            source=source,
            label=f"SAML signing certificate {str(record.get('subject', ''))[:80]} ({where.get(source, source)})",
            expires_at=not_after,
        )
        for source, (not_after, record) in sorted(latest.items())
    ]


def credentials_of(connection: Connection) -> list[Credential]:
    """Every expiring credential we know of for ``connection``, soonest first."""
    found: list[Credential] = []
    if connection.client_secret_expires_on:
        found.append(
            Credential(
                connection_id=connection.pk,
                org_slug=connection.organization.slug,
                kind=KIND_SECRET,
                key=f"secret:{connection.client_secret_expires_on:%Y-%m-%d}",
                source="operator",
                label="OIDC client secret"
                if connection.kind != Connection.Kind.COGNITO
                else "upstream OIDC client secret (in Cognito)",
                expires_at=_secret_expiry(connection.client_secret_expires_on),
            )
        )
    try:
        upstream: SAMLUpstream | None = connection.saml_upstream  # select_related by tracked_connections()
    except SAMLUpstream.DoesNotExist:
        upstream = None
    if upstream is not None:
        found += certificate_credentials(connection, upstream)
    return sorted(found, key=lambda c: c.expires_at)


def tracked_connections() -> Any:
    """Enabled connections with something that expires."""
    return (
        Connection.objects.filter(enabled=True)
        .filter(Q(client_secret_expires_on__isnull=False) | Q(saml_upstream__isnull=False))
        .select_related("organization", "saml_upstream")
        .order_by("organization__slug", "pk")
    )


def all_credentials() -> list[Credential]:
    return [c for connection in tracked_connections() for c in credentials_of(connection)]


def expiring(now: datetime, *, within_days: int = WARN_DAYS) -> list[Credential]:
    """Credentials of enabled connections with ``within_days`` days or fewer left, or expired."""
    return [c for c in all_credentials() if c.warned(now, within_days=within_days)]


@dataclass(frozen=True)
class Warned:
    credential: Credential
    threshold: int
    event: LoginEvent


def _warn(connection: Connection, credential: Credential, threshold: int, now: datetime) -> LoginEvent:
    reason = "credential_expired" if threshold == 0 else "credential_expiring"
    days = credential.days_left(now)
    event = LoginEvent.objects.create(
        outcome=LoginEvent.Outcome.EXPIRY,
        reason=reason,
        connection=connection,
        organization_id=connection.organization_id,
        detail={
            "credential": credential.key,
            "kind": credential.kind,
            "source": credential.source,
            "label": credential.label,
            "expires_at": credential.expires_at.isoformat(),
            "days_left": days,
            "threshold": threshold,
        },
    )
    logger.warning(
        "sso expiry reason=%s connection=%s credential=%s days_left=%s",
        reason,
        connection.pk,
        credential.key,
        days,
    )
    credential_expiring.send(
        sender=Connection,
        connection=connection,
        credential=credential,
        threshold=threshold,
        days_left=days,
        expired=threshold == 0,
    )
    return event


def sweep(*, now: datetime, connections: Any = None) -> list[Warned]:
    """Send the warnings due at ``now`` (idempotent); returns what was sent."""
    sent: list[Warned] = []
    for connection in connections if connections is not None else tracked_connections():
        credentials = credentials_of(connection)
        # A rolled certificate or a new secret date: the old credential's notices are history.
        ExpiryNotice.objects.filter(connection=connection).exclude(
            credential__in=[c.key for c in credentials]
        ).delete()
        for credential in credentials:
            threshold = credential.threshold(now)
            if threshold is None:
                continue
            passed = [t for t in THRESHOLDS if t >= threshold]
            with transaction.atomic():
                done = set(
                    ExpiryNotice.objects.select_for_update()
                    .filter(connection=connection, credential=credential.key)
                    .values_list("threshold", flat=True)
                )
                if threshold in done:
                    continue
                try:
                    with transaction.atomic():
                        for t in passed:
                            if t not in done:
                                ExpiryNotice.objects.create(
                                    connection=connection,
                                    credential=credential.key,
                                    threshold=t,
                                    expires_at=credential.expires_at,
                                )
                except IntegrityError:  # another sweep got there first: it sends the warning
                    continue
                event = _warn(connection, credential, threshold, now)
            sent.append(Warned(credential, threshold, event))
    return sent

"""The package's background tasks (Django's tasks framework, through :mod:`tenant_sso.background`).

Each task takes primary keys (JSON-able), is idempotent (running it twice does no harm) and
retries what can fail. Sections are owned by the feature that needs them.
"""

from __future__ import annotations

import logging
from typing import Any

from .background import task


# -- verified email domains (issue 15; tenant_sso.domains, docs/domain-verification.md) ------------
@task()
def check_domain_dns(domain_pk: int, actor: str = "task") -> dict[str, Any] | None:
    """Check one domain's TXT record (the portal's or the admin's "check now" off the request).

    Idempotent: a check only ever sets ``verified_at`` to now, and is audited like any other.
    Not retried: its outcome is recorded (a timeout is one), and the customer checks again.
    ``None`` when the domain was deleted meanwhile.
    """
    from .domains import verify_domain
    from .models import OrganizationDomain

    row = OrganizationDomain.objects.select_related("organization").filter(pk=domain_pk).first()
    if row is None:
        return None
    check = verify_domain(row, actor=actor)
    return {"ok": check.ok, "code": check.code, "message": check.message}


logger = logging.getLogger("tenant_sso.audit")


# -- expiring credentials (issue 14, point 4: docs/saml.md, "Expiry tracking") ----------------
@task()
def refresh_saml_metadata(upstream_pk: int) -> str:
    """Re-read one SAML upstream's metadata URL (a rolled certificate replaces the old one, which
    clears its warning), then send the expiry warnings now due for its connection.

    Idempotent. A failed read is kept on the row (``metadata_error``, shown in the admin and by
    ``sso_check_expiry``) and retried by the next sweep (daily): the certificates we hold stay
    tracked meanwhile. Returns ``refreshed``, ``no_url``, ``gone`` or the failure's reason code.
    """
    from django.utils import timezone

    from .exceptions import SSOError
    from .expiry import sweep
    from .models import Connection, SAMLUpstream
    from .saml_store import refresh_metadata

    upstream = SAMLUpstream.objects.select_related("connection__organization").filter(pk=upstream_pk).first()
    if upstream is None:
        return "gone"
    now = timezone.now()
    outcome = "refreshed" if upstream.metadata_url else "no_url"
    try:
        refresh_metadata(upstream, now=now)
    except SSOError as error:
        logger.warning("saml metadata re-read failed: upstream=%s reason=%s", upstream_pk, error.code)
        outcome = error.code
    sweep(
        now=now,
        connections=Connection.objects.filter(pk=upstream.connection_id, enabled=True).select_related(
            "organization"
        ),
    )
    return outcome


@task()
def sweep_expiring_credentials() -> dict[str, Any]:
    """The periodic job (daily): re-read every SAML metadata URL, then send the warnings due.

    For hosts without a scheduler, ``manage.py sso_check_expiry`` (cron) does the same."""
    from django.utils import timezone

    from .expiry import sweep
    from .models import SAMLUpstream

    outcomes = [
        refresh_saml_metadata.call(pk)
        for pk in SAMLUpstream.objects.filter(connection__enabled=True)
        .exclude(metadata_url="")
        .values_list("pk", flat=True)
    ]
    warned = sweep(now=timezone.now())
    return {
        "refreshed": outcomes.count("refreshed"),
        "failed": len(outcomes) - outcomes.count("refreshed"),
        "warned": len(warned),
    }

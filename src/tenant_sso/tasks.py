"""tenant_sso's background tasks (:mod:`tenant_sso.background`): JSON-able arguments (primary
keys), idempotent. Each feature keeps its tasks in its own section below."""

from __future__ import annotations

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

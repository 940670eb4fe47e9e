"""The package's background tasks (Django's tasks framework, through :mod:`tenant_sso.background`).

Each task takes primary keys (JSON-able), is idempotent (running it twice does no harm) and
retries what can fail: see docs/deprovisioning.md. Sections are owned by the feature that needs them.
"""

from __future__ import annotations

import logging
from typing import Any

from .background import defer, later, task


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


# -- shared: retrying a task ------------------------------------------------------------------
def retry_later(work: Any, attempt: int, *args: Any) -> bool:
    """Queue ``work(*args, attempt=attempt + 1)`` after a growing delay; ``False`` when no retry
    is left or the backend cannot run a task later (the immediate backend: retrying at once in
    the same request would only make the caller wait)."""
    from .conf import app_settings

    if attempt >= app_settings.TASK_MAX_ATTEMPTS:
        return False
    delay = min(app_settings.TASK_RETRY_DELAY * 2 ** (attempt - 1), 3600.0)
    delayed = later(work, delay)
    if delayed is work:  # the backend cannot wait
        return False
    return defer(delayed, *args, attempt=attempt + 1) is not None


# -- deprovisioning (issue 16: docs/deprovisioning.md) ----------------------------------------
#: Cognito errors a retry cannot fix (configuration, IAM): audited once, not retried.
FINAL_ERRORS = frozenset({
    "cognito_not_a_pool", "cognito_access_denied", "cognito_connection_gone", "cognito_username_unknown",
    "cognito_invalid_parameter", "boto3_missing",
})

def _cognito_call(
    identity_pk: int, attempt: int, *, operation: str, work: Any, target: dict[str, Any] | None = None
) -> str:
    """Run one Cognito user call for an identity: audited, retried; the outcome as a word.

    ``target`` (:func:`tenant_sso.cognito.users.clear_target`), when a login computed it from the
    connection it holds, spares every database read: with the immediate backend this runs in the
    login's request, whose round trips are pinned (tests/integration/test_round_trips.py). A
    retry reads the identity again (its connection may have changed meanwhile).
    """
    from .cognito import users
    from .exceptions import SSOError
    from .models import FederatedIdentity, LoginEvent

    username = str(target["username"]) if target else ""
    if target is None:
        row = FederatedIdentity.objects.filter(pk=identity_pk).values_list(
            "connection_id", "connection__kind", "cognito_username"
        ).first()
        if row is None:
            return "gone"  # deleted since: its sessions went with it, nothing left to do
        connection_id, kind, username = row
        if kind != "cognito" or not username:
            return "skipped"
    try:
        if target is not None:
            users.delete_attributes(str(target["pool"]), username, [str(n) for n in target["attributes"]])
        elif operation == "clear":
            users.clear_stale_attributes(connection_id, username)
        else:
            users.global_sign_out(connection_id, username)
    except SSOError as error:
        if error.code == "cognito_user_not_found":
            # No such pool user (deleted in Cognito): nothing to clear or sign out.
            logger.info("cognito %s: user %s gone from the pool", operation, username)
            return "gone"
        final = error.code in FINAL_ERRORS
        retried = not final and retry_later(work, attempt, identity_pk)
        _audit(identity_pk, {"clear": "cognito_attributes_not_cleared", "sign_out": "cognito_sign_out_failed"}[operation],
               LoginEvent.Outcome.ERROR,
               {"code": error.code, "message": error.message[:300], "attempt": attempt, "retry": retried})
        logger.warning(
            "cognito %s failed for identity %s (attempt %d, %s): %s",
            operation, identity_pk, attempt, "retrying" if retried else "giving up", error.code,
        )
        return "retrying" if retried else "failed"
    if operation == "sign_out":
        _audit(identity_pk, "cognito_signed_out", LoginEvent.Outcome.REVOKED,
               {"cognito_username": username, "attempt": attempt})
    return "done"


def _audit(identity_pk: int, reason: str, outcome: str, detail: dict[str, Any]) -> None:
    from .models import FederatedIdentity, LoginEvent

    identity = FederatedIdentity.objects.select_related("connection").filter(pk=identity_pk).first()
    LoginEvent.objects.create(
        outcome=outcome,
        reason=reason,
        connection_id=identity.connection_id if identity else None,
        organization_id=identity.connection.organization_id if identity else None,
        user_id=identity.user_id if identity else None,
        subject=identity.subject[:255] if identity else "",
        detail={"identity": identity_pk, **detail},
    )


@task()
def clear_cognito_attributes(identity_pk: int, attempt: int = 1, target: dict[str, Any] | None = None) -> str:
    """After a Cognito login: clear the federated user's groups/roles attributes in the pool
    (:func:`tenant_sso.cognito.users.clear_stale_attributes`). A failure is audited
    (``cognito_attributes_not_cleared``) and retried; it never touches the login that queued it."""
    return _cognito_call(identity_pk, attempt, operation="clear", work=clear_cognito_attributes, target=target)


@task()
def cognito_global_sign_out(identity_pk: int, attempt: int = 1) -> str:
    """After a deactivation: sign the federated Cognito user out everywhere
    (:func:`tenant_sso.cognito.users.global_sign_out`), audited as ``cognito_signed_out``; a
    failure is audited (``cognito_sign_out_failed``) and retried."""
    return _cognito_call(identity_pk, attempt, operation="sign_out", work=cognito_global_sign_out)

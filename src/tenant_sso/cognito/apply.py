"""Executing a plan: each step is one Cognito call through :mod:`.aws`, or our database write.

Steps run in the plan's order (the order that lets a re-run finish what a failed run started).
An app client created by one step gives its ID to the steps after it (a ``ClientId`` of ``None``
in their parameters) and its secret to the connection, which is the only place it is stored.
"""

from __future__ import annotations

import logging
from typing import Any

from ..exceptions import ConfigurationError
from .aws import CognitoAPI, CognitoError
from .observe import Observer
from .plan import CurrentState, Plan, SAMLIdP, TenantSpec

logger = logging.getLogger("tenant_sso.cognito")


def apply_onboarding(api: CognitoAPI, observer: Observer, plan: Plan, spec: TenantSpec, current: CurrentState) -> Any:
    """Run the onboarding steps; returns the connection stored (``None`` when none was stored)."""
    pool = plan.pool
    client_id = current.client["ClientId"] if current.client else None
    client_secret = current.client.get("ClientSecret") if current.client else None
    connection = None
    for step in plan.steps:
        logger.info("cognito onboarding %s: %s %s", plan.org_slug, step.action, step.target)
        if step.action == "store_connection":
            connection = store_connection(plan, spec, client_id, client_secret)
            continue
        params = dict(step.params)
        if "ClientId" in params and params["ClientId"] is None:
            params["ClientId"] = client_id
        try:
            result = api.call(pool.region, step.action, **params)
        except CognitoError as exc:
            if step.action == "create_managed_login_branding":
                raise CognitoError(
                    "cognito_managed_login_failed",
                    f"Creating the managed login branding of app client {client_id} failed ({exc.code}: "
                    f"{exc.message}). Without it the client's login pages do not work; re-run to retry.",
                ) from exc
            raise
        if step.action == "add_custom_attributes":
            observer.attributes_added(pool)
        elif step.action == "create_identity_provider":
            observer.provider_created(pool, plan.provider_name)
        elif step.action == "create_user_pool_client":
            created = result["UserPoolClient"]
            client_id, client_secret = created["ClientId"], created.get("ClientSecret")
            observer.client_created(pool, plan.client_name, client_id)
    return connection


def store_connection(plan: Plan, spec: TenantSpec, client_id: str | None, client_secret: str | None) -> Any:
    """Create or update the tenant's connection (through :func:`~tenant_sso.connections.upsert_connection`,
    the same rules as every other way of setting one up)."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from ..connections import ConnectionSpec, upsert_connection, validation_message
    from ..models import Connection

    desired = plan.desired_connection
    existing = Connection.objects.filter(organization__slug=spec.org_slug, enabled=True).first()
    connection_spec = ConnectionSpec(
        org_slug=spec.org_slug,
        org_name=spec.org_name,
        kind="cognito",
        issuer=desired["issuer"],
        client_id=client_id or "",
        client_secret=client_secret,
        email_domains=list(desired["email_domains"]),
        cognito_domain=desired["cognito_domain"],
        identity_provider=desired["identity_provider"],
        allowed_groups=list(desired["allowed_groups"]),
        groups_claim=desired["groups_claim"],
        roles_claim=desired["roles_claim"],
        # Not managed by onboarding: keep what the admin set.
        group_mapping=dict(existing.group_mapping) if existing else {},
        logout_redirect_url=existing.logout_redirect_url if existing else "",
        extra={"idp_initiated": bool(desired.get("idp_initiated"))},
    )
    upstream = spec.upstream
    with transaction.atomic():  # the connection and its SAML record, or neither
        try:
            connection, _ = upsert_connection(connection_spec)
        except ValidationError as exc:
            raise ConfigurationError("connection_invalid", validation_message(exc)) from exc
        if isinstance(upstream, SAMLIdP) and upstream.metadata is not None:
            record_saml(connection, upstream, roles_attribute=str(desired.get("upstream_roles_attribute") or ""))
    return connection


def record_saml(connection: Any, upstream: SAMLIdP, *, roles_attribute: str) -> None:
    """Record what was onboarded (saml-core's :func:`tenant_sso.saml_store.record_upstream`): the
    settings ``status`` compares Cognito with, and the certificates whose expiry is tracked."""
    from ..saml_store import record_upstream

    record_upstream(
        connection,
        metadata=upstream.metadata,
        metadata_url=upstream.metadata_url,
        preset=upstream.preset,
        email_attribute=upstream.email_attribute,
        groups_attribute=upstream.groups_attribute,
        roles_attribute=roles_attribute,
        sign_requests=upstream.sign_requests,
        encrypted_responses=upstream.encrypted_responses,
    )


def apply_offboarding(api: CognitoAPI, observer: Observer, plan: Plan) -> None:
    """Run the offboarding steps: deletions that tolerate "already gone", then the kill switch."""
    from ..models import Connection
    from ..session_index import disable_connections

    for step in plan.steps:
        logger.info("cognito offboarding %s: %s %s", plan.org_slug, step.action, step.target)
        if step.action == "disable_connection":
            # Disabled and every session made through it ended (the kill switch).
            disable_connections(Connection.objects.filter(organization__slug=plan.org_slug))
            continue
        # Already gone (a concurrent or an earlier partial run) is what we wanted.
        api.call(plan.pool.region, step.action, missing_ok=True, **step.params)
        if step.action == "delete_identity_provider":
            observer.provider_deleted(plan.pool, plan.provider_name)
        if step.action == "delete_user_pool_client":
            observer.client_deleted(plan.pool, plan.client_name)

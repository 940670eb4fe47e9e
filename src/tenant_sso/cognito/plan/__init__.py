"""Onboarding plans: desired state vs current state -> the list of Cognito API calls to make.

Pure data and pure functions: no boto3, no Django, no I/O. :mod:`..observe` reads the current
state (``describe_*`` calls and the database), :func:`plan_onboarding` turns it into a
:class:`Plan`, and :mod:`..onboarding` either prints it (``--dry-run``, ``status``) or has
:mod:`..apply` execute it. Sharing one mechanism is what makes "dry-run shows exactly what onboard
would do" and "status shows drift" true by construction.

One planner per resource, each with the rules of its resource in its docstring
(docs/cognito.md, "Onboarding with boto3"):

* :mod:`.attributes` -- the pool's custom attributes;
* :mod:`.identity_provider` -- the tenant's IdP (and the claims it maps);
* :mod:`.app_client` -- the tenant's app client;
* :mod:`.branding` -- the app client's managed login branding;
* :mod:`.connection` -- our database row.

:mod:`.model` holds the data types, :mod:`.names` the names derived from a slug. Steps are ordered
so that a run that stopped half-way converges on the next run: attributes, then the IdP (the app
client names it), then the app client, its branding, and last the database (which needs the
client's ID and secret). A new onboarding step is a new planner module called here, in its place.
"""

from __future__ import annotations

from .app_client import plan_app_client
from .attributes import plan_custom_attributes
from .branding import plan_branding
from .connection import desired_connection, plan_connection
from .identity_provider import (
    desired_groups_claim,
    desired_roles_claim,
    identifiers_for,
    plan_identity_provider,
)
from .model import (
    DEFAULT_SCOPES,
    AppUrls,
    Change,
    CurrentState,
    Part,
    Plan,
    PoolRef,
    Step,
    StoredConnection,
    TenantSpec,
    Upstream,
    checked_spec,
)
from .names import client_name_for, pool_of_issuer, provider_name_for, region_of_pool

#: What the rest of the package (the use cases, the command, the admin action) uses.
__all__ = [
    "DEFAULT_SCOPES",
    "AppUrls",
    "CurrentState",
    "Plan",
    "PoolRef",
    "StoredConnection",
    "TenantSpec",
    "Upstream",
    "checked_spec",
    "client_name_for",
    "plan_offboarding",
    "plan_onboarding",
    "pool_of_issuer",
    "provider_name_for",
    "region_of_pool",
]


def plan_onboarding(
    spec: TenantSpec,
    pool: PoolRef,
    current: CurrentState,
    urls: AppUrls,
    *,
    managed_login_branding: bool = True,
) -> Plan:
    """Compare the desired state of ``spec`` with ``current`` and list the calls that close the gap."""
    provider = provider_name_for(spec.org_slug)
    client_name = client_name_for(spec.org_slug)
    groups_claim = desired_groups_claim(spec, current.identity_provider)
    roles_claim = desired_roles_claim(spec, current.identity_provider)
    roles = bool(roles_claim)
    domains = identifiers_for([*current.org_domains, *spec.email_domains])
    desired = desired_connection(spec, pool, current, provider=provider, roles=roles)
    parts: list[Part] = [
        plan_custom_attributes(pool, current, roles=roles),
        plan_identity_provider(
            spec, pool, current, provider=provider, domains=domains, groups_claim=groups_claim, roles_claim=roles_claim
        ),
        plan_app_client(pool, current, urls, provider=provider, client_name=client_name, roles=roles),
    ]
    if managed_login_branding:
        parts.append(plan_branding(pool, current, client_name=client_name))
    parts.append(plan_connection(spec, current, desired, domains=domains))
    return Plan(
        spec.org_slug,
        pool,
        provider,
        client_name,
        tuple(step for part in parts for step in part.steps),
        tuple(note for part in parts for note in part.notes),
        desired | {"email_domains": domains},
    )


def plan_offboarding(org_slug: str, pool: PoolRef, current: CurrentState, *, connection_enabled: bool) -> Plan:
    """Delete the tenant's branding, app client and identity provider; disable its connection.

    The pool's custom attributes stay (they serve every tenant and cannot be deleted anyway).
    """
    provider = provider_name_for(org_slug)
    client_name = client_name_for(org_slug)
    steps: list[Step] = []
    client = current.client
    if client is not None and current.branding_id:
        steps.append(
            Step(
                "delete_managed_login_branding",
                client_name,
                (Change("managed login branding", current.branding_id, None),),
                {"UserPoolId": pool.user_pool_id, "ManagedLoginBrandingId": current.branding_id},
            )
        )
    if client is not None:
        steps.append(
            Step(
                "delete_user_pool_client",
                str(client["ClientId"]),
                (Change("app client", client_name, None),),
                {"UserPoolId": pool.user_pool_id, "ClientId": client["ClientId"]},
            )
        )
    if current.identity_provider is not None:
        steps.append(
            Step(
                "delete_identity_provider",
                provider,
                (Change("identity provider", provider, None),),
                {"UserPoolId": pool.user_pool_id, "ProviderName": provider},
            )
        )
    if connection_enabled:
        steps.append(Step("disable_connection", org_slug, (Change("enabled", True, False),)))
    return Plan(org_slug, pool, provider, client_name, tuple(steps))

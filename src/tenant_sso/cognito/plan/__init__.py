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

from dataclasses import replace

from ...exceptions import ConfigurationError
from .app_client import plan_app_client
from .attributes import plan_custom_attributes
from .branding import plan_branding
from .connection import desired_connection, plan_connection
from .identity_provider import (
    desired_groups_claim,
    desired_roles_claim,
    identifiers_for,
    plan_identity_provider,
    provider_type,
)
from .model import (
    DEFAULT_SCOPES,
    ORG_PLACEHOLDER,
    SAML_SIGNING_ALGORITHM,
    AnyUpstream,
    AppUrls,
    Change,
    CurrentState,
    Part,
    Plan,
    PoolRef,
    SAMLIdP,
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
    "ORG_PLACEHOLDER",
    "SAML_SIGNING_ALGORITHM",
    "AnyUpstream",
    "AppUrls",
    "CurrentState",
    "Plan",
    "PoolRef",
    "SAMLIdP",
    "StoredConnection",
    "TenantSpec",
    "Upstream",
    "checked_spec",
    "client_name_for",
    "plan_offboarding",
    "plan_onboarding",
    "pool_of_issuer",
    "provider_name_for",
    "provider_type",
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
    """Compare the desired state of ``spec`` with ``current`` and list the calls that close the gap.

    A spec without an upstream keeps the one Cognito holds; for a SAML tenant, the upstream our
    database recorded at onboarding (``current.connection.saml``) stands in for it, so ``status``
    compares Cognito's SAML details (IdP-initiated, request signing, encryption, metadata URL)
    with what was asked.
    """
    stored = current.connection
    if spec.upstream is None and stored is not None and stored.saml is not None:
        # Cognito's provider is SAML, or gone (deleted in the console): recreate it from the record.
        if current.identity_provider is None or provider_type(spec, current.identity_provider) == "SAML":
            spec = replace(spec, upstream=stored.saml)
    provider = provider_name_for(spec.org_slug)
    client_name = client_name_for(spec.org_slug)
    groups_claim = desired_groups_claim(spec, current.identity_provider)
    roles_claim = desired_roles_claim(spec, current.identity_provider)
    roles = bool(roles_claim)
    domains = identifiers_for([*current.org_domains, *spec.email_domains])
    idp_initiated = desired_idp_initiated(spec, current)
    idp_initiated_url = ""
    if idp_initiated:
        idp_initiated_url = urls.idp_initiated_url(spec.org_slug)
        if not idp_initiated_url:
            raise ConfigurationError(
                "cognito_idp_initiated_url_missing",
                "IdP-initiated sign-in needs our URL tenant_sso:idp_initiated registered on the app client, "
                "but it cannot be built: route tenant_sso.urls (with the idp-initiated view) and set "
                "TENANT_SSO_BASE_URL or TENANT_SSO_COGNITO_CALLBACK_URL.",
            )
    desired = desired_connection(spec, pool, current, provider=provider, roles=roles, idp_initiated=idp_initiated)
    parts: list[Part] = [
        plan_custom_attributes(pool, current, roles=roles),
        plan_identity_provider(
            spec, pool, current, provider=provider, domains=domains, groups_claim=groups_claim, roles_claim=roles_claim
        ),
        plan_app_client(
            pool, current, urls, provider=provider, client_name=client_name, roles=roles,
            idp_initiated_url=idp_initiated_url,
        ),
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
        desired | {"email_domains": domains, "upstream_roles_attribute": roles_claim},
    )


def desired_idp_initiated(spec: TenantSpec, current: CurrentState) -> bool:
    """IdP-initiated sign-in: asked of a SAML upstream; else kept as the connection has it (SAML only)."""
    if isinstance(spec.upstream, SAMLIdP):
        return spec.upstream.idp_initiated
    if spec.upstream is not None:
        return False  # an OIDC upstream has no IdP-initiated sign-in through Cognito
    stored = current.connection
    return bool(stored and stored.idp_initiated and provider_type(spec, current.identity_provider) == "SAML")


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

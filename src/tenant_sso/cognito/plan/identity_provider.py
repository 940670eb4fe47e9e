"""The tenant's identity provider in the pool: the customer's OIDC IdP as Cognito federates to it.

``update_identity_provider`` keeps omitted fields: only the changed groups of fields are sent. The
attribute mapping keys this package owns are replaced; any other mapping is left alone. The IdP's
identifiers are the tenant's email domains (Cognito's quotas: 50 of 40 characters each).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...exceptions import ConfigurationError
from ...validation import canonical_domain
from .model import Change, CurrentState, Part, PoolRef, Step, TenantSpec, Upstream, same_list

#: Cognito's quota of identifiers per identity provider, and of characters per identifier.
MAX_IDP_IDENTIFIERS = 50
MAX_IDP_IDENTIFIER_LENGTH = 40
DEFAULT_GROUPS_CLAIM = "groups"

# The keys of the IdP attribute mapping this package owns; any other mapping is left alone.
_MANAGED_MAPPING_KEYS = ("email", "username", "custom:groups", "custom:roles")


def desired_groups_claim(spec: TenantSpec, idp: Mapping[str, Any] | None) -> str:
    if spec.groups_claim:
        return spec.groups_claim
    current = (idp or {}).get("AttributeMapping", {}).get("custom:groups")
    return str(current or DEFAULT_GROUPS_CLAIM)


def desired_roles_claim(spec: TenantSpec, idp: Mapping[str, Any] | None) -> str:
    if spec.roles_claim is not None:
        return spec.roles_claim
    return str((idp or {}).get("AttributeMapping", {}).get("custom:roles") or "")


def identifiers_for(domains: Sequence[str]) -> list[str]:
    """The IdP's ``IdpIdentifiers``: the tenant's email domains, within Cognito's quotas."""
    result = sorted({canonical_domain(d) for d in domains if d.strip()})
    too_long = [d for d in result if len(d) > MAX_IDP_IDENTIFIER_LENGTH]
    if too_long:
        raise ConfigurationError(
            "cognito_identifier_too_long",
            f"Email domain {too_long[0]!r} is longer than Cognito's {MAX_IDP_IDENTIFIER_LENGTH} "
            "characters for an identity provider identifier.",
        )
    if len(result) > MAX_IDP_IDENTIFIERS:
        raise ConfigurationError(
            "cognito_too_many_identifiers",
            f"{len(result)} email domains: Cognito allows at most {MAX_IDP_IDENTIFIERS} identifiers per identity provider.",
        )
    return result


def plan_identity_provider(
    spec: TenantSpec,
    pool: PoolRef,
    current: CurrentState,
    *,
    provider: str,
    domains: list[str],
    groups_claim: str,
    roles_claim: str,
) -> Part:
    """Create the identity provider, or update what differs (details, mapping, identifiers)."""
    idp = current.identity_provider
    mapping_ours = {"email": "email", "username": "sub", "custom:groups": groups_claim}
    if roles_claim:
        mapping_ours["custom:roles"] = roles_claim
    current_mapping = dict((idp or {}).get("AttributeMapping") or {})
    mapping = {k: v for k, v in current_mapping.items() if k not in _MANAGED_MAPPING_KEYS} | mapping_ours
    if idp is None:
        if spec.upstream is None:
            raise ConfigurationError(
                "cognito_upstream_required",
                f"{spec.org_slug} has no identity provider {provider!r} in pool {pool.user_pool_id}: "
                "give the upstream issuer, client ID and client secret to onboard it.",
            )
        details = provider_details(spec.upstream)
        create = Step(
            "create_identity_provider",
            provider,
            (
                Change("oidc_issuer", None, spec.upstream.issuer),
                Change("client_id", None, spec.upstream.client_id),
                Change("authorize_scopes", None, details["authorize_scopes"]),
                Change("AttributeMapping", None, show_mapping(mapping)),
                Change("IdpIdentifiers", None, domains),
            ),
            {
                "UserPoolId": pool.user_pool_id,
                "ProviderName": provider,
                "ProviderType": "OIDC",
                "ProviderDetails": details,
                "AttributeMapping": mapping,
                "IdpIdentifiers": domains,
            },
        )
        return Part((create,))
    changes: list[Change] = []
    params: dict[str, Any] = {"UserPoolId": pool.user_pool_id, "ProviderName": provider}
    if idp.get("ProviderType", "OIDC") != "OIDC":
        raise ConfigurationError(
            "cognito_provider_name_taken",
            f"Identity provider {provider!r} in pool {pool.user_pool_id} is a {idp.get('ProviderType')} "
            "provider, not the tenant's OIDC provider: rename or delete it first.",
        )
    if spec.upstream is not None:
        have = dict(idp.get("ProviderDetails") or {})
        want = provider_details(spec.upstream)
        detail_changes = []
        for key, value in want.items():
            if key == "client_secret":
                # Compared when Cognito returns it; shown only as "changed".
                if key in have and have[key] != value:
                    detail_changes.append(Change(key, have[key], value, secret=True))
            elif have.get(key) != value:
                detail_changes.append(Change(key, have.get(key), value))
        if detail_changes:
            changes += detail_changes
            params["ProviderDetails"] = want
    if current_mapping != mapping:
        changes.append(Change("AttributeMapping", show_mapping(current_mapping), show_mapping(mapping)))
        params["AttributeMapping"] = mapping
    if not same_list(idp.get("IdpIdentifiers"), domains):
        changes.append(Change("IdpIdentifiers", sorted(idp.get("IdpIdentifiers") or []), domains))
        params["IdpIdentifiers"] = domains
    if not changes:
        return Part()
    return Part((Step("update_identity_provider", provider, tuple(changes), params),))


def provider_details(upstream: Upstream) -> dict[str, str]:
    scopes = list(dict.fromkeys(["openid", *upstream.scopes]))
    return {
        "client_id": upstream.client_id,
        "client_secret": upstream.client_secret,
        "authorize_scopes": " ".join(scopes),
        # Exactly as given: the upstream's issuer is an exact string (its tokens' iss), and
        # issuers such as https://tenant.auth0.com/ end in a slash.
        "oidc_issuer": upstream.issuer.strip(),
        "attributes_request_method": "GET",
    }


def show_mapping(mapping: Mapping[str, str]) -> str:
    return ", ".join(f"{k}<-{v}" for k, v in sorted(mapping.items()))

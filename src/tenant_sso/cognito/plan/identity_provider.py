"""The tenant's identity provider in the pool: the customer's OIDC or SAML IdP as Cognito federates to it.

``update_identity_provider`` keeps omitted fields: only the changed groups of fields are sent. The
attribute mapping keys this package owns are replaced; any other mapping is left alone. The IdP's
identifiers are the tenant's email domains (Cognito's quotas: 50 of 40 characters each).

A SAML provider (docs/cognito-onboarding.md, "SAML identity providers"; the keys are those of
CreateIdentityProvider's ``ProviderDetails`` for ``ProviderType=SAML`` in AWS's API reference):
``MetadataURL`` or ``MetadataFile``, ``IDPSignout`` (when the metadata names a
SingleLogoutService), ``IDPInit`` (IdP-initiated sign-in), ``RequestSigningAlgorithm``
(``rsa-sha256`` when Cognito signs its AuthnRequests), ``EncryptedResponses``. Cognito answers
``describe_identity_provider`` with more keys it computes (``SSORedirectBindingURI``,
``ActiveEncryptionCertificate``...): only the keys above are compared, an absent boolean being
``"false"``. Its mapping has no ``username`` (Cognito names a SAML user by its NameID). A provider
cannot change type in Cognito: an OIDC tenant moving to SAML (or back) is offboarded first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...exceptions import ConfigurationError
from ...validation import canonical_domain
from .model import (
    SAML_SIGNING_ALGORITHM,
    Change,
    CurrentState,
    Part,
    PoolRef,
    SAMLIdP,
    Step,
    TenantSpec,
    Upstream,
    same_list,
)

#: Cognito's quota of identifiers per identity provider, and of characters per identifier.
MAX_IDP_IDENTIFIERS = 50
MAX_IDP_IDENTIFIER_LENGTH = 40
DEFAULT_GROUPS_CLAIM = "groups"
DEFAULT_EMAIL_CLAIM = "email"
#: The SAML ``ProviderDetails`` keys this package sets and compares (booleans as "true"/"false").
SAML_DETAIL_KEYS = ("MetadataURL", "MetadataFile", "IDPSignout", "IDPInit", "EncryptedResponses", "RequestSigningAlgorithm")
_SAML_BOOLEANS = ("IDPSignout", "IDPInit", "EncryptedResponses")

# The keys of the IdP attribute mapping this package owns; any other mapping is left alone.
_MANAGED_MAPPING_KEYS = ("email", "username", "custom:groups", "custom:roles")


def provider_type(spec: TenantSpec, idp: Mapping[str, Any] | None) -> str:
    """``SAML`` or ``OIDC``: the type of the upstream given, else of the provider Cognito holds."""
    if spec.upstream is not None:
        return "SAML" if isinstance(spec.upstream, SAMLIdP) else "OIDC"
    return str((idp or {}).get("ProviderType") or "OIDC")


def desired_groups_claim(spec: TenantSpec, idp: Mapping[str, Any] | None) -> str:
    if spec.groups_claim:
        return spec.groups_claim
    if isinstance(spec.upstream, SAMLIdP) and spec.upstream.groups_attribute:
        return spec.upstream.groups_attribute
    current = (idp or {}).get("AttributeMapping", {}).get("custom:groups")
    return str(current or DEFAULT_GROUPS_CLAIM)


def desired_roles_claim(spec: TenantSpec, idp: Mapping[str, Any] | None) -> str:
    if spec.roles_claim is not None:
        return spec.roles_claim
    return str((idp or {}).get("AttributeMapping", {}).get("custom:roles") or "")


def desired_email_claim(spec: TenantSpec, idp: Mapping[str, Any] | None) -> str:
    """The upstream attribute mapped to ``email``: a SAML upstream's, else the one Cognito holds
    for a SAML provider (vendors name it differently), else ``email``."""
    if isinstance(spec.upstream, SAMLIdP):
        return spec.upstream.email_attribute or DEFAULT_EMAIL_CLAIM
    if spec.upstream is None and provider_type(spec, idp) == "SAML":
        return str((idp or {}).get("AttributeMapping", {}).get("email") or DEFAULT_EMAIL_CLAIM)
    return DEFAULT_EMAIL_CLAIM


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
    kind = provider_type(spec, idp)
    mapping_ours = {"email": desired_email_claim(spec, idp), "custom:groups": groups_claim}
    if kind == "OIDC":
        mapping_ours["username"] = "sub"
    if roles_claim:
        mapping_ours["custom:roles"] = roles_claim
    current_mapping = dict((idp or {}).get("AttributeMapping") or {})
    mapping = {k: v for k, v in current_mapping.items() if k not in _MANAGED_MAPPING_KEYS} | mapping_ours
    if idp is None:
        if spec.upstream is None:
            raise ConfigurationError(
                "cognito_upstream_required",
                f"{spec.org_slug} has no identity provider {provider!r} in pool {pool.user_pool_id}: "
                "give the upstream issuer, client ID and client secret (OIDC) or its SAML metadata to onboard it.",
            )
        details = desired_details(spec.upstream)
        shown = [Change(k, None, show_detail(k, v)) for k, v in details.items() if k != "client_secret"]
        create = Step(
            "create_identity_provider",
            provider,
            (
                Change("ProviderType", None, kind),
                *shown,
                Change("AttributeMapping", None, show_mapping(mapping)),
                Change("IdpIdentifiers", None, domains),
            ),
            {
                "UserPoolId": pool.user_pool_id,
                "ProviderName": provider,
                "ProviderType": kind,
                "ProviderDetails": details,
                "AttributeMapping": mapping,
                "IdpIdentifiers": domains,
            },
        )
        return Part((create,))
    changes: list[Change] = []
    params: dict[str, Any] = {"UserPoolId": pool.user_pool_id, "ProviderName": provider}
    have_type = str(idp.get("ProviderType", "OIDC"))
    if have_type != kind or kind not in ("OIDC", "SAML"):
        raise ConfigurationError(
            "cognito_provider_type_change" if have_type in ("OIDC", "SAML") else "cognito_provider_name_taken",
            f"Identity provider {provider!r} in pool {pool.user_pool_id} is a {have_type} provider, not the "
            f"tenant's {kind} provider: Cognito cannot change a provider's type. Offboard the tenant "
            "(sso_cognito offboard) and onboard it again"
            + (" (its users sign in as new Cognito users)." if have_type in ("OIDC", "SAML") else ", or rename or delete that provider first."),
        )
    if spec.upstream is not None:
        have = dict(idp.get("ProviderDetails") or {})
        want = desired_details(spec.upstream)
        detail_changes = (
            saml_detail_changes(have, want) if isinstance(spec.upstream, SAMLIdP) else oidc_detail_changes(have, want)
        )
        if detail_changes:
            changes += detail_changes
            if isinstance(spec.upstream, SAMLIdP) and "IDPSignout" not in want and "IDPSignout" in have:
                want["IDPSignout"] = str(have["IDPSignout"])  # not known without the metadata: keep it
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


def oidc_detail_changes(have: Mapping[str, Any], want: Mapping[str, str]) -> list[Change]:
    changes = []
    for key, value in want.items():
        if key == "client_secret":
            # Compared when Cognito returns it; shown only as "changed".
            if key in have and have[key] != value:
                changes.append(Change(key, have[key], value, secret=True))
        elif have.get(key) != value:
            changes.append(Change(key, have.get(key), value))
    return changes


def saml_detail_changes(have: Mapping[str, Any], want: Mapping[str, str]) -> list[Change]:
    """What differs among the SAML keys we manage. A key the spec does not know (``IDPSignout``
    without the metadata at hand) keeps what Cognito holds; an absent boolean reads ``"false"``."""
    changes = []
    for key in SAML_DETAIL_KEYS:
        if key == "IDPSignout" and key not in want:
            continue
        current, desired = have.get(key), want.get(key)
        if key in _SAML_BOOLEANS:
            current, desired = str(current or "false").lower(), str(desired or "false").lower()
        elif key == "MetadataFile":
            if "MetadataFile" not in want:
                continue  # a MetadataURL provider: Cognito may keep the document it read
            current = " ".join(str(current or "").split()) or None
            desired = " ".join(str(desired).split())
        if current != desired:
            changes.append(Change(key, show_detail(key, have.get(key)), show_detail(key, want.get(key))))
    return changes


def desired_details(upstream: Upstream | SAMLIdP) -> dict[str, str]:
    """The ``ProviderDetails`` of ``upstream``."""
    if isinstance(upstream, SAMLIdP):
        return saml_provider_details(upstream)
    return provider_details(upstream)


def saml_provider_details(upstream: SAMLIdP) -> dict[str, str]:
    """A SAML provider's ``ProviderDetails``; booleans as Cognito spells them."""
    details: dict[str, str] = {}
    if upstream.metadata_url:
        details["MetadataURL"] = upstream.metadata_url
    else:
        details["MetadataFile"] = upstream.metadata_xml.decode("utf-8")
    signout = upstream.idp_signout
    if signout is not None:
        details["IDPSignout"] = _bool(signout)
    details["IDPInit"] = _bool(upstream.idp_initiated)
    details["EncryptedResponses"] = _bool(upstream.encrypted_responses)
    if upstream.sign_requests:
        details["RequestSigningAlgorithm"] = SAML_SIGNING_ALGORITHM
    return details


def _bool(value: bool) -> str:
    return "true" if value else "false"


def show_detail(key: str, value: Any) -> Any:
    """A detail as a plan prints it: a metadata document by its size, not its text."""
    if key == "MetadataFile" and value:
        return f"(metadata document, {len(str(value))} characters)"
    return value


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

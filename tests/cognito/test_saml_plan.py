"""The SAML provider's plan as pure data: what Cognito computes is not drift, and what is not known keeps."""

from __future__ import annotations

from typing import Any

from tenant_sso.cognito.plan import AppUrls, CurrentState, PoolRef, SAMLIdP, TenantSpec, plan_onboarding

POOL = PoolRef("us-east-1_Pool1", "us-east-1")
URLS = AppUrls(("https://app.test/sso/callback/",), ("https://app.test/login/",), "https://app.test/sso/idp-initiated/__org__/")
METADATA_URL = "https://idp.test/metadata"


def _current(details: dict[str, str], mapping: dict[str, str] | None = None) -> CurrentState:
    idp: dict[str, Any] = {
        "ProviderName": "acme",
        "ProviderType": "SAML",
        "ProviderDetails": details,
        "AttributeMapping": mapping or {"email": "email", "custom:groups": "groups"},
        "IdpIdentifiers": ["acme.test"],
    }
    return CurrentState(
        custom_attributes={"custom:groups": {"Mutable": True, "StringAttributeConstraints": {"MaxLength": "2048"}}},
        domain="auth.app.test", identity_provider=idp, client=None, branding_id=None, branding_checked=False,
        connection=None, org_domains=("acme.test",),
    )


def _idp_steps(spec: TenantSpec, current: CurrentState) -> list[Any]:
    plan = plan_onboarding(spec, POOL, current, URLS, managed_login_branding=False)
    return [s for s in plan.steps if s.action.endswith("identity_provider")]


def test_details_cognito_computes_and_absent_booleans_are_not_drift() -> None:
    # As DescribeIdentityProvider answers (AWS CLI example): computed keys, a metadata document
    # Cognito read from the URL, and no EncryptedResponses / RequestSigningAlgorithm keys at all.
    details = {
        "MetadataURL": METADATA_URL, "MetadataFile": "<EntityDescriptor .../>", "IDPSignout": "false",
        "IDPInit": "false", "SSORedirectBindingURI": "https://idp.test/sso",
        "ActiveEncryptionCertificate": "MIIC...", "ActiveSigningCertificate": "MIIC...",
    }
    spec = TenantSpec("acme", upstream=SAMLIdP(metadata_url=METADATA_URL, email_attribute="email",
                                               groups_attribute="groups", idp_signout=False))
    assert _idp_steps(spec, _current(details)) == []


def test_a_changed_switch_sends_every_detail_and_keeps_an_unknown_signout() -> None:
    details = {"MetadataURL": METADATA_URL, "IDPSignout": "true", "IDPInit": "false"}
    spec = TenantSpec("acme", upstream=SAMLIdP(metadata_url=METADATA_URL, email_attribute="email",
                                               groups_attribute="groups", sign_requests=True))  # signout unknown

    [step] = _idp_steps(spec, _current(details))

    assert [str(c) for c in step.changes] == ["RequestSigningAlgorithm: (none) -> 'rsa-sha256'"]
    assert step.params["ProviderDetails"] == {
        "MetadataURL": METADATA_URL, "IDPSignout": "true", "IDPInit": "false", "EncryptedResponses": "false",
        "RequestSigningAlgorithm": "rsa-sha256",
    }


def test_a_resync_without_an_upstream_keeps_the_saml_mapping_and_adds_no_username() -> None:
    entra = {"email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
             "custom:groups": "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"}
    current = _current({"MetadataURL": METADATA_URL, "IDPInit": "false"}, mapping=entra)

    assert _idp_steps(TenantSpec("acme"), current) == []

"""The values handed to the customer's IT admin (checked against AWS's docs: docs/saml.md)."""

from __future__ import annotations

from urllib.parse import parse_qs

from tenant_sso.saml.presets import PRESETS
from tenant_sso.saml.sp import sp_values


def values(**overrides: object) -> dict[str, str]:
    args: dict = dict(
        user_pool_id="eu-west-1_AbCdEf123",
        cognito_domain="acme-sso.auth.eu-west-1.amazoncognito.com",
        client_id="1example23456789",
        idp_initiated_url="",
        preset="entra",
        sign_requests=False,
    )
    args.update(overrides)
    return {v.key: v.value for v in sp_values(**args)}


def test_entity_id_acs_and_logout_are_cognitos() -> None:
    got = values()
    assert got["sp_entity_id"] == "urn:amazon:cognito:sp:eu-west-1_AbCdEf123"
    assert got["acs_url"] == "https://acme-sso.auth.eu-west-1.amazoncognito.com/saml2/idpresponse"
    assert got["slo_url"] == "https://acme-sso.auth.eu-west-1.amazoncognito.com/saml2/logout"
    assert "relay_state" not in got and "signing_certificate" not in got


def test_a_custom_domain_given_as_url_keeps_its_host_only() -> None:
    got = values(cognito_domain="https://login.acme.example/")
    assert got["acs_url"] == "https://login.acme.example/saml2/idpresponse"


def test_attribute_names_follow_the_preset_or_the_connection() -> None:
    assert values()["groups_attribute"] == PRESETS["entra"].groups_attribute
    got = values(preset="okta", groups_attribute="okta-groups")
    assert got["groups_attribute"] == "okta-groups"
    assert got["email_attribute"] == "email"


def test_relay_state_carries_the_authorize_parameters_when_idp_initiated() -> None:
    got = values(
        idp_initiated_url="https://app.example/sso/idp-initiated/acme/", identity_provider="acme-saml"
    )
    params = parse_qs(got["relay_state"])
    assert params == {
        "identity_provider": ["acme-saml"],
        "client_id": ["1example23456789"],
        "redirect_uri": ["https://app.example/sso/idp-initiated/acme/"],
        "response_type": ["code"],
        "scope": ["openid"],
    }


def test_certificates_appear_only_when_their_feature_is_on() -> None:
    got = values(sign_requests=True, signing_certificate_pem="-----BEGIN CERTIFICATE-----\nMIIB\n")
    assert got["signing_certificate"].startswith("-----BEGIN CERTIFICATE-----")
    got = values(encrypted_responses=True)
    assert "not known yet" in got["encryption_certificate"]


def test_single_logout_needs_cognitos_signing_certificate_at_the_idp() -> None:
    # Cognito signs its logout requests with the pool's signing certificate (AWS: SAML sign-out flow)
    assert "not known yet" in values(single_logout=True)["signing_certificate"]


def test_an_empty_roles_attribute_drops_the_presets_roles_line() -> None:
    assert values()["roles_attribute"] == "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
    assert "roles_attribute" not in values(roles_attribute="")

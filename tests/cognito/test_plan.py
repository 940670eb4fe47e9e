"""The plan, as pure data: naming, full-state updates, quotas (no AWS, no database)."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenant_sso.cognito.plan import (
    AppUrls,
    CurrentState,
    PoolRef,
    TenantSpec,
    Upstream,
    plan_onboarding,
    provider_name_for,
)
from tenant_sso.exceptions import ConfigurationError

# Cognito's ProviderName constraint (API reference, CreateIdentityProvider), 1-32 characters.
COGNITO_PROVIDER_NAME = re.compile(r"^[^_\s][\w\W][^_\s]+$")
POOL = PoolRef("us-east-1_Pool1", "us-east-1")
URLS = AppUrls(("https://app.test/api/oidc/cognito/callback/",), ("https://app.test/login/",))


@given(st.from_regex(r"\A[-a-zA-Z0-9_]{1,100}\Z"))
def test_every_slug_gets_a_valid_stable_provider_name(slug: str) -> None:
    name = provider_name_for(slug)
    assert 3 <= len(name) <= 32
    assert COGNITO_PROVIDER_NAME.match(name)
    assert "_" not in name  # cognito:username is <ProviderName>_<sub>
    assert provider_name_for(slug) == name


@pytest.mark.parametrize(
    ("slug", "expected"),
    [("acme", "acme"), ("globex-corp", "globex-corp"), ("Acme.EU", "Acme.EU")],
)
def test_a_valid_slug_is_its_own_provider_name(slug: str, expected: str) -> None:
    assert provider_name_for(slug) == expected


def test_names_that_would_clash_or_are_reserved_are_made_distinct() -> None:
    assert provider_name_for("a_b") != provider_name_for("a-b")
    assert provider_name_for("google").lower() != "google"
    long = "x" * 40
    assert provider_name_for(long) != provider_name_for(long + "y")


def _current(**overrides: Any) -> CurrentState:
    values: dict[str, Any] = {
        "custom_attributes": {"custom:groups": {"Mutable": True, "StringAttributeConstraints": {"MaxLength": "2048"}}},
        "domain": "tenants.auth.us-east-1.amazoncognito.com",
        "identity_provider": {
            "ProviderType": "OIDC",
            "ProviderDetails": {"client_id": "c", "client_secret": "s", "authorize_scopes": "openid email profile",
                                "oidc_issuer": "https://acme.okta.test", "attributes_request_method": "GET",
                                "jwks_uri": "https://acme.okta.test/keys"},
            "AttributeMapping": {"email": "email", "username": "sub", "custom:groups": "groups", "given_name": "given_name"},
            "IdpIdentifiers": ["acme.test"],
        },
        "client": None,
        "branding_id": None,
        "branding_checked": False,
        "connection": None,
        "org_domains": ("acme.test",),
    }
    values.update(overrides)
    return CurrentState(**values)


def test_an_app_client_update_sends_the_full_desired_state_and_keeps_unmanaged_fields() -> None:
    client = {
        "ClientId": "abc", "ClientName": "tenant-sso-acme", "ClientSecret": "cs",
        "CallbackURLs": ["https://app.test/api/oidc/cognito/callback/", "https://old.test/cb"],
        "LogoutURLs": ["https://app.test/login/"], "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid"],
        "AllowedOAuthFlowsUserPoolClient": True, "SupportedIdentityProviders": ["acme", "COGNITO"],
        "ReadAttributes": ["email", "email_verified", "custom:groups"], "WriteAttributes": ["email", "custom:groups"],
        "IdTokenValidity": 15, "TokenValidityUnits": {"IdToken": "minutes"}, "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
        "DefaultRedirectURI": "https://old.test/cb",
    }
    plan = plan_onboarding(TenantSpec("acme"), POOL, _current(client=client), URLS, managed_login_branding=False)

    [update] = [s for s in plan.steps if s.action == "update_user_pool_client"]
    assert {c.field for c in update.changes} == {"CallbackURLs", "SupportedIdentityProviders"}
    params = update.params
    assert params["CallbackURLs"] == ["https://app.test/api/oidc/cognito/callback/"]
    assert params["SupportedIdentityProviders"] == ["acme"]
    for key in ("LogoutURLs", "AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient",
                "ReadAttributes", "WriteAttributes", "ClientName"):
        assert key in params  # omitted would mean reset
    assert params["IdTokenValidity"] == 15 and params["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
    assert "DefaultRedirectURI" not in params  # no longer a callback URL: Cognito would refuse it


def test_an_identity_provider_update_keeps_other_mappings_and_auto_filled_details() -> None:
    upstream = Upstream("https://acme.okta.test", "c", "s")
    plan = plan_onboarding(TenantSpec("acme", upstream=upstream, roles_claim="roles"), POOL, _current(), URLS)
    [update] = [s for s in plan.steps if s.action == "update_identity_provider"]
    assert "ProviderDetails" not in update.params  # unchanged: not sent, discovery results kept
    assert update.params["AttributeMapping"] == {
        "email": "email", "username": "sub", "custom:groups": "groups", "custom:roles": "roles",
        "given_name": "given_name",
    }
    [attributes] = [s for s in plan.steps if s.action == "add_custom_attributes"]
    assert [a["Name"] for a in attributes.params["CustomAttributes"]] == ["roles"]  # groups exists already


def test_a_new_upstream_secret_is_applied_but_never_shown() -> None:
    upstream = Upstream("https://acme.okta.test", "c", "rotated")
    plan = plan_onboarding(TenantSpec("acme", upstream=upstream), POOL, _current(), URLS)
    [update] = [s for s in plan.steps if s.action == "update_identity_provider"]
    assert update.params["ProviderDetails"]["client_secret"] == "rotated"
    text = "\n".join(plan.describe())
    assert "client_secret: (secret) -> (new secret)" in text
    assert "rotated" not in text


def test_an_immutable_or_short_custom_attribute_is_reported() -> None:
    current = _current(custom_attributes={"custom:groups": {"Mutable": False, "StringAttributeConstraints": {"MaxLength": "256"}}})
    plan = plan_onboarding(TenantSpec("acme"), POOL, current, URLS)
    assert any("custom:groups exists with Mutable=False MaxLength=256" in note for note in plan.notes)


@pytest.mark.parametrize(
    ("domains", "code"),
    [([f"d{i}.test" for i in range(51)], "cognito_too_many_identifiers"),
     (["a" * 36 + ".test"], "cognito_identifier_too_long")],
)
def test_identifier_quotas_are_checked_before_any_call(domains: list[str], code: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        plan_onboarding(TenantSpec("acme", email_domains=tuple(domains)), POOL, _current(), URLS)
    assert caught.value.code == code


def test_without_boto3_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from tenant_sso.cognito.aws import default_client_factory

    monkeypatch.setitem(sys.modules, "boto3", None)  # what an install without the extra looks like
    with pytest.raises(ConfigurationError) as caught:
        default_client_factory("us-east-1")
    assert caught.value.code == "boto3_missing"
    assert caught.value.message == "boto3 missing: pip install 'tenant-sso[cognito]' to talk to Cognito."

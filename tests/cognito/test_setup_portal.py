"""The setup portal's Cognito route, end to end: an Okta-like customer connects through the
wizard, onboarding runs against moto's server (identity provider, app client), the test sign-in
goes through the pool's hosted domain (the local IdP, as in test_end_to_end.py), go-live, then a
user of that customer signs in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tenant_sso.models import Connection, OrganizationDomain, SetupState
from tests.support import setup as portal
from tests.support.driver import IdPBrowser, path_of, sso_login

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

USERS = [
    {"sub": "00u-alice", "email": "alice@acme.test", "email_verified": True, "groups": ["engineering"]},
    {"sub": "00u-bob", "email": "bob@acme.test", "email_verified": True, "groups": ["sales"]},
]



def test_okta_customer_through_cognito_from_link_to_live(
    client: Client, cognito_route: str, cognito: Any, pool: str, devidp_factory: Any, make_organization: Any,
    browser: IdPBrowser,
) -> None:
    acme = make_organization("acme", name="Acme Corp")
    okta = devidp_factory(portal.okta_config())  # the customer's Okta (checked live by the wizard)
    client.get(path_of(portal.new_link()))

    page = client.get(portal.url("provider", key="okta")).content.decode()
    assert f"https://{cognito_route}/oauth2/idpresponse" in page  # what Okta must redirect to

    applied = client.post(portal.url("provider", key="okta"), {**portal.values(okta.issuer), "action": "apply"})
    assert applied.status_code == 200, applied.content[:3000]
    text = applied.content.decode()
    assert "create_identity_provider" in text and "create_user_pool_client" in text  # the progress shown
    connection = Connection.objects.get(organization=acme)
    assert (connection.kind, connection.enabled) == ("cognito", False)
    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName=connection.identity_provider)
    assert idp["IdentityProvider"]["ProviderDetails"]["oidc_issuer"] == okta.issuer
    assert idp["IdentityProvider"]["ProviderDetails"]["client_id"] == "acme-portal"

    # Pressing the button again is idempotent: still one IdP, one app client, one connection.
    again = client.post(portal.url("provider", key="okta"), {**portal.values(okta.issuer), "action": "apply"})
    assert again.status_code == 200, again.content[:3000]
    assert Connection.objects.filter(organization=acme).count() == 1
    assert len(cognito.list_identity_providers(UserPoolId=pool)["Providers"]) == 1

    hosted = devidp_factory(portal.hosted_domain_config(cognito, pool, connection, USERS))
    Connection.objects.filter(pk=connection.pk).update(issuer=hosted.issuer, cognito_domain=hosted.base_url)

    answer = browser.authorize(client.post(portal.url("test"))["Location"], "alice@acme.test")
    back = client.get(path_of(answer.headers["location"]))
    assert back.status_code == 302, back.content[:500]
    assert "engineering" in client.get(portal.url("test")).content.decode()
    client.post(portal.url("policy"), {"group": ["engineering"], "allowed": ["engineering"]})
    OrganizationDomain.objects.create(organization=acme, domain="acme.test", verified_at="2026-01-01T00:00Z")
    assert client.post(portal.url("live")).status_code == 302
    assert SetupState.objects.get(organization=acme).live_at is not None

    signed_in = sso_login(Client(), IdPBrowser.new(), email="alice@acme.test", org="acme")
    assert signed_in.status_code == 302, signed_in.content[:500]
    assert sso_login(Client(), IdPBrowser.new(), email="bob@acme.test", org="acme").status_code == 403


def test_aws_errors_are_coded_messages(
    client: Client, cognito_route: str, cognito: Any, devidp_factory: Any, make_organization: Any,
) -> None:
    from tests.support.cognito import AwsErrors

    make_organization("acme", name="Acme Corp")
    okta = devidp_factory(portal.okta_config())
    cognito.meta.events.register(
        "before-call.cognito-idp.CreateIdentityProvider", AwsErrors("LimitExceededException", times=10)
    )
    client.get(path_of(portal.new_link()))
    answer = client.post(portal.url("provider", key="okta"), {**portal.values(okta.issuer), "action": "apply"})
    assert answer.status_code == 502
    assert b'id="form-error"' in answer.content
    assert b"(cognito_limit_exceeded)" in answer.content and b"TENANT_SSO_COGNITO_POOLS" not in answer.content
    assert not Connection.objects.filter(enabled=True).exists()

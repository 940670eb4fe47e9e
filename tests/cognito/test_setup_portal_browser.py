"""The setup wizard in Chromium, Cognito route: an Okta-like customer (the local IdP) connects
through the wizard, onboarding runs against moto's server, the test sign-in goes through the
pool's hosted domain (the local IdP again, configured from what onboarding created), go-live,
then a user signs in. The domain is marked verified in the database here: its DNS proof in a
browser is tests/browser/test_setup_portal.py's."""

from __future__ import annotations

from typing import Any

import pytest

from tenant_sso.models import Connection, OrganizationDomain
from tests.support import setup as portal

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

USERS = [{"sub": "00u-alice", "email": "alice@acme.test", "email_verified": True, "groups": ["engineering"]}]


def test_okta_through_cognito_in_a_browser(
    page: Any, chromium: Any, live_server: Any, settings: Any, cognito_route: str, pool: str, cognito: Any,
    devidp_factory: Any, make_organization: Any, shot: Any,
) -> None:
    app = live_server.url
    domain = cognito_route.split(".", 1)[0]
    settings.TENANT_SSO_COGNITO_CALLBACK_URL = f"{app}/api/oidc/cognito/callback/"
    settings.TENANT_SSO_COGNITO_LOGOUT_URLS = [f"{app}/login/?logged_out=1"]
    acme = make_organization("acme", name="Acme Corp")
    okta = devidp_factory(portal.okta_config(app))

    page.goto(app + portal.new_link("acme"))
    page.click("#choose-okta")
    assert f"https://{domain}.auth.us-east-1.amazoncognito.com/oauth2/idpresponse" in page.inner_text("#instructions")
    shot(page, "setup-cognito-1-instructions")
    page.fill("#id_issuer", okta.issuer)
    page.fill("#id_client_id", "acme-portal")
    page.fill("#id_client_secret", "acme-portal-secret")
    page.click("#apply")
    page.wait_for_selector("#applied")
    assert "create_identity_provider" in page.inner_text("#apply-steps")
    shot(page, "setup-cognito-2-applied")

    connection = Connection.objects.get(organization=acme)
    hosted = devidp_factory(portal.hosted_domain_config(cognito, pool, connection, USERS))
    Connection.objects.filter(pk=connection.pk).update(issuer=hosted.issuer, cognito_domain=hosted.base_url)

    page.click("#to-test")
    page.click("#start-test")
    page.click("button[value='alice@acme.test']")
    page.wait_for_selector("#groups")
    page.check("input[name=allowed][value=engineering]")
    page.click("#save-groups")
    page.wait_for_selector("#decision.ok")
    OrganizationDomain.objects.create(organization=acme, domain="acme.test", verified_at="2026-01-01T00:00Z")
    page.click("text=Overview")
    page.click("#go-live")
    page.wait_for_selector("#live")

    user = chromium.new_context().new_page()
    try:
        user.goto(f"{app}/login/")
        user.fill("#email", "alice@acme.test")
        user.click("#continue")
        user.click("button[value='alice@acme.test']")
        user.wait_for_selector("#organization")
        assert user.inner_text("#organization") == "acme"
    finally:
        user.context.close()

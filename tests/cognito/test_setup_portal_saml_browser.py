"""The SAML choices of the setup wizard in Chromium, Cognito route, up to apply: an ADFS customer
copies the values to paste (Copy buttons), pastes an expired metadata document (refused in place
by the JavaScript check, with its code), then a good one, and applies against moto's server."""

from __future__ import annotations

from typing import Any

import pytest

from tenant_sso.models import Connection, SAMLUpstream
from tests.support import setup as portal
from tests.support.saml import adfs_metadata, expired_certificate, now_utc, valid_certificate

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_adfs_through_cognito_in_a_browser(
    page: Any, live_server: Any, settings: Any, cognito_route: str, pool: str, cognito: Any,
    make_organization: Any, shot: Any,
) -> None:
    app = live_server.url
    host = cognito_route
    settings.TENANT_SSO_COGNITO_CALLBACK_URL = f"{app}/api/oidc/cognito/callback/"
    settings.TENANT_SSO_COGNITO_LOGOUT_URLS = [f"{app}/login/?logged_out=1"]
    acme = make_organization("acme", name="Acme Corp")

    page.goto(app + portal.new_link("acme"))
    page.click("#choose-adfs")
    instructions = page.inner_text("#instructions")
    assert f"https://{host}/saml2/idpresponse" in instructions
    assert f"urn:amazon:cognito:sp:{pool}" in instructions
    assert page.locator("#instructions button.copy").count() >= 5  # visible with JavaScript
    shot(page, "setup-saml-1-instructions")

    page.fill("#id_metadata_xml", adfs_metadata([expired_certificate(now_utc())]).decode())
    page.click("#check")
    page.wait_for_selector("#checks li.error")
    assert "saml_metadata_certificate_expired" in page.inner_text("#checks")
    shot(page, "setup-saml-2-certificate-expired")
    assert not Connection.objects.exists()

    page.fill("#id_metadata_xml", adfs_metadata([valid_certificate(now_utc())]).decode())
    page.click("#apply")
    page.wait_for_selector("#applied")
    assert "create_identity_provider" in page.inner_text("#apply-steps")
    shot(page, "setup-saml-3-applied")
    connection = Connection.objects.get(organization=acme)
    assert SAMLUpstream.objects.filter(connection=connection, preset="adfs").exists()
    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName=connection.identity_provider)
    assert idp["IdentityProvider"]["ProviderType"] == "SAML"

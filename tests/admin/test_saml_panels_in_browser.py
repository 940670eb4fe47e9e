"""The SAML panel's copy buttons in a real browser (Playwright + Debian's Chromium): what the
operator copies is exactly the value the customer's IdP needs."""

from __future__ import annotations

from typing import Any

import pytest

from tenant_sso.saml.metadata import parse_metadata
from tenant_sso.saml_store import record_upstream
from tests.support.saml import now_utc, okta_metadata, valid_certificate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_copy_buttons_put_the_values_on_the_clipboard(
    live_server: Any, chromium: Any, admin_user: Any, make_connection: Any, shot: Any
) -> None:
    connection = make_connection(
        "acme", issuer="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz",
        cognito_domain="acme.auth.eu-west-1.amazoncognito.com",
    )
    now = now_utc()
    metadata = parse_metadata(okta_metadata([valid_certificate(now, days_left=12)]), now=now)
    record_upstream(connection, metadata=metadata, preset="okta")

    app = str(live_server.url)
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app)
    page = context.new_page()
    try:
        page.goto(f"{app}/admin/login/?next=/admin/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "password")
        page.click("input[type=submit]")
        page.wait_for_selector("#site-name")
        page.goto(f"{app}/admin/tenant_sso/connection/{connection.pk}/change/")

        for key, expected in [
            ("acs_url", "https://acme.auth.eu-west-1.amazoncognito.com/saml2/idpresponse"),
            ("sp_entity_id", "urn:amazon:cognito:sp:eu-west-1_AbC123xyz"),
        ]:
            button = page.locator(f'button.sso-copy[data-copy="sso-sp-{key}"]')
            button.click()
            page.wait_for_function("b => b.textContent === 'Copied'", arg=button.element_handle())
            assert page.evaluate("navigator.clipboard.readText()") == expected
        button = page.locator('button.sso-copy[data-copy="sso-sp-groups_attribute"]')
        button.click()
        page.wait_for_function("b => b.textContent === 'Copied'", arg=button.element_handle())
        assert page.evaluate("navigator.clipboard.readText()") == "groups"
        assert page.locator("#sso-expiry .sso-expiry-warned").count() == 1
        page.locator("#sso-saml").scroll_into_view_if_needed()
        shot(page, "admin-saml-values")
    finally:
        context.close()

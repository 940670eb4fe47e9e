"""The setup wizard in Chromium, direct OIDC route: an IT admin opens the link, follows the Okta
instructions, checks the values live (JavaScript), applies, signs in once as a test, picks the
allowed group from the groups seen, proves the email domain against a real DNS server, goes live;
then a user of that customer signs in. Screenshots for docs/setup-portal.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from tenant_sso.models import Connection, SetupState
from tests.support.dns import DNSTestServer
from tests.support.setup import new_link, okta_config

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dns() -> Iterator[DNSTestServer]:
    with DNSTestServer() as server, override_settings(
        TENANT_SSO_DNS_RESOLVERS=[server.address], TENANT_SSO_DNS_TIMEOUT=1.0
    ):
        yield server


def test_okta_customer_from_link_to_live_in_a_browser(
    page: Any, chromium: Any, live_server: Any, devidp_factory: Any, make_organization: Any, dns: DNSTestServer,
    shot: Any,
) -> None:
    app = live_server.url
    okta = devidp_factory(okta_config(app))
    make_organization("acme", name="Acme Corp")

    page.goto(app + new_link("acme"))
    assert "/setup/link/" not in page.url  # the secret left the address bar
    page.wait_for_selector("#progress")
    shot(page, "setup-1-overview")

    page.click("#choose-okta")
    page.wait_for_selector("#instructions")
    assert page.is_visible("button[data-copy]")  # copy buttons, with JavaScript
    assert f"{app}/api/oidc/cognito/callback/acme/" in page.inner_text("#instructions")
    page.fill("#id_issuer", okta.issuer)
    page.fill("#id_client_id", "acme-portal")
    page.fill("#id_client_secret", "wrong-secret")
    page.click("#check")
    page.wait_for_selector("#checks li.error")
    assert "invalid_client" in page.inner_text("#checks")
    shot(page, "setup-2-check-failed")
    page.fill("#id_client_secret", "acme-portal-secret")
    page.click("#check")
    page.wait_for_function("document.querySelectorAll('#checks li.ok').length === 3")
    shot(page, "setup-3-check-passed")
    page.click("#apply")
    page.wait_for_selector("#applied")
    assert not Connection.objects.get().enabled

    page.click("#to-test")
    page.click("#start-test")
    page.wait_for_selector("text=Sign in to AcmeOkta")
    page.click("button[value='alice@acme.test']")
    page.wait_for_selector("#claims")
    assert "engineering" in page.inner_text("#groups")
    page.check("input[name=allowed][value=engineering]")
    page.click("#save-groups")
    page.wait_for_selector("#decision.ok")
    shot(page, "setup-4-test-sign-in")

    page.click("text=Domains")
    page.fill("#id_domain", "acme.test")
    page.click("#claim")
    page.wait_for_selector("#domains")
    record = page.inner_text("#domains")
    name = re.search(r"_tenant-sso\.acme\.test", record)
    value = re.search(r"tenant-sso-verification=[A-Za-z0-9_-]+", record)
    assert name and value
    dns.zone("acme.test", txt={name.group(0): [value.group(0)]})
    shot(page, "setup-5-domains")
    page.click("#verify-acme\\.test")
    page.wait_for_selector("#domains .ok")

    page.click("text=Overview")
    page.click("#go-live")
    page.wait_for_selector("#live")
    shot(page, "setup-6-live")
    assert Connection.objects.get().enabled
    assert SetupState.objects.get().live_at is not None

    user = chromium.new_context().new_page()
    try:
        user.goto(f"{app}/login/")
        user.fill("#email", "alice@acme.test")
        user.click("#continue")
        user.wait_for_selector("text=Sign in to AcmeOkta")
        user.click("button[value='alice@acme.test']")
        user.wait_for_selector("#organization")
        assert user.inner_text("#organization") == "acme"
    finally:
        user.context.close()


def test_refused_links_in_a_browser(page: Any, live_server: Any, make_organization: Any, shot: Any) -> None:
    make_organization("acme", name="Acme Corp")
    link = new_link("acme")
    head, token = link.rstrip("/").rsplit("/", 1)
    page.goto(f"{live_server.url}{head}/{token[:-2]}xx/")
    assert page.inner_text("#reason") == "setup_link_invalid"
    shot(page, "setup-0-link-refused")


def test_the_wizard_works_without_javascript(
    chromium: Any, live_server: Any, devidp_factory: Any, make_organization: Any
) -> None:
    app = live_server.url
    okta = devidp_factory(okta_config(app))
    make_organization("acme", name="Acme Corp")
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(app + new_link("acme"))
        page.click("#choose-okta")
        assert not page.is_visible("button[data-copy]")  # copy buttons need JavaScript: hidden
        page.fill("#id_issuer", okta.issuer)
        page.fill("#id_client_id", "acme-portal")
        page.fill("#id_client_secret", "acme-portal-secret")
        page.click("#check")  # a plain form post without JavaScript
        page.wait_for_selector("#checks")
        assert page.locator("#checks li.ok").count() == 3
        assert page.input_value("#id_client_secret") == ""  # a secret is never sent back to the page
        page.fill("#id_client_secret", "acme-portal-secret")
        page.click("#apply")
        page.wait_for_selector("#applied")
    finally:
        context.close()

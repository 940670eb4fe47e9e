"""The demo's flow in a real browser: work email -> identity provider -> home page -> logout."""

from __future__ import annotations

from typing import Any

import pytest

from example_project import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_site(live_server: Any, devidp_factory: Any) -> str:
    app_url = live_server.url
    server = devidp_factory(demo.idp_config(app_url))
    demo.seed(server.issuer, server.base_url, app_url)
    return str(app_url)


def sign_in(page: Any, app_url: str, email: str) -> None:
    page.goto(f"{app_url}/login/")
    page.fill("#email", email)
    page.click("#continue")


def test_allowed_user_signs_in_sees_groups_and_logs_out(page: Any, demo_site: str, shot: Any) -> None:
    sign_in(page, demo_site, "alice@acme.test")
    page.wait_for_selector("text=Sign in to AcmeOkta")
    shot(page, "flow-2-identity-provider")
    page.click("button[value='alice@acme.test']")
    page.wait_for_selector("#organization")
    assert page.url == f"{demo_site}/"
    assert page.inner_text("#organization") == "acme"
    assert page.inner_text("#idp-groups") == "engineering, sso-admins"
    assert page.inner_text("#django-groups") == "Administrators, Engineers"
    shot(page, "flow-3-home")

    page.click("#logout")
    page.wait_for_selector("#logged-out")
    assert page.url.startswith(f"{demo_site}/login/")
    shot(page, "flow-4-logged-out")
    assert page.request.get(f"{demo_site}/api/me/").status == 401

    # The identity provider's session ended too: the next login asks who you are again.
    sign_in(page, demo_site, "alice@acme.test")
    page.wait_for_selector("text=Sign in to AcmeOkta")
    assert page.is_visible("button[value='alice@acme.test']")


def test_login_page(page: Any, demo_site: str, shot: Any) -> None:
    page.goto(f"{demo_site}/login/")
    page.fill("#email", "carol@globex.test")
    shot(page, "flow-1-login")
    page.click("#continue")
    page.wait_for_selector("text=Sign in to GlobexEntra")
    page.click("button[value='carol@globex.test']")
    page.wait_for_selector("#organization")
    assert page.inner_text("#organization") == "globex"
    assert page.inner_text("#django-groups") == "Administrators, Engineers"


def test_user_outside_allowed_groups_sees_denial_page(page: Any, demo_site: str, shot: Any) -> None:
    sign_in(page, demo_site, "bob@acme.test")
    page.wait_for_selector("text=Sign in to AcmeOkta")
    page.click("button[value='bob@acme.test']")
    page.wait_for_selector("#sso-error-code")
    assert page.inner_text("#sso-error-code") == "not_in_allowed_group"
    assert "not in a group" in page.inner_text("#sso-error-message")
    shot(page, "flow-5-denied")
    assert page.get_attribute("#sso-error-retry", "href") == "/login/"
    assert page.request.get(f"{demo_site}/api/me/").status == 401

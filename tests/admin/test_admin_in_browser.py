"""The admin control panel in a real browser (Playwright + Debian's Chromium) against a live server
and the local identity provider: the pages support staff use, and their screenshots.

Screenshots (the ``shot`` fixture of tests/browser/conftest.py) are referenced by docs/admin.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tenant_sso.models import Connection, LoginEvent
from tests.support import urls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def site(live_server: Any, tenants: Any, idp: Any, admin_user: Any, settings: Any) -> dict[str, Any]:
    """acme deployed at the live server's URL, registered at the identity provider; some history."""
    app = str(live_server.url)
    settings.TENANT_SSO_BASE_URL = ""
    for client_id in ("acme-client", "globex-client"):
        idp.idp.add_callback_url(client_id, urls.callback_url(app))
        idp.idp.add_logout_url(client_id, f"{app}/login/?logged_out=1")
    for connection in tenants.values():
        connection.logout_redirect_url = f"{app}/login/?logged_out=1"
        connection.save()
    acme, globex = tenants["acme"], tenants["globex"]
    now = timezone.now()
    history = [
        (acme, "success", "", "alice@acme.test", timedelta(hours=26), {}),
        (acme, "denied", "not_in_allowed_group", "bob@acme.test", timedelta(hours=5), {"detail": "1 group, none allowed"}),
        (acme, "denied", "not_in_allowed_group", "bob@acme.test", timedelta(hours=4), {"detail": "1 group, none allowed"}),
        (acme, "denied", "groups_missing", "nogroups@acme.test", timedelta(hours=2), {"detail": "groups claim missing or empty"}),
        (acme, "success", "", "alice@acme.test", timedelta(minutes=40), {}),
        (globex, "success", "", "carol@globex.test", timedelta(minutes=20), {}),
        (globex, "error", "token_exchange_failed", "", timedelta(minutes=10), {"detail": "token endpoint HTTP 400: error='invalid_client'"}),
    ]
    for connection, outcome, reason, email, age, detail in history:
        row = LoginEvent.objects.create(
            connection=connection, organization=connection.organization, outcome=outcome, reason=reason,
            email=email, subject=f"{email.split('@')[0]}-sub" if email else "", ip_address="192.0.2.10", detail=detail,
        )
        LoginEvent.objects.filter(pk=row.pk).update(created_at=now - age)
    return {"app": app, "acme": acme, "globex": globex}


def sign_in_to_admin(page: Any, app: str) -> None:
    page.goto(f"{app}/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.goto(f"{app}/admin/tenant_sso/organization/")
    page.click("#toggle-nav-sidebar")  # more room for the tables (remembered by the browser)


def test_support_staff_check_a_customer_in_the_admin(page: Any, site: dict[str, Any], shot: Any) -> None:
    app, acme = site["app"], site["acme"]
    sign_in_to_admin(page, app)

    page.goto(f"{app}/admin/tenant_sso/organization/")
    assert "acme.test" in page.inner_text("#result_list")
    assert "AWS, enabled" in page.inner_text("#result_list")
    shot(page, "admin-organizations")

    page.click("text=Acme Corp")
    page.wait_for_selector(".sso-connection-inline")
    assert page.input_value("textarea[name$='-allowed_groups']") == "engineering\nsso-admins"
    assert page.inner_text(".sso-connection-inline .sso-secret-state") == "set"
    assert page.input_value("input[name$='-client_secret']") == ""
    page.evaluate("window.scrollTo(0, document.querySelector('#connections-group').offsetTop - 260)")
    shot(page, "admin-organization")

    page.click("a.sso-open-connection")
    page.wait_for_selector("#sso-test-connection")
    page.click("#sso-test-connection")
    page.wait_for_selector("#sso-diagnostics")
    statuses = page.eval_on_selector_all("#sso-diagnostics tr.sso-check", "rows => rows.map(r => r.dataset.status)")
    assert statuses == ["passed"] * 6
    assert page.inner_text("#sso-refusal-count") == "3"
    shot(page, "admin-connection-test")

    # A wrong secret: the token endpoint check says so, the others still pass.
    wrong = Connection.objects.get(pk=acme.pk)
    wrong.set_client_secret("wrong")
    wrong.save()
    page.click("#sso-test-connection")
    page.wait_for_selector("tr[data-check='Token endpoint (client ID and secret)'][data-status='failed']")
    assert "invalid_client" in page.inner_text("tr[data-check='Token endpoint (client ID and secret)']")
    shot(page, "admin-connection-test-failed")
    wrong.set_client_secret("acme-secret")
    wrong.save()

    # Try login: sign in at the identity provider as alice; the result is shown to this admin only.
    page.click("#sso-try-login")
    page.wait_for_selector("button[value='alice@acme.test']")
    page.click("button[value='alice@acme.test']")
    page.wait_for_selector("#test-decision")
    assert page.inner_text("#test-decision") == "allowed"
    assert "engineering" in page.inner_text("#test-groups")
    shot(page, "admin-try-login")
    page.click("#test-back")  # still signed in as the admin
    page.wait_for_selector("#sso-test-connection")

    page.goto(f"{app}/admin/tenant_sso/loginevent/")
    table = page.inner_text("#result_list")
    assert "not_in_allowed_group" in table and "test login" in table
    shot(page, "admin-login-events")
    page.goto(f"{app}/admin/tenant_sso/loginevent/?outcome=denied")
    assert "alice@acme.test" not in page.inner_text("#result_list")


def test_denied_try_login_is_shown_as_a_decision(page: Any, site: dict[str, Any], shot: Any) -> None:
    app, acme = site["app"], site["acme"]
    sign_in_to_admin(page, app)
    page.goto(f"{app}/admin/tenant_sso/connection/{acme.pk}/change/")
    page.click("#sso-try-login")
    page.click("button[value='bob@acme.test']")
    page.wait_for_selector("#test-decision")
    assert page.inner_text("#test-decision") == "denied"
    assert page.inner_text("#test-reason") == "not_in_allowed_group"
    shot(page, "admin-try-login-denied")


LISTS = ["organization", "connection", "loginevent", "federatedidentity"]


@pytest.mark.parametrize("model", LISTS)
def test_admin_lists_fit_1280_pixels_without_cut_columns(page: Any, site: dict[str, Any], shot: Any, model: str) -> None:
    """At 1280 px with the navigation sidebar open (the default), every column of every list is
    visible: no horizontal scrolling of the page or of the results table."""
    from django.contrib.auth import get_user_model

    from tenant_sso.models import FederatedIdentity

    acme = site["acme"]
    long_email = "firstname.lastname-contractor@subsidiary.acme-international.test"
    for index in range(3):
        user = get_user_model().objects.create_user(f"sso-user-{index}-{long_email}"[:150], email=long_email)
        FederatedIdentity.objects.create(
            user=user, connection=acme, issuer=acme.issuer, subject=f"00u1{index}abcdefghijklmnopqrstuvwxyz0123456789",
            email=long_email,
        )
        LoginEvent.objects.create(
            connection=acme, organization=acme.organization, outcome="denied", reason="not_in_allowed_group",
            email=long_email, subject="00u1abcdefghijklmnopqrstuvwxyz", ip_address="2001:db8:85a3::8a2e:370:7334",
            user_agent="Mozilla/5.0 " * 20,
        )
    page.goto(f"{site['app']}/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.goto(f"{site['app']}/admin/tenant_sso/{model}/")
    page.wait_for_selector("#result_list")
    widths = page.evaluate(
        """() => {
            const results = document.querySelector('.results');
            return {page: document.documentElement.scrollWidth, view: window.innerWidth,
                    table: results.scrollWidth, box: results.clientWidth};
        }"""
    )
    if model == "connection":
        shot(page, "admin-connections")  # docs/admin.md
    assert widths["view"] == 1280
    assert widths["page"] <= widths["view"], widths
    assert widths["table"] <= widths["box"], widths

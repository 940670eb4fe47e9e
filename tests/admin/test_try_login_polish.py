"""Try login as an operator uses it: another test user each time (prompt=login), and a connection
whose Cognito domain cannot be reached reported on the connection page, not in a dead browser tab."""

from __future__ import annotations

from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.urls import reverse

from tenant_sso.models import Connection, LoginEvent
from tests.support.driver import path_of
from tests.support.stubs import closed_port


def try_url(connection: Connection) -> str:
    return reverse("admin:tenant_sso_connection_try_login", args=[connection.pk])


def change_url(connection: Connection) -> str:
    return reverse("admin:tenant_sso_connection_change", args=[connection.pk])


def test_try_login_asks_the_idp_to_sign_in_again_so_another_user_can_be_tried(
    admin_client: Any, tenants: Any, browser: Any
) -> None:
    acme = tenants["acme"]
    first = admin_client.post(try_url(acme))
    assert parse_qs(urlsplit(first["Location"]).query)["prompt"] == ["login"]
    answer = browser.authorize(first["Location"], "alice@acme.test")
    assert 'id="test-decision">allowed' in admin_client.get(path_of(answer.headers["location"])).content.decode()

    # The same browser still has alice's session at the IdP; Try login shows the login page again.
    second = admin_client.post(try_url(acme))
    answer = browser.authorize(second["Location"], "bob@acme.test")
    html = admin_client.get(path_of(answer.headers["location"])).content.decode()
    assert "bob@acme.test" in html and 'id="test-decision">denied' in html
    assert [e.email for e in LoginEvent.objects.order_by("created_at")] == ["alice@acme.test", "bob@acme.test"]


def test_an_unreachable_cognito_domain_is_reported_on_the_connection_page(admin_client: Any, tenants: Any) -> None:
    acme = tenants["acme"]
    Connection.objects.filter(pk=acme.pk).update(cognito_domain=f"http://127.0.0.1:{closed_port()}")
    response = admin_client.post(try_url(acme))
    assert response.status_code == 302 and response["Location"] == change_url(acme)  # not to the dead host
    page = unescape(admin_client.get(change_url(acme)).content.decode())
    assert "The test login could not start: Could not connect to 127.0.0.1:" in page
    assert "authorize_unreachable" in page

"""The connection page's buttons, through Django's test client, against the local identity
provider over real HTTP: "Test connection" (tenant_sso.diagnostics) and "Try login" (test mode)."""

from __future__ import annotations

import re
import socket
from html import unescape
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tenant_sso.models import Connection, FederatedIdentity, LoginEvent
from tests.support import urls
from tests.support.driver import path_of, post_start

pytestmark = pytest.mark.django_db

APP = "http://127.0.0.1:8000"
LOOPBACK_SIGNOUT = f"{APP}/login/?logged_out=1"


def checks_url(connection: Connection) -> str:
    return reverse("admin:tenant_sso_connection_test", args=[connection.pk])


def try_url(connection: Connection) -> str:
    return reverse("admin:tenant_sso_connection_try_login", args=[connection.pk])


def change_url(connection: Connection) -> str:
    return reverse("admin:tenant_sso_connection_change", args=[connection.pk])


def checks_on_page(html: str) -> dict[str, tuple[str, str]]:
    """{check name: (status, reason)} as shown in the results table of the change page."""
    rows = re.findall(
        r'data-check="([^"]+)" data-status="(\w+)">.*?<td><span[^>]*>\w+</span></td>\s*<td>(.*?)</td>', html, re.S
    )
    return {unescape(name): (status, unescape(reason)) for name, status, reason in rows}


def run_test_connection(client: Any, connection: Connection) -> dict[str, tuple[str, str]]:
    response = client.post(checks_url(connection))
    assert response.status_code == 302 and response["Location"] == change_url(connection)
    page = client.get(change_url(connection))
    assert page.status_code == 200
    return checks_on_page(page.content.decode())


@pytest.fixture
def loopback_app(settings: Any, tenants: Any, idp: Any) -> Connection:
    """acme, as deployed on http://127.0.0.1:8000 with its callback and sign-out URLs registered."""
    settings.TENANT_SSO_BASE_URL = APP
    idp.idp.add_callback_url("acme-client", urls.callback_url(APP))
    idp.idp.add_logout_url("acme-client", LOOPBACK_SIGNOUT)
    acme: Connection = tenants["acme"]
    acme.logout_redirect_url = LOOPBACK_SIGNOUT
    acme.save()
    return acme


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- Test connection -------------------------------------------------------------------------------
def test_every_check_passes_for_a_correct_connection(admin_client: Any, loopback_app: Connection) -> None:
    checks = run_test_connection(admin_client, loopback_app)
    assert list(checks) == [
        "Client secret",
        "User pool",
        "Signing keys (JWKS)",
        "Token endpoint (client ID and secret)",
        "Authorization request (redirect URI)",
        "Sign-out URL",
    ]
    assert {name: status for name, (status, _) in checks.items()} == dict.fromkeys(checks, "passed")
    assert "invalid_grant" in checks["Token endpoint (client ID and secret)"][1]
    assert "acme-secret" not in admin_client.get(change_url(loopback_app)).content.decode()


def test_wrong_secret_fails_the_token_endpoint_check_with_a_clear_reason(
    admin_client: Any, loopback_app: Connection
) -> None:
    loopback_app.set_client_secret("not-the-secret")
    loopback_app.save()
    checks = run_test_connection(admin_client, loopback_app)
    status, reason = checks["Token endpoint (client ID and secret)"]
    assert status == "failed"
    assert "invalid_client" in reason and "client secret or client ID is wrong" in reason
    assert checks["User pool"][0] == "passed" and checks["Authorization request (redirect URI)"][0] == "passed"


def test_unreachable_issuer_fails_without_a_server_error(admin_client: Any, loopback_app: Connection) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    Connection.objects.filter(pk=loopback_app.pk).update(issuer=f"{dead}/us-east-1_TestPool1", cognito_domain=dead)
    loopback_app.refresh_from_db()
    checks = run_test_connection(admin_client, loopback_app)
    assert checks["User pool"][0] == "failed" and "Could not connect" in checks["User pool"][1]
    assert checks["Token endpoint (client ID and secret)"][0] == "failed"
    assert checks["Signing keys (JWKS)"][0] == "skipped"
    assert checks["Authorization request (redirect URI)"][0] == "skipped"


def test_wrong_pool_id_is_reported_as_no_user_pool(admin_client: Any, loopback_app: Connection, idp: Any) -> None:
    Connection.objects.filter(pk=loopback_app.pk).update(issuer=f"{idp.base_url}/us-east-1_NoSuchPool")
    loopback_app.refresh_from_db()
    status, reason = run_test_connection(admin_client, loopback_app)["User pool"]
    assert status == "failed"
    assert "no user pool at this issuer" in reason


def test_unregistered_callback_and_signout_urls_say_where_to_add_them(
    admin_client: Any, settings: Any, tenants: Any
) -> None:
    settings.TENANT_SSO_BASE_URL = "http://localhost:8123"
    acme = tenants["acme"]
    acme.logout_redirect_url = "http://localhost:8123/bye/"
    acme.save()
    checks = run_test_connection(admin_client, acme)
    status, reason = checks["Authorization request (redirect URI)"]
    assert status == "failed"
    assert urls.callback_url("http://localhost:8123") in reason and "Allowed callback URLs" in reason
    status, reason = checks["Sign-out URL"]
    assert status == "failed" and "Allowed sign-out URLs" in reason
    assert checks["Token endpoint (client ID and secret)"][0] == "passed"


def test_plain_http_redirect_uri_is_refused_by_shape(admin_client: Any, tenants: Any) -> None:
    # Django's test client is http://testserver: not https, not loopback.
    status, reason = run_test_connection(admin_client, tenants["acme"])["Authorization request (redirect URI)"]
    assert status == "failed" and "is not https" in reason and "TENANT_SSO_BASE_URL" in reason


def test_oidc_connection_is_checked_through_discovery(admin_client: Any, loopback_app: Connection) -> None:
    # The devidp's discovery document names the pool issuer: a plain OIDC connection to it works.
    Connection.objects.filter(pk=loopback_app.pk).update(kind=Connection.Kind.OIDC)
    loopback_app.refresh_from_db()
    checks = run_test_connection(admin_client, loopback_app)
    assert checks["Discovery"][0] == "passed"
    assert checks["Token endpoint (client ID and secret)"][0] == "passed"
    assert checks["Sign-out URL"][0] == "passed"


def test_buttons_are_post_only_and_csrf_protected(loopback_app: Connection, admin_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.get(checks_url(loopback_app)).status_code == 405
    assert client.post(checks_url(loopback_app)).status_code == 403  # no CSRF token
    assert client.post(try_url(loopback_app)).status_code == 403
    page = client.get(change_url(loopback_app)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    assert client.post(checks_url(loopback_app), {"csrfmiddlewaretoken": token[1]}).status_code == 302


def test_buttons_need_the_change_permission(loopback_app: Connection, client: Any) -> None:
    viewer = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_connection"))
    client.force_login(viewer)
    page = client.get(change_url(loopback_app))
    assert page.status_code == 200 and b"sso-test-connection" not in page.content
    assert client.post(checks_url(loopback_app)).status_code == 403
    assert client.post(try_url(loopback_app)).status_code == 403
    anonymous = Client()
    assert anonymous.post(checks_url(loopback_app)).status_code == 302  # to the admin login
    assert "/admin/login/" in anonymous.post(try_url(loopback_app))["Location"]


# -- Try login -------------------------------------------------------------------------------------
def start_try_login(client: Any, connection: Connection) -> str:
    response = client.post(try_url(connection))
    assert response.status_code == 302, response.content[:300]
    return str(response["Location"])


def test_try_login_shows_claims_groups_and_allowed_decision_without_a_session(
    admin_client: Any, admin_user: Any, tenants: Any, browser: Any
) -> None:
    acme = tenants["acme"]
    answer = browser.authorize(start_try_login(admin_client, acme), "alice@acme.test")
    page = admin_client.get(path_of(answer.headers["location"]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="test-decision">allowed' in html
    assert "alice@acme.test" in html and "engineering" in html
    assert change_url(acme) in html  # back to the connection
    # The staff user is still themselves, and nobody else got an account or a session.
    assert int(admin_client.session["_auth_user_id"]) == admin_user.pk
    assert admin_client.get("/admin/").status_code == 200
    assert not FederatedIdentity.objects.exists()
    assert not get_user_model().objects.filter(email="alice@acme.test").exists()
    event = LoginEvent.objects.get()
    assert event.outcome == LoginEvent.Outcome.TEST and event.connection == acme and event.reason == ""


def test_try_login_shows_a_denial_as_a_decision(admin_client: Any, tenants: Any, browser: Any) -> None:
    answer = browser.authorize(start_try_login(admin_client, tenants["acme"]), "bob@acme.test")
    page = admin_client.get(path_of(answer.headers["location"]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="test-decision">denied' in html and "not_in_allowed_group" in html
    assert LoginEvent.objects.get().reason == "not_in_allowed_group"


def test_try_login_result_is_shown_only_to_the_staff_user_who_started_it(
    admin_client: Any, tenants: Any, browser: Any
) -> None:
    callback = path_of(browser.authorize(start_try_login(admin_client, tenants["acme"]), "alice@acme.test").headers["location"])
    other_staff = get_user_model().objects.create_superuser("other", "other@example.com", "pw")
    anonymous, colleague = Client(), Client()
    colleague.force_login(other_staff)
    for stranger in (anonymous, colleague):
        response = stranger.get(callback)
        html = response.content.decode()
        assert response.status_code == 400 and "state_unknown" in html
        assert "alice@acme.test" not in html and "test-decision" not in html
        assert stranger.session.get("_auth_user_id") in (None, str(other_staff.pk))
    # The attempt was not consumed by the strangers' requests: the admin still gets the result.
    assert 'id="test-decision">allowed' in admin_client.get(callback).content.decode()


def test_a_disabled_connection_can_be_tried_before_it_is_enabled(
    admin_client: Any, tenants: Any, browser: Any, client: Any
) -> None:
    """A replacement connection is tested while the old one still serves; it admits nobody yet."""
    acme = tenants["acme"]
    Connection.objects.filter(pk=acme.pk).update(enabled=False)
    callback = path_of(browser.authorize(start_try_login(admin_client, acme), "alice@acme.test").headers["location"])
    assert 'id="test-decision">allowed' in admin_client.get(callback).content.decode()
    assert not FederatedIdentity.objects.exists()
    start = post_start(client, "acme")
    assert start.status_code == 404 and b"unknown_organization" in start.content


def test_try_login_with_an_unreachable_provider_shows_a_message(admin_client: Any, tenants: Any) -> None:
    acme = tenants["acme"]
    Connection.objects.filter(pk=acme.pk).update(kind=Connection.Kind.OIDC, issuer=f"http://127.0.0.1:{closed_port()}")
    response = admin_client.post(try_url(acme), follow=True)
    assert response.status_code == 200
    assert "The test login could not start" in response.content.decode()


def test_results_belong_to_their_connection(admin_client: Any, loopback_app: Connection, tenants: Any) -> None:
    run_test_connection(admin_client, loopback_app)
    globex_page = admin_client.get(change_url(tenants["globex"])).content.decode()
    assert 'id="sso-diagnostics"' not in globex_page
    assert checks_on_page(admin_client.get(change_url(loopback_app)).content.decode())  # still shown for acme


def test_an_unknown_identity_provider_name_is_reported(admin_client: Any, loopback_app: Connection) -> None:
    Connection.objects.filter(pk=loopback_app.pk).update(identity_provider="AcmeOkat")
    status, reason = run_test_connection(admin_client, loopback_app)["Authorization request (redirect URI)"]
    assert status == "failed"
    assert "refused with invalid_request" in reason and "'AcmeOkat' is not enabled for this client" in reason


def test_signout_check_probes_the_upstream_hop_when_configured(
    admin_client: Any, loopback_app: Connection, idp: Any
) -> None:
    """With an upstream logout URL, Cognito must accept the app's hop URL, not the final page."""
    loopback_app.upstream_logout_url = "https://acme.okta.example/oauth2/v1/logout"
    loopback_app.save()
    status, reason = run_test_connection(admin_client, loopback_app)["Sign-out URL"]
    assert status == "failed" and f"{APP}{urls.logout_upstream()}" in reason
    idp.idp.add_logout_url("acme-client", f"{APP}{urls.logout_upstream()}")
    assert run_test_connection(admin_client, loopback_app)["Sign-out URL"][0] == "passed"

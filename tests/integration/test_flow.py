"""The whole flow through Django's test client against the local identity provider over real HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from tenant_sso.models import FederatedIdentity, LoginEvent
from tests.support import urls
from tests.support.driver import sso_login
from tests.support.idp import GLOBEX_ADMINS, GLOBEX_ENGINEERS

pytestmark = pytest.mark.django_db


def me(client: Any) -> tuple[int, dict[str, Any]]:
    response = client.get("/api/me/")
    return response.status_code, response.json()


def test_login_start_redirects_to_cognito_authorize_with_pkce_state_nonce(client: Any, tenants: Any, idp: Any) -> None:
    response = client.post(urls.login(), {"org": "acme"})
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{idp.base_url}/oauth2/authorize"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["response_type"] == "code"
    assert query["scope"] == "openid"
    assert query["client_id"] == "acme-client"
    assert query["identity_provider"] == "AcmeOkta"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32 and query["state"] != query["nonce"]
    assert query["redirect_uri"] == urls.callback_url()
    assert response["Cache-Control"] == "no-store"


def test_allowed_user_gets_in_and_api_me_shows_groups(client: Any, tenants: Any, browser: Any) -> None:
    response = sso_login(client, browser, email="alice@acme.test", org="acme", next_url="/reports/?q=1")
    assert response.status_code == 302 and response["Location"] == "/reports/?q=1"
    status, body = me(client)
    assert status == 200
    assert body["authenticated"] is True
    assert body["email"] == "alice@acme.test"
    assert body["organization"] == "acme"
    assert body["idp_groups"] == ["engineering", "sso-admins"]
    assert body["groups"] == ["Administrators", "Engineers"]
    user = get_user_model().objects.get(email="alice@acme.test")
    assert (user.first_name, user.last_name) == ("Alice", "Anders")
    assert not user.has_usable_password()
    event = LoginEvent.objects.get()
    assert (event.outcome, event.connection, event.email) == ("success", tenants["acme"], "alice@acme.test")
    assert client.cookies["csrftoken"].value  # /api/me/ sets the CSRF cookie for scripted logout


def test_home_realm_discovery_by_email_domain(client: Any, tenants: Any, browser: Any) -> None:
    response = sso_login(client, browser, email="carol@globex.test", by_email=True)
    assert response.status_code == 302
    _status, body = me(client)
    assert body["organization"] == "globex"
    assert body["idp_groups"] == [GLOBEX_ENGINEERS.upper(), GLOBEX_ADMINS]  # as the IdP sent them
    assert body["groups"] == ["Administrators", "Engineers"]  # object IDs mapped case-insensitively


def test_user_outside_allowed_groups_gets_403_audit_and_no_session(client: Any, tenants: Any, browser: Any) -> None:
    response = sso_login(client, browser, email="bob@acme.test", org="acme")
    assert response.status_code == 403
    assert b"not_in_allowed_group" in response.content
    assert b"not in a group that may sign in" in response.content
    assert me(client)[0] == 401
    event = LoginEvent.objects.get()
    assert (event.outcome, event.reason, event.email) == ("denied", "not_in_allowed_group", "bob@acme.test")
    assert not get_user_model().objects.filter(email="bob@acme.test").exists()


def test_user_without_groups_is_refused_fail_closed(client: Any, tenants: Any, browser: Any) -> None:
    response = sso_login(client, browser, email="nogroups@acme.test", org="acme")
    assert response.status_code == 403
    assert b"groups_missing" in response.content
    assert me(client)[0] == 401


def test_logout_redirects_to_cognito_logout_and_ends_session(client: Any, tenants: Any, browser: Any, idp: Any) -> None:
    sso_login(client, browser, email="alice@acme.test", org="acme")
    assert me(client)[0] == 200
    assert client.get(urls.logout()).status_code == 405  # GET cannot log anyone out
    response = client.post(urls.logout())
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{idp.base_url}/logout"
    assert parse_qs(url.query) == {"client_id": ["acme-client"], "logout_uri": [urls.logged_out_url()]}
    assert me(client)[0] == 401
    # The identity provider ends its own session and returns to the registered sign-out URL.
    answer = browser.get(response["Location"])
    assert answer.status_code == 302 and answer.headers["location"] == urls.logged_out_url()
    assert LoginEvent.objects.filter(outcome="logout").count() == 1


def test_logout_requires_csrf_token(tenants: Any, browser: Any) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    sso_login(client, browser, email="alice@acme.test", org="acme")
    assert client.post(urls.logout()).status_code == 403
    assert me(client)[0] == 200
    token = client.cookies["csrftoken"].value
    assert client.post(urls.logout(), HTTP_X_CSRFTOKEN=token).status_code == 302
    assert me(client)[0] == 401


def test_second_login_maps_groups_again(client: Any, tenants: Any, browser: Any, idp: Any) -> None:
    sso_login(client, browser, email="alice@acme.test", org="acme")
    assert me(client)[1]["groups"] == ["Administrators", "Engineers"]
    client.post(urls.logout())
    _set_groups(idp, "AcmeOkta", "alice@acme.test", ["engineering"])
    browser.http.cookies.clear()  # a fresh IdP login, so the new groups are read
    sso_login(client, browser, email="alice@acme.test", org="acme")
    _status, body = me(client)
    assert body["idp_groups"] == ["engineering"]
    assert body["groups"] == ["Engineers"]  # Administrators removed in Django
    assert get_user_model().objects.count() == 1 and FederatedIdentity.objects.count() == 1


def test_manual_groups_are_kept_by_sync(client: Any, tenants: Any, browser: Any) -> None:
    from django.contrib.auth.models import Group

    sso_login(client, browser, email="alice@acme.test", org="acme")
    user = get_user_model().objects.get(email="alice@acme.test")
    user.groups.add(Group.objects.create(name="Beta testers"))
    client.post(urls.logout())
    sso_login(client, browser, email="alice@acme.test", org="acme")
    assert "Beta testers" in me(client)[1]["groups"]


def test_several_tabs_each_complete(client: Any, tenants: Any, browser: Any, settings: Any) -> None:
    from tests.support import urls

    # With a worker (a backend that can wait), the Cognito groups of a login are cleared
    # TENANT_SSO_COGNITO_CLEAR_DELAY later, not under the other tab's sign-in (the dummy backend
    # stores the task, as a queue would). The immediate backend clears at once: docs/deprovisioning.md.
    from tests.support.tasks import DUMMY

    settings.TASKS = DUMMY
    from tests.support.driver import path_of

    first = client.post(urls.login(), {"org": "acme", "next": "/one/"})
    second = client.post(urls.login(), {"org": "acme", "next": "/two/"})
    answer_two = browser.authorize(second["Location"], "alice@acme.test")
    answer_one = browser.authorize(first["Location"], "alice@acme.test")
    assert answer_one.headers["location"].startswith(urls.callback_url())
    assert client.get(path_of(answer_two.headers["location"]))["Location"] == "/two/"
    assert client.get(path_of(answer_one.headers["location"]))["Location"] == "/one/"


def test_replayed_callback_is_refused(client: Any, tenants: Any, browser: Any) -> None:
    from tests.support import urls
    from tests.support.driver import path_of

    start = client.post(urls.login(), {"org": "acme"})
    callback = path_of(browser.authorize(start["Location"], "alice@acme.test").headers["location"])
    assert client.get(callback).status_code == 302
    replay = client.get(callback)
    assert replay.status_code == 400 and b"state_unknown" in replay.content


def test_unknown_org_and_domain_get_clear_pages(client: Any, tenants: Any) -> None:
    response = client.post(urls.login(), {"org": "nobody"})
    assert response.status_code == 404 and b"unknown_organization" in response.content
    response = client.post(urls.login(), {"email": "x@unknown.test"})
    assert response.status_code == 404 and b"unknown_domain" in response.content
    response = client.post(urls.login())
    assert response.status_code == 400 and b"organization_missing" in response.content
    assert LoginEvent.objects.filter(outcome="error").count() == 3


def test_session_expires_at_connection_max_age(client: Any, tenants: Any, browser: Any) -> None:
    connection = tenants["acme"]
    connection.max_session_age = 600
    connection.save()
    sso_login(client, browser, email="alice@acme.test", org="acme")
    age = client.session.get_expiry_age()
    assert 590 <= age <= 600


def _set_groups(server: Any, idp_name: str, email: str, groups: list[str]) -> None:
    server.idp.set_groups(idp_name, email, groups)


def test_unreadable_client_secret_is_a_503_page_not_a_500(
    client: Any, tenants: Any, browser: Any, settings: Any
) -> None:
    """The encryption keys were rotated without re-encrypting: operators see why, users a clear page."""
    start = client.post(urls.login(), {"org": "acme"})
    answer = browser.authorize(start["Location"], "alice@acme.test")
    settings.TENANT_SSO_ENCRYPTION_KEYS = ["kGX1lSo8pHZhX7Fb8eK8p0hTQ0pB9vKx3yqkYJ0w2dE="]
    from tests.support.driver import path_of

    response = client.get(path_of(answer.headers["location"]))
    assert response.status_code == 503 and b"client_secret_unreadable" in response.content
    assert b"temporarily unavailable" in response.content
    assert LoginEvent.objects.get().reason == "client_secret_unreadable"

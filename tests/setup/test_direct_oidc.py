"""The wizard end to end through the test client, direct OIDC route: link, instructions, live
checks, apply (stored disabled), test sign-in at the customer's IdP, allowed groups, go-live,
then a user of that customer signs in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tenant_sso.models import Connection, OrganizationDomain, SetupEvent, SetupState
from tests.support import urls
from tests.support.driver import IdPBrowser, path_of, sso_login
from tests.support.setup import new_link, okta_config, url, values

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def okta(devidp_factory: Any) -> Any:
    return devidp_factory(okta_config())


@pytest.fixture
def acme(make_organization: Any) -> Any:
    return make_organization("acme", name="Acme Corp")


def test_from_link_to_live_then_a_user_signs_in(client: Client, okta: Any, acme: Any, browser: IdPBrowser) -> None:
    opened = client.get(path_of(new_link()))
    assert opened.status_code == 302
    assert opened["Referrer-Policy"] == "no-referrer"
    assert opened["Location"] == url("overview")  # the secret leaves the address bar at once

    page = client.get(url("provider", key="okta"))
    assert page.status_code == 200
    assert urls.callback_url(org="acme") in page.content.decode()  # the exact value to paste

    checked = client.post(url("provider", key="okta"), {**values(okta.issuer), "action": "check"})
    text = checked.content.decode()
    assert checked.status_code == 200
    assert "Issuer matches" in text and "the provider refused only the made-up code" in text
    assert not Connection.objects.exists()  # checking saves nothing

    applied = client.post(url("provider", key="okta"), {**values(okta.issuer), "action": "apply"})
    assert applied.status_code == 200, applied.content[:2000]
    connection = Connection.objects.get(organization=acme)
    assert (connection.kind, connection.enabled, connection.client_id) == ("oidc", False, "acme-portal")
    assert connection.get_client_secret() == "acme-portal-secret"
    assert b"acme-portal-secret" not in applied.content

    # A second apply (the person pressed the button again) changes nothing but the row's values.
    client.post(url("provider", key="okta"), {**values(okta.issuer), "action": "apply"})
    assert Connection.objects.filter(organization=acme).count() == 1

    started = client.post(url("test"))
    assert started.status_code == 302
    answer = browser.authorize(started["Location"], "alice@acme.test")
    back = client.get(path_of(answer.headers["location"]))
    assert back.status_code == 302 and back["Location"] == url("test")
    result = client.get(url("test")).content.decode()
    assert "engineering" in result and "sso-admins" in result
    assert "You would be refused" in result  # nobody allowed yet

    client.post(url("policy"), {"group": ["engineering", "sso-admins"], "allowed": ["engineering"]})
    assert "You would be let in (allowed by engineering)" in client.get(url("test")).content.decode()

    refused = client.post(url("live"))
    assert refused.status_code == 400
    assert b"setup_no_verified_domain" in refused.content
    OrganizationDomain.objects.create(organization=acme, domain="acme.test", verified_at="2026-01-01T00:00Z")
    live = client.post(url("live"))
    assert live.status_code == 302
    connection.refresh_from_db()
    assert connection.enabled
    state = SetupState.objects.get(organization=acme)
    assert state.live_at is not None and not state.live_override
    assert set(SetupEvent.objects.filter(organization=acme).values_list("action", flat=True)) >= {
        "link_created", "link_opened", "checked", "configured", "test_started", "tested", "policy_saved",
        "live_refused", "live",
    }

    user = Client()
    signed_in = sso_login(user, browser, email="alice@acme.test", org="acme")
    assert signed_in.status_code == 302, signed_in.content[:500]
    assert user.get(urls.me()).json()["username"]
    bob = sso_login(Client(), IdPBrowser.new(), email="bob@acme.test", org="acme")
    assert bob.status_code == 403  # sales is not an allowed group


def test_a_wrong_secret_is_explained_and_nothing_is_saved(client: Client, okta: Any, acme: Any) -> None:
    client.get(path_of(new_link()))
    answer = client.post(url("provider", key="okta"), values(okta.issuer, client_secret="wrong"))
    text = answer.content.decode()
    assert "invalid_client" in text and "Nothing was saved" in text
    assert not Connection.objects.exists()


def test_the_live_check_answers_json_for_javascript(client: Client, okta: Any, acme: Any) -> None:
    client.get(path_of(new_link()))
    answer = client.post(url("check", key="okta"), values(okta.issuer), HTTP_ACCEPT="application/json")
    assert [r["ok"] for r in answer.json()["results"]] == [True, True, True]


def test_the_test_sign_in_creates_no_user_and_no_session(client: Client, okta: Any, acme: Any,
                                                         browser: IdPBrowser) -> None:
    from django.contrib.auth import get_user_model

    client.get(path_of(new_link()))
    client.post(url("provider", key="okta"), {**values(okta.issuer), "action": "apply"})
    answer = browser.authorize(client.post(url("test"))["Location"], "alice@acme.test")
    client.get(path_of(answer.headers["location"]))
    assert not get_user_model().objects.exists()
    assert client.get(urls.me()).status_code == 401


def test_roles_only_among_those_the_operator_offers(
    client: Client, okta: Any, acme: Any, browser: IdPBrowser, settings: Any
) -> None:
    settings.TENANT_SSO_SETUP_MAPPABLE_GROUPS = ["Engineers"]
    client.get(path_of(new_link()))
    client.post(url("provider", key="okta"), {**values(okta.issuer), "action": "apply"})
    answer = browser.authorize(client.post(url("test"))["Location"], "alice@acme.test")
    client.get(path_of(answer.headers["location"]))

    grab = client.post(url("policy"), {"group": ["engineering"], "allowed": ["engineering"],
                                       "map:engineering": "Administrators"})
    assert grab.status_code == 400 and b"setup_group_unknown" in grab.content
    unseen = client.post(url("policy"), {"allowed": ["Domain Admins"]})
    assert unseen.status_code == 400 and b"setup_group_unknown" in unseen.content
    assert Connection.objects.get().allowed_groups == []

    client.post(url("policy"), {"group": ["engineering"], "allowed": ["engineering"], "map:engineering": "Engineers"})
    page = client.get(url("test")).content.decode()
    assert "with the roles Engineers" in page
    assert Connection.objects.get().group_mapping == {"engineering": "Engineers"}


def test_a_cancelled_test_sign_in_comes_back_to_the_wizard_with_its_reason(
    client: Client, okta: Any, acme: Any
) -> None:
    from tests.support.driver import state_of

    client.get(path_of(new_link()))
    client.post(url("provider", key="okta"), {**values(okta.issuer), "action": "apply"})
    started = client.post(url("test"))["Location"]
    back = client.get(urls.callback("acme"), {"error": "access_denied", "state": state_of(started)})
    assert back.status_code == 302 and back["Location"] == url("test")
    page = client.get(url("test")).content.decode()
    assert 'id="test-error"' in page and "idp_cancelled" in page
    assert SetupState.objects.get(organization=acme).tested_at is None
    assert SetupEvent.objects.filter(action="test_refused", reason="idp_cancelled").exists()

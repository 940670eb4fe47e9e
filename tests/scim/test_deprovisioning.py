"""Deprovisioning through SCIM ends access (issue 16, point 2), through the real views.

A browser signed in with SSO (the test client, logged in through the local identity provider's
Cognito-shaped tenant ``acme``) is signed out by the SCIM call itself: its very next request is
anonymous. The time from the SCIM call to that anonymous answer is printed (docs/scim.md).
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.models import Group
from django.test import Client

from tenant_sso.models import FederatedIdentity, LoginEvent, ScimUser
from tests.scim import payloads
from tests.support.driver import login
from tests.support.pages import ME, assert_refused

ALICE = {"schemas": [payloads.USER], "userName": "alice@acme.test", "externalId": "00u-alice", "active": True}


def signed_in(client: Client) -> bool:
    return bool(client.get(ME).status_code == 200)


def provisioned(scim: Any, body: dict[str, Any] = ALICE) -> str:
    created = scim("POST", "/Users", body)
    assert created.status_code == 201, created.content
    return str(created.json_body["id"])


def test_a_later_login_finds_the_provisioned_user_by_upstream_subject(acme_scim: Any, pool: Any) -> None:
    provisioned(acme_scim)
    record = ScimUser.objects.get()
    browser = Client()
    assert login(browser, pool).status_code == 302
    identity = FederatedIdentity.objects.get()
    assert identity.user_id == record.user_id  # linked, not a second account
    assert signed_in(browser)


def test_deactivation_ends_the_session_at_once_and_refuses_the_next_login(
    acme_scim: Any, pool: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    uid = provisioned(acme_scim)
    browser, other = Client(), Client()
    assert login(browser, pool).status_code == 302
    assert login(other, pool, "carol@globex.test", "globex").status_code == 302
    assert signed_in(browser) and signed_in(other)

    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):  # the request's commit, as in production
        answer = acme_scim("PATCH", f"/Users/{uid}", payloads.OKTA_DEACTIVATE)
    anonymous = not signed_in(browser)
    elapsed = time.perf_counter() - started
    print(f"\nSCIM deactivation -> next request anonymous: {elapsed:.3f} s")
    assert answer.status_code == 200 and answer.json_body["active"] is False
    assert anonymous
    assert signed_in(other)  # another organization's user is untouched
    reasons = list(LoginEvent.objects.filter(outcome="revoked").values_list("reason", flat=True))
    assert "scim_deactivated" in reasons
    # Cognito: the federated pool user is signed out everywhere (deprov's task, immediate backend).
    alice = FederatedIdentity.objects.get(connection__organization__slug="acme")
    assert ("AdminUserGlobalSignOut", alice.cognito_username, ()) in pool.admin_calls
    assert LoginEvent.objects.filter(reason="cognito_signed_out", user=alice.user).exists()

    assert_refused(client, login(client, pool), 403, "user_inactive")

    reactivated = acme_scim("PATCH", f"/Users/{uid}", payloads.OKTA_REACTIVATE)
    assert reactivated.status_code == 200
    assert login(client, pool).status_code == 302 and signed_in(client)


def test_delete_ends_the_session_and_the_user_stays_refused(acme_scim: Any, pool: Any, client: Any) -> None:
    uid = provisioned(acme_scim)
    browser = Client()
    login(browser, pool)
    assert acme_scim("DELETE", f"/Users/{uid}").status_code == 204
    assert not signed_in(browser)
    assert acme_scim("GET", f"/Users/{uid}").status_code == 404
    assert LoginEvent.objects.filter(outcome="revoked", reason="scim_deleted").exists()
    assert_refused(client, login(client, pool), 403, "user_inactive")


def test_losing_the_last_allowed_group_ends_the_sessions(acme_scim: Any, pool: Any) -> None:
    uid = provisioned(acme_scim)
    group = acme_scim("POST", "/Groups", {**payloads.okta_create_group("engineering"), "members": [{"value": uid}]})
    assert group.status_code == 201
    browser = Client()
    login(browser, pool)
    user = ScimUser.objects.get().user
    assert set(user.groups.values_list("name", flat=True)) == {"Engineers", "Administrators"}

    removed = acme_scim("PATCH", f"/Groups/{group.json_body['id']}", payloads.okta_remove_member(uid))
    assert removed.status_code == 200
    assert not signed_in(browser)
    assert LoginEvent.objects.filter(outcome="revoked", reason="scim_group_removed").exists()
    assert not user.groups.filter(name="Engineers").exists()
    assert Group.objects.filter(name="Engineers").exists()


def test_keeping_an_allowed_group_keeps_the_session(acme_scim: Any, pool: Any) -> None:
    uid = provisioned(acme_scim)
    eng = acme_scim("POST", "/Groups", {**payloads.okta_create_group("engineering"), "members": [{"value": uid}]})
    acme_scim("POST", "/Groups", {**payloads.okta_create_group("sso-admins"), "members": [{"value": uid}]})
    browser = Client()
    login(browser, pool)
    acme_scim("PATCH", f"/Groups/{eng.json_body['id']}", payloads.okta_remove_member(uid))
    assert signed_in(browser)

"""The kill switch (issue 12, point 4) and the stored email (point 6), through the real views.

A signed-in browser (Django's test client) keeps its session cookie; whatever takes access away
(the admin, the command, deleting an identity, deactivating the user) must make its very next
request anonymous, in every server-side session engine, and say so in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection as db_connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenant_sso.models import FederatedIdentity, LoginEvent, SSOSession
from tests.support.driver import login
from tests.support.html import form_values
from tests.support.pages import ME, assert_refused

ENGINES = [
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
    "tenant_sso.dbsession",
]


@pytest.fixture(params=ENGINES, ids=lambda e: e.rsplit(".", 1)[1])
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    with override_settings(SESSION_ENGINE=request.param):
        yield str(request.param)


def signed_in(client: Any) -> bool:
    return bool(client.get(ME).status_code == 200)


def revoked(reason: str) -> list[tuple[str, str]]:
    return list(
        LoginEvent.objects.filter(outcome=LoginEvent.Outcome.REVOKED).values_list("reason", "user__username")
    ) or [("none", reason)]


def alice_and_carol(tenants: Any, pool: Any) -> tuple[Client, Client]:
    alice, carol = Client(), Client()
    assert login(alice, pool).status_code == 302
    assert login(carol, pool, "carol@globex.test", "globex").status_code == 302
    assert signed_in(alice) and signed_in(carol)
    return alice, carol


def user(email: str) -> Any:
    return get_user_model().objects.get(sso_identities__email=email)


# -- what is indexed --------------------------------------------------------------------------
def test_each_login_is_indexed_and_the_session_key_is_not_stored_in_clear(
    client: Any, tenants: Any, pool: Any, engine: str
) -> None:
    login(client, pool)
    key = client.session.session_key
    row = SSOSession.objects.get()
    assert row.connection == tenants["acme"] and row.user == user("alice@acme.test")
    assert row.identity == FederatedIdentity.objects.get(connection=tenants["acme"])
    assert key not in row.session_key_encrypted and key not in row.session_key_digest
    assert row.expires_at > row.created_at


def test_an_authenticated_request_costs_no_query_for_the_kill_switch(client: Any, tenants: Any, pool: Any) -> None:
    login(client, pool)
    with CaptureQueriesContext(db_connection) as queries:
        assert signed_in(client)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "tenant_sso_ssosession" not in sql and "tenant_sso_connection" not in sql


def test_signing_in_again_in_the_same_browser_keeps_one_row(client: Any, tenants: Any, pool: Any) -> None:
    login(client, pool)
    login(client, pool)
    assert SSOSession.objects.count() == 1
    login(client, pool, "carol@globex.test", "globex", confirm="globex")  # another user: login() flushes
    assert list(SSOSession.objects.values_list("connection__organization__slug", flat=True)) == ["globex"]
    assert signed_in(client)


def test_logout_forgets_the_row(client: Any, tenants: Any, pool: Any) -> None:
    login(client, pool)
    client.post(reverse("tenant_sso:logout"))
    assert not SSOSession.objects.exists()
    assert not LoginEvent.objects.filter(outcome=LoginEvent.Outcome.REVOKED).exists()


# -- taking access away ends sessions at the next request -------------------------------------
def test_disabling_the_connection_in_the_admin_ends_its_sessions_now(
    engine: str, tenants: Any, pool: Any, admin_client: Any
) -> None:
    alice, carol = alice_and_carol(tenants, pool)
    second_alice = Client()
    login(second_alice, pool)
    url = reverse("admin:tenant_sso_connection_change", args=[tenants["acme"].pk])
    data = form_values(admin_client.get(url).content.decode(), "connection_form")
    data.pop("enabled")

    assert admin_client.post(url, data).status_code == 302

    assert not signed_in(alice) and not signed_in(second_alice)
    assert signed_in(carol)  # another organization's session is untouched
    events = LoginEvent.objects.filter(outcome=LoginEvent.Outcome.REVOKED)
    assert sorted(events.values_list("reason", "connection__organization__slug", "user__email")) == [
        ("connection_disabled", "acme", "alice@acme.test"),
        ("connection_disabled", "acme", "alice@acme.test"),
    ]
    assert list(SSOSession.objects.values_list("connection__organization__slug", flat=True)) == ["globex"]


def test_the_disable_command_ends_its_sessions_now(tenants: Any, pool: Any, engine: str) -> None:
    alice, carol = alice_and_carol(tenants, pool)
    call_command("sso_connection", "disable", "--org", "acme")
    assert not signed_in(alice) and signed_in(carol)
    assert revoked("connection_disabled") == [("connection_disabled", user("alice@acme.test").username)]


def test_removing_the_federated_identity_ends_its_sessions_now(tenants: Any, pool: Any, engine: str) -> None:
    alice, carol = alice_and_carol(tenants, pool)
    FederatedIdentity.objects.filter(connection=tenants["acme"]).delete()
    assert not signed_in(alice) and signed_in(carol)
    assert LoginEvent.objects.get(outcome=LoginEvent.Outcome.REVOKED).reason == "identity_removed"


def test_deactivating_the_user_ends_their_sessions_now(tenants: Any, pool: Any, engine: str) -> None:
    alice, carol = alice_and_carol(tenants, pool)
    account = user("alice@acme.test")
    account.is_active = False
    account.save()
    assert not signed_in(alice) and signed_in(carol)
    assert revoked("user_deactivated") == [("user_deactivated", account.username)]


def test_deleting_the_user_ends_their_sessions_now(tenants: Any, pool: Any) -> None:
    alice, carol = alice_and_carol(tenants, pool)
    user("alice@acme.test").delete()
    assert not signed_in(alice) and signed_in(carol)
    assert revoked("user_removed") == [("user_removed", None)]


# -- a deactivated user cannot sign in again -------------------------------------------------
def test_a_deactivated_user_is_refused_before_provisioning(client: Any, tenants: Any, pool: Any) -> None:
    login(Client(), pool)
    account = user("alice@acme.test")
    account.is_active = False
    account.first_name = "Changed"
    account.save()
    account.groups.remove(Group.objects.get(name="Engineers"))

    response = login(client, pool)

    assert_refused(client, response, 403, "user_inactive")
    assert LoginEvent.objects.order_by("-id").first().outcome == LoginEvent.Outcome.DENIED  # type: ignore[union-attr]
    account.refresh_from_db()
    assert account.first_name == "Changed"  # no profile update
    assert sorted(account.groups.values_list("name", flat=True)) == ["Administrators"]  # no group sync
    assert not SSOSession.objects.filter(user=account).exists()


# -- 6. only verified, owned emails are stored ------------------------------------------------
@pytest.mark.parametrize(
    ("claims", "stored"),
    [
        pytest.param({"email_verified": True}, "alice@acme.test", id="verified"),
        pytest.param({"email_verified": "true"}, "alice@acme.test", id="cognito-string-true"),
        pytest.param({"email_verified": False}, "", id="unverified"),
        pytest.param({"email_verified": "false"}, "", id="cognito-string-false"),
        pytest.param({"email_verified": None}, "", id="missing"),
        pytest.param({"email": "ceo@globex.test"}, "", id="another-organizations-domain"),
        pytest.param({"email": "someone@gmail.example"}, "", id="a-domain-nobody-owns"),
    ],
)
def test_only_a_verified_email_of_the_organizations_domain_is_stored(
    client: Any, tenants: Any, pool: Any, claims: dict[str, Any], stored: str
) -> None:
    def hook(header: dict[str, Any], token: dict[str, Any], sign: Any) -> str:
        token = {**token, **claims}
        if token.get("email_verified") is None:
            token.pop("email_verified", None)
        return str(sign(header, token))

    pool.id_token_hook = hook
    assert login(client, pool).status_code == 302
    identity = FederatedIdentity.objects.get(connection=tenants["acme"])
    assert identity.user.email == stored
    assert identity.email == claims.get("email", "alice@acme.test")  # the claim, as asserted


def test_an_unverified_email_later_does_not_overwrite_the_stored_one(client: Any, tenants: Any, pool: Any) -> None:
    login(client, pool)
    pool.id_token_hook = lambda header, token, sign: sign(
        header, {**token, "email": "alice.new@acme.test", "email_verified": False}
    )
    login(Client(), pool)
    assert user("alice.new@acme.test").email == "alice@acme.test"


def test_deleting_one_session_in_the_admin_signs_out_that_browser_only(
    tenants: Any, pool: Any, admin_client: Any
) -> None:
    first, second = Client(), Client()
    login(first, pool)
    login(second, pool)
    row = SSOSession.objects.order_by("created_at").first()
    assert row is not None
    url = reverse("admin:tenant_sso_ssosession_delete", args=[row.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not signed_in(first) and signed_in(second)
    assert LoginEvent.objects.get(outcome=LoginEvent.Outcome.REVOKED).reason == "session_revoked"

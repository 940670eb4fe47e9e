"""Tenant isolation: a user of one tenant's IdP never becomes a user of another tenant.

Peer incidents: the Entra "nOAuth" account takeover by email (CVE-2023-36871, allauth #3675),
netbox's associate_by_email (#14946). Identities are keyed by (connection, issuer, subject);
email linking needs the connection's opt-in, a verified email and a domain of that organization.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tenant_sso.flows import SESSION_KEY
from tenant_sso.models import Connection, FederatedIdentity, LoginEvent
from tests.support import urls
from tests.support.driver import idp_answer, login, start, state_of
from tests.support.pages import ME, assert_refused

User = get_user_model()


def me(client: Any) -> dict[str, Any]:
    response = client.get(ME)
    assert response.status_code == 200
    return dict(response.json())


def session_user(client: Any) -> Any:
    return User.objects.get(username=me(client)["username"])


def test_acme_idp_asserting_a_globex_email_never_reaches_the_globex_user(tenants: Any, pool: Any) -> None:
    carol_browser = Client()
    assert login(carol_browser, pool, "carol@globex.test", org="globex").status_code == 302
    carol = session_user(carol_browser)
    # acme's IdP (its admin, or a user who may edit their own email) asserts carol's address.
    pool.add_user(
        "AcmeOkta",
        {
            "sub": "00u-mallory",
            "email": "carol@globex.test",
            "email_verified": True,
            "groups": ["engineering"],
        },
    )
    Connection.objects.filter(pk=tenants["acme"].pk).update(link_by_email=True)  # the worst case

    mallory = Client()
    assert login(mallory, pool, "carol@globex.test", org="acme").status_code == 302
    assert me(mallory)["organization"] == "acme"
    impostor = session_user(mallory)
    assert impostor.pk != carol.pk
    assert FederatedIdentity.objects.get(user=impostor).connection_id == tenants["acme"].pk
    assert list(FederatedIdentity.objects.filter(user=carol).values_list("connection_id", flat=True)) == [
        tenants["globex"].pk
    ]
    assert set(carol.groups.values_list("name", flat=True)) == {"Engineers", "Administrators"}


def test_home_realm_discovery_sends_an_email_to_its_own_tenant_only(client: Any, tenants: Any) -> None:
    response = client.post(urls.login(), {"email": "carol@GLOBEX.test"})
    assert response.status_code == 302 and "client_id=globex-client" in response["Location"]
    response = client.post(urls.login(), {"email": "carol@evil.globex.test"})
    assert response.status_code == 404


def test_same_subject_at_another_connection_is_another_user(tenants: Any, pool: Any) -> None:
    """Both tenants share the pool issuer: the connection is part of the identity's key."""
    alice = Client()
    login(alice, pool, "alice@acme.test", org="acme")
    alice_user = session_user(alice)
    alice_sub = FederatedIdentity.objects.get(user=alice_user).subject

    def same_sub(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
        return str(sign(header, {**claims, "sub": alice_sub, "email": "alice@acme.test"}))

    pool.id_token_hook = same_sub
    other = Client()
    assert login(other, pool, "carol@globex.test", org="globex").status_code == 302
    assert me(other)["organization"] == "globex"
    assert session_user(other).pk != alice_user.pk


# -- email linking: all of (opt-in, verified, domain of the org) or nothing -------------------------
@pytest.mark.parametrize(
    ("link_by_email", "verified", "email", "linked"),
    [
        pytest.param(True, True, "alice@acme.test", True, id="all-three"),
        pytest.param(False, True, "alice@acme.test", False, id="link-off"),
        pytest.param(True, False, "alice@acme.test", False, id="unverified"),
        pytest.param(True, True, "alice@partner.test", False, id="foreign-domain"),
    ],
)
def test_email_linking_needs_opt_in_verified_email_and_an_org_domain(
    client: Any, tenants: Any, pool: Any, link_by_email: bool, verified: bool, email: str, linked: bool
) -> None:
    existing = User.objects.create(username="existing", email=email)
    Connection.objects.filter(pk=tenants["acme"].pk).update(link_by_email=link_by_email)
    # Same upstream sub as alice: the IdP now asserts this email (update_user cannot change email).
    pool.add_user(
        "AcmeOkta",
        {"sub": "00u-alice", "email": email, "email_verified": verified, "groups": ["engineering"]},
    )
    assert login(client, pool, email, org="acme").status_code == 302
    user = session_user(client)
    assert (user.pk == existing.pk) is linked
    assert FederatedIdentity.objects.filter(user=existing).exists() is linked


def test_email_verified_as_the_string_false_does_not_link(client: Any, tenants: Any, pool: Any) -> None:
    existing = User.objects.create(username="existing", email="alice@acme.test")
    Connection.objects.filter(pk=tenants["acme"].pk).update(link_by_email=True)
    pool.id_token_hook = lambda h, c, sign: sign(h, {**c, "email_verified": "false"})
    login(client, pool)
    assert session_user(client).pk != existing.pk


@pytest.mark.parametrize("kind", ["superuser", "identity-elsewhere", "two-accounts"])
def test_email_linking_never_takes_over_privileged_or_foreign_accounts(
    client: Any, tenants: Any, pool: Any, make_identity: Any, kind: str
) -> None:
    existing = User.objects.create(
        username="existing", email="alice@acme.test", is_superuser=kind == "superuser"
    )
    if kind == "identity-elsewhere":
        make_identity(tenants["globex"], user=existing, issuer="x", subject="y")
    if kind == "two-accounts":
        User.objects.create(username="existing2", email="ALICE@acme.test")
    Connection.objects.filter(pk=tenants["acme"].pk).update(link_by_email=True)
    login(client, pool)
    user = session_user(client)
    assert user.pk != existing.pk and not user.is_superuser


# -- disabled connections -------------------------------------------------------------------------
def test_disabled_connection_admits_nobody(client: Any, tenants: Any) -> None:
    Connection.objects.filter(pk=tenants["acme"].pk).update(enabled=False)
    assert_refused(client, client.post(urls.login(), {"org": "acme"}), 404, "unknown_organization")
    assert_refused(client, client.post(urls.login(), {"email": "alice@acme.test"}), 404, "unknown_domain")


def test_login_started_before_the_connection_was_disabled_is_refused(
    client: Any, tenants: Any, pool: Any
) -> None:
    answer = idp_answer(pool, start(client), "alice@acme.test")
    Connection.objects.filter(pk=tenants["acme"].pk).update(enabled=False)
    assert_refused(client, client.get(answer), 400, "connection_disabled")
    assert not FederatedIdentity.objects.exists()


def test_login_started_before_the_connection_was_deleted_is_refused(
    client: Any, tenants: Any, pool: Any
) -> None:
    answer = idp_answer(pool, start(client), "alice@acme.test")
    Connection.objects.filter(pk=tenants["acme"].pk).delete()
    assert_refused(client, client.get(answer), 400, "connection_disabled")


# -- a login through A never ends in a session for B ---------------------------------------------
def test_swapped_states_between_two_tenants_tabs_never_cross(client: Any, tenants: Any, pool: Any) -> None:
    acme_url, globex_url = start(client, "acme"), start(client, "globex")
    acme_answer = idp_answer(pool, acme_url, "alice@acme.test")
    code = acme_answer.split("code=")[1].split("&")[0]
    # acme's code delivered with globex's state: globex's client cannot redeem acme's code.
    swapped = client.get(f"{urls.callback()}?code={code}&state={state_of(globex_url)}")
    assert_refused(client, swapped, 502, "token_exchange_failed")
    assert LoginEvent.objects.get(reason="token_exchange_failed").connection_id == tenants["globex"].pk
    # The honest acme tab still completes, as acme.
    assert client.get(acme_answer).status_code == 302
    assert me(client)["organization"] == "acme"
    assert client.session[SESSION_KEY]["connection"] == tenants["acme"].pk


def identities(claims: dict[str, Any]) -> list[dict[str, Any]]:
    value = claims["identities"]
    parsed: list[dict[str, Any]] = json.loads(value) if isinstance(value, str) else value
    return parsed


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        pytest.param(lambda c: {**c, "aud": "acme-client"}, 401, "audience_mismatch", id="token-for-acme"),
        pytest.param(
            lambda c: {**c, "identities": [{**identities(c)[0], "providerName": "AcmeOkta"}]},
            403,
            "identity_provider_mismatch",
            id="user-of-acme-idp",
        ),
        pytest.param(
            lambda c: {k: v for k, v in c.items() if k != "identities"},
            403,
            "identity_provider_mismatch",
            id="no-identities",
        ),
    ],
)
def test_globex_login_refuses_a_token_meant_for_acme(
    client: Any, tenants: Any, pool: Any, mutate: Any, status: int, code: str
) -> None:
    """Defence in depth against a misconfigured pool (another IdP enabled on globex's client)."""
    pool.id_token_hook = lambda header, claims, sign: sign(header, mutate(claims))
    assert_refused(client, login(client, pool, "carol@globex.test", org="globex"), status, code)

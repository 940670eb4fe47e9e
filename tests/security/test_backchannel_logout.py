"""Back-channel logout through the real view, in process: which sessions a logout token ends
(by ``sid``: that IdP session only; by ``sub``: every session of that user on the connection),
and who may send one. The provider is the hostile OP (real RS256 tokens, tests.keys)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from django.test import Client

from tenant_sso.models import LoginEvent, SSOSession
from tenant_sso.oidc.logout_token import BACKCHANNEL_LOGOUT_EVENT
from tests.keys import sign
from tests.security.hostile import CLIENT_ID, HostileOP, callback_of
from tests.support import urls
from tests.support.pages import ME

pytestmark = pytest.mark.django_db


def logged_in(op: HostileOP, sid: str) -> Client:
    browser = Client()
    op.claims = {"sid": sid}
    assert callback_of(browser, op).status_code == 302
    assert browser.get(ME).status_code == 200
    return browser


def logout_token(op: HostileOP, **claims: Any) -> str:
    now = int(time.time())
    base = {"iss": op.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 120, "jti": str(uuid.uuid4()),
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}}}
    return sign({**base, **claims}, header={"typ": "logout+jwt"})


def post(org: str, token: str) -> Any:
    return Client().post(urls.backchannel_logout(org), {"logout_token": token})


def test_a_sid_ends_that_idp_session_and_a_sub_ends_them_all(hostile: Any, hostile_op: HostileOP) -> None:
    first, second, third = (logged_in(hostile_op, sid) for sid in ("sid-1", "sid-2", "sid-3"))

    answer = post("hostile", logout_token(hostile_op, sid="sid-1"))

    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    assert first.get(ME).status_code == 401
    assert second.get(ME).status_code == 200 and third.get(ME).status_code == 200

    assert post("hostile", logout_token(hostile_op, sub="hostile-user-1")).status_code == 200
    assert second.get(ME).status_code == 401 and third.get(ME).status_code == 401
    assert not SSOSession.objects.exists()
    assert LoginEvent.objects.filter(outcome="revoked", reason="backchannel_logout").count() == 3


def test_a_token_for_nobody_known_is_still_a_200(hostile: Any, hostile_op: HostileOP) -> None:
    # The IdP must not retry: the user simply has no session here (spec 2.8).
    assert post("hostile", logout_token(hostile_op, sub="someone-else")).status_code == 200


def test_another_organizations_token_ends_nothing(
    hostile: Any, hostile_op: HostileOP, make_connection: Any
) -> None:
    browser = logged_in(hostile_op, "sid-1")
    make_connection("other", kind="oidc", issuer="https://other.idp.example", client_id="other-client")
    # Signed by the hostile OP's key, but sent to another organization's URI: wrong issuer there
    # (discovery of other.idp.example fails first on a closed network, or iss/aud would).
    answer = post("other", logout_token(hostile_op, sid="sid-1"))
    assert answer.status_code == 400
    assert browser.get(ME).status_code == 200


def test_cognito_organizations_have_no_back_channel_endpoint(tenants: Any) -> None:
    answer = post("acme", "x.y.z")
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request", "error_description": "unknown_organization"}


def test_an_id_token_is_not_a_logout_token(hostile: Any, hostile_op: HostileOP) -> None:
    browser = logged_in(hostile_op, "sid-1")
    id_token = sign({**hostile_op.id_claims(), "events": {BACKCHANNEL_LOGOUT_EVENT: {}}, "jti": "j"})
    answer = post("hostile", id_token)
    assert answer.status_code == 400 and answer.json()["error_description"] == "logout_token_invalid"
    assert browser.get(ME).status_code == 200
    assert LoginEvent.objects.filter(reason="logout_token_invalid").exists()


def test_many_logouts_from_one_address_are_not_rate_limited(hostile: Any, hostile_op: HostileOP, settings: Any) -> None:
    """An IdP ending many sessions posts one token each, from one address: none may be refused."""
    settings.TENANT_SSO_RATE_LIMIT_PER_IP = 2
    answers = [post("hostile", logout_token(hostile_op, sub=f"user-{i}")).status_code for i in range(5)]
    assert answers == [200] * 5

"""OIDC Back-Channel Logout 1.0 against panva's oidc-provider (which implements it), over real HTTP.

The user signs in to the example app through the OIDC provider, then ends their session *at the
provider* (its own logout page: the app is not involved). The provider POSTs a logout token to the
app's back-channel URI (through a recording relay); the app's session must end, the same token
sent again must be refused (replay), and a token signed by anyone else must be refused (forgery).
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.interop.harness import Browser, Interop, login
from tests.support import urls

pytestmark = pytest.mark.node

EVENT = "http://schemas.openid.net/event/backchannel-logout"


def end_provider_session(agent: Browser, interop: Interop) -> None:
    """The user signs out at the provider itself (its end_session page, confirmed)."""
    okta = interop.tenants["oidc"].op
    end_session = httpx.get(f"{okta.issuer}/.well-known/openid-configuration").json()["end_session_endpoint"]
    confirm = agent.get(f"{end_session}?client_id=initech-app")
    agent.submit(confirm, {}, button=("logout", "yes"))


def post_token(interop: Interop, token: str) -> httpx.Response:
    return httpx.post(f"{interop.app.url}{urls.backchannel_logout('initech')}", data={"logout_token": token})


def test_the_provider_ends_the_app_session(agent: Browser, interop: Interop) -> None:
    assert interop.backchannel is not None
    tenant = interop.tenants["oidc"]
    login(agent, interop, tenant, tenant.allowed)
    assert agent.me(interop.app).status_code == 200
    sent_before = len(interop.backchannel.bodies)

    end_provider_session(agent, interop)

    assert len(interop.backchannel.bodies) == sent_before + 1  # the provider sent one logout token
    assert agent.me(interop.app).status_code == 401  # and the app's session is over

    # The same token again: refused (jti replay), with the spec's error shape, never cached.
    token = httpx.QueryParams(interop.backchannel.bodies[-1].decode())["logout_token"]
    replay = post_token(interop, token)
    assert replay.status_code == 400
    assert replay.json() == {"error": "invalid_request", "error_description": "logout_token_replayed"}
    assert replay.headers["cache-control"] == "no-store"


def test_a_forged_logout_token_is_refused_and_ends_nothing(agent: Browser, interop: Interop) -> None:
    tenant = interop.tenants["oidc"]
    login(agent, interop, tenant, tenant.allowed)
    okta = tenant.op
    # Everything right but the key: the provider's kid, a key only the attacker holds.
    forger = RSAKey.generate_key(2048, parameters={"kid": okta.kids[0]})
    now = int(time.time())
    claims = {"iss": okta.issuer, "aud": "initech-app", "iat": now, "exp": now + 120, "jti": str(uuid.uuid4()),
              "sub": tenant.allowed, "events": {EVENT: {}}}
    forged = jwt.encode({"alg": "RS256", "kid": okta.kids[0], "typ": "logout+jwt"}, claims, forger)

    answer = post_token(interop, forged)

    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    assert answer.json()["error_description"] == "bad_signature"
    assert agent.me(interop.app).status_code == 200  # the session lives on


def test_a_get_or_an_empty_post_is_refused(interop: Interop) -> None:
    url = f"{interop.app.url}{urls.backchannel_logout('initech')}"
    assert httpx.get(url).status_code == 405
    empty = httpx.post(url, data={})
    assert empty.status_code == 400 and empty.json()["error_description"] == "logout_token_missing"

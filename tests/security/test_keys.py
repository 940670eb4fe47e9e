"""Signing key rotation at the IdP: the new kid is fetched once, and logins go on."""

from __future__ import annotations

from typing import Any

from joserfc import jws

from tenant_sso.flows import SESSION_KEY
from tests.support.driver import login
from tests.support.pages import ME

JWKS_PATH = "/.well-known/jwks.json"


def kid_of_session_token(client: Any) -> str:
    token = client.session[SESSION_KEY]["id_token"]
    return str(jws.extract_compact(token.encode()).headers()["kid"])


def test_key_rotation_is_picked_up_with_one_fetch(
    client: Any, tenants: Any, pool: Any, idp_requests: Any
) -> None:
    first_kid = pool.keys.current.kid
    assert login(client, pool).status_code == 302
    assert kid_of_session_token(client) == first_kid
    assert idp_requests.count(JWKS_PATH) == 1

    new_kid = pool.rotate_keys()
    assert new_kid != first_kid
    assert login(client, pool).status_code == 302
    assert kid_of_session_token(client) == new_kid
    assert client.get(ME).status_code == 200
    assert idp_requests.count(JWKS_PATH) == 2  # the unknown kid made exactly one refetch

    for _ in range(3):
        assert login(client, pool).status_code == 302
    assert idp_requests.count(JWKS_PATH) == 2  # now cached


def test_rotation_that_drops_the_old_key_keeps_logins_working(client: Any, tenants: Any, pool: Any) -> None:
    assert login(client, pool).status_code == 302
    new_kid = pool.rotate_keys(retain=1)
    assert [k["kid"] for k in pool.jwks()["keys"]] == [new_kid]
    assert login(client, pool).status_code == 302
    assert kid_of_session_token(client) == new_kid

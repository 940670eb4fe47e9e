"""``idp-initiated/<org>/``: where Cognito lands an IdP-initiated SAML sign-in (a code, no state).

The code is never redeemed: on, a fresh SP-initiated login (own state, nonce, PKCE) starts; off,
``idp_initiated_disabled``; a session of another organization is never replaced silently.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tenant_sso.models import Connection
from tests.support import attempts, urls
from tests.support.driver import idp_answer, login
from tests.support.pages import assert_refused

CROSS_SITE = {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_SEC_FETCH_MODE": "navigate"}


@pytest.fixture
def pool(idp: Any) -> Any:
    return getattr(idp, "idp", idp)


def _enable(org: str, on: bool = True) -> None:
    Connection.objects.filter(organization__slug=org).update(idp_initiated=on)


def test_on_a_fresh_sp_initiated_login_starts_and_the_code_is_never_redeemed(
    client: Any, tenants: Any, pool: Any
) -> None:
    _enable("acme")
    response = client.get(urls.idp_initiated("acme"), {"code": "code-from-an-idp-initiated-sign-in"}, **CROSS_SITE)
    assert response.status_code == 302, response.content[:300]
    location = response["Location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{pool.base_url}/oauth2/authorize?")
    assert query["client_id"] == ["acme-client"] and query["identity_provider"] == ["AcmeOkta"]
    state = query["state"][0]
    assert query["code_challenge_method"] == ["S256"] and query["nonce"][0]
    assert state in attempts.pending(client)
    assert "code-from-an-idp-initiated-sign-in" not in location
    # The IdP's session completes that login: the user lands signed in, through the usual callback.
    done = client.get(idp_answer(pool, location, "alice@acme.test"))
    assert done.status_code == 302
    assert client.get("/api/me/").json()["email"] == "alice@acme.test"


def test_off_it_is_refused_with_a_reason_code_and_an_audit_row(client: Any, tenants: Any) -> None:
    response = client.get(urls.idp_initiated("acme"), {"code": "x"}, **CROSS_SITE)
    assert_refused(client, response, 403, "idp_initiated_disabled")
    assert not attempts.pending(client)


def test_an_unknown_organization_is_a_404_with_its_code(client: Any, tenants: Any) -> None:
    response = client.get(urls.idp_initiated("nope"), {"code": "x"})
    assert_refused(client, response, 404, "unknown_organization")


def test_a_session_of_another_organization_is_not_replaced_silently(
    client: Any, tenants: Any, pool: Any
) -> None:
    _enable("globex")
    assert login(client, pool).status_code == 302
    response = client.get(urls.idp_initiated("globex"), {"code": "x"}, **CROSS_SITE)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="sso-confirm-current">Acme Corp<' in text, text
    assert client.get("/api/me/").json()["email"] == "alice@acme.test"
    assert not attempts.pending(client)


def test_signed_in_to_the_same_organization_the_fresh_login_just_runs_again(
    client: Any, tenants: Any, pool: Any
) -> None:
    _enable("acme")
    assert login(client, pool).status_code == 302
    response = client.get(urls.idp_initiated("acme"), {"code": "x"}, **CROSS_SITE)
    assert response.status_code == 302 and response["Location"].startswith(f"{pool.base_url}/oauth2/authorize?")

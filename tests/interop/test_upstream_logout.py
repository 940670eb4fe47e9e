"""The second logout hop of Cognito connections (Django's test client; no network needed).

Cognito's ``/logout`` never ends the session at the customer's OIDC IdP, so the next login would
pass silently. With ``upstream_logout_url`` set, Cognito's ``logout_uri`` is our
``logout/upstream/`` view, which sends the browser on to that configured URL once.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from tenant_sso.flows import SESSION_KEY, UPSTREAM_LOGOUT_KEY
from tests.support import urls

DOMAIN = "https://auth.acme.test"
OKTA_SIGNOUT = "https://acme.okta.test/oauth2/v1/logout"


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.fixture
def connection(make_connection: Any) -> Any:
    def make(upstream: str = "") -> Any:
        return make_connection(
            "acme", cognito_domain=DOMAIN, identity_provider="AcmeOkta", logout_redirect_url="/login/?logged_out=1",
            extra={"upstream_logout_url": upstream},
        )
    return make


def signed_in(client: Any, connection: Any) -> None:
    user = get_user_model().objects.create_user("alice", email="alice@acme.test")
    client.force_login(user, backend="tenant_sso.backends.SSOBackend")
    session = client.session
    session[SESSION_KEY] = {"connection": connection.pk, "organization": "acme", "idp_groups": [],
                            "id_token": "not-sent-to-cognito", "login_at": int(time.time())}
    session.save()


def test_logout_goes_through_cognito_then_the_upstream_idp_then_home(client: Any, connection: Any) -> None:
    signed_in(client, connection(upstream=OKTA_SIGNOUT))

    cognito = client.post(urls.logout())

    assert cognito.status_code == 302
    assert cognito["Location"].startswith(f"{DOMAIN}/logout?")
    assert query(cognito["Location"]) == {"client_id": ["acme-client"], "logout_uri": [f"{urls.APP}{urls.logout_upstream()}"]}
    assert client.get("/api/me/").status_code == 401  # the app session ended at the first hop

    upstream = client.get(urls.logout_upstream())
    assert upstream.status_code == 302
    assert upstream["Location"].startswith(f"{OKTA_SIGNOUT}?")
    assert query(upstream["Location"]) == {"post_logout_redirect_uri": [urls.logged_out_url()]}
    assert upstream["Cache-Control"] == "no-store"

    again = client.get(urls.logout_upstream())  # single use: a reload does not bounce to the IdP again
    assert again["Location"] == urls.logged_out_url()


def test_the_hop_ignores_redirect_targets_in_its_query(client: Any, connection: Any) -> None:
    signed_in(client, connection(upstream=OKTA_SIGNOUT))
    client.post(urls.logout())

    hop = client.get(urls.logout_upstream(), {"post_logout_redirect_uri": "https://evil.test/",
                                             "upstream_logout_url": "https://evil.test/",
                                             "next": "https://evil.test/"})

    assert urlsplit(hop["Location"]).netloc == "acme.okta.test"
    assert query(hop["Location"]) == {"post_logout_redirect_uri": [urls.logged_out_url()]}


def test_without_a_logout_first_the_hop_only_leads_home(client: Any, connection: Any) -> None:
    connection(upstream=OKTA_SIGNOUT)

    hop = client.get(urls.logout_upstream(), {"post_logout_redirect_uri": "https://evil.test/"})

    assert hop.status_code == 302
    assert hop["Location"] == "http://testserver/login/?logged_out=1"


def test_an_old_mark_is_not_honoured(client: Any, connection: Any) -> None:
    conn = connection(upstream=OKTA_SIGNOUT)
    session = client.session
    session[UPSTREAM_LOGOUT_KEY] = {"connection": conn.pk, "at": time.time() - 3600}
    session.save()

    assert client.get(urls.logout_upstream())["Location"] == "http://testserver/login/?logged_out=1"


def test_without_upstream_logout_url_cognito_returns_straight_home(client: Any, connection: Any) -> None:
    signed_in(client, connection(upstream=""))

    cognito = client.post(urls.logout())

    assert query(cognito["Location"]) == {"client_id": ["acme-client"], "logout_uri": [urls.logged_out_url()]}
    assert UPSTREAM_LOGOUT_KEY not in client.session


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        # Entra ID: the tenant's end-session endpoint; we add where to come back to.
        ("https://login.microsoftonline.com/tid/oauth2/v2.0/logout",
         {"post_logout_redirect_uri": [urls.logged_out_url()]}),
        # Keycloak needs client_id with post_logout_redirect_uri: fixed parameters are kept.
        ("https://kc.acme.test/realms/acme/protocol/openid-connect/logout?client_id=app",
         {"client_id": ["app"], "post_logout_redirect_uri": [urls.logged_out_url()]}),
        # A URL that already says where to return is used exactly as configured.
        ("https://idp.acme.test/logout?post_logout_redirect_uri=https%3A%2F%2Fapp.test%2Fbye",
         {"post_logout_redirect_uri": ["https://app.test/bye"]}),
    ],
)
def test_upstream_url_parameters(client: Any, connection: Any, configured: str, expected: dict[str, list[str]]) -> None:
    signed_in(client, connection(upstream=configured))
    client.post(urls.logout())

    hop = client.get(urls.logout_upstream())

    assert hop["Location"].split("?")[0] == configured.split("?")[0]
    assert query(hop["Location"]) == expected

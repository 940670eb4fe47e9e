"""Cognito's /logout (both forms) and the upstream IdP session it does not end."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from tenant_sso.devidp import DevIdPServer

from .helpers import CALLBACK, LOGGED_OUT, Browser, config, new_client, query_of

Factory = Callable[..., DevIdPServer]


def test_logout_clears_the_session_and_redirects(server: DevIdPServer, browser: Browser) -> None:
    browser.login()
    assert browser.authorize().status_code == 302  # silent SSO
    response = browser.http.get(server.logout_url("acme-client", LOGGED_OUT))
    assert response.status_code == 302
    assert response.headers["location"] == LOGGED_OUT
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith("devidp_session=;") and "Max-Age=0" in set_cookie
    assert browser.authorize().status_code == 200  # the login page again


def test_logout_also_ends_the_session_server_side(server: DevIdPServer, browser: Browser) -> None:
    browser.login()
    stolen = browser.http.cookies.get("devidp_session")
    browser.http.get(server.logout_url("acme-client", LOGGED_OUT))
    with new_client(cookies={"devidp_session": stolen}) as replay:
        assert replay.get(server.authorize_url("acme-client", CALLBACK)).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"client_id": "acme-client", "logout_uri": "https://evil.test/"},
        {"client_id": "acme-client", "logout_uri": LOGGED_OUT + "?x=1"},
        {"client_id": "nobody", "logout_uri": LOGGED_OUT},
        {"logout_uri": LOGGED_OUT},
        {"client_id": "acme-client"},
        {"client_id": "acme-client", "redirect_uri": "https://evil.test/", "response_type": "code"},
    ],
)
def test_logout_only_to_registered_urls(
    shared_server: DevIdPServer, shared_browser: Browser, query: dict[str, str]
) -> None:
    shared_browser.login()
    response = shared_browser.http.get(f"{shared_server.base_url}/logout?{urlencode(query)}")
    assert response.status_code == 400
    assert "location" not in response.headers and "set-cookie" not in response.headers
    assert shared_browser.authorize().status_code == 302  # still signed in


def test_logout_then_login_form(server: DevIdPServer, browser: Browser) -> None:
    browser.login()
    query = {
        "client_id": "acme-client",
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid",
        "state": "after-logout",
    }
    response = browser.http.get(f"{server.base_url}/logout?{urlencode(query)}")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(f"{server.base_url}/oauth2/authorize?")
    assert query_of(location) == query
    page = browser.http.get(location)
    assert page.status_code == 200 and "Sign in to AcmeOkta" in page.text


def test_upstream_session_survives_cognito_logout(devidp_factory: Factory) -> None:
    cfg = config()
    cfg["identity_providers"][0]["remember_upstream_session"] = True
    server = devidp_factory(cfg)
    with new_client(follow_redirects=False) as http:
        browser = Browser(server, http)
        browser.login()
        http.get(server.logout_url("acme-client", LOGGED_OUT))
        # Cognito forgot the user, the upstream IdP did not: the next login passes silently.
        again = browser.authorize(state="s")
        assert again.status_code == 302 and query_of(again.headers["location"])["code"]
        bad = http.get(
            f"{server.base_url}/upstream/AcmeOkta/logout?post_logout_redirect_uri=https://evil.test/"
        )
        assert bad.status_code == 400
        upstream = http.get(
            f"{server.base_url}/upstream/AcmeOkta/logout?post_logout_redirect_uri={LOGGED_OUT}"
        )
        assert upstream.status_code == 302 and upstream.headers["location"] == LOGGED_OUT
        http.get(server.logout_url("acme-client", LOGGED_OUT))
        assert browser.authorize().status_code == 200
        assert http.get(f"{server.base_url}/upstream/Nobody/logout").status_code == 404

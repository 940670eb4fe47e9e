"""The authorization-code flow end to end over HTTP, and the ID/access token claims."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tenant_sso.devidp import DevIdPServer

from .helpers import CALLBACK, POOL, Browser, config, exchange, new_client, pkce_pair, query_of, rp, verify

Factory = Callable[..., DevIdPServer]


def test_login_page_lists_the_idp_users(browser: Browser) -> None:
    page = browser.authorize(state="s1")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>AcmeOkta - Sign in</title>" in page.text
    assert '<button type="submit" class="user" name="user" value="alice@acme.test">' in page.text
    assert "engineering, sso-admins" in page.text
    assert 'id="email" name="email"' in page.text and 'id="sign-in"' in page.text
    assert 'id="cancel"' in page.text
    assert "set-cookie" not in page.headers  # no session before signing in


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_full_code_flow(server: DevIdPServer, browser: Browser, auth: str) -> None:
    verifier, challenge = pkce_pair()
    before = int(time.time())
    callback = browser.login(
        state="st-1", nonce="n-1", code_challenge=challenge, code_challenge_method="S256"
    )
    assert callback["state"] == "st-1" and callback["code"]
    cookie = browser.http.cookies.get("devidp_session")
    assert cookie

    response = exchange(server, callback["code"], auth=auth, code_verifier=verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"id_token", "access_token", "refresh_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600

    header, claims = verify(server, body["id_token"])
    assert header["alg"] == "RS256" and header["kid"] == server.idp.keys.current.kid
    assert claims["iss"] == server.issuer
    assert claims["aud"] == "acme-client"
    assert claims["token_use"] == "id"
    assert claims["nonce"] == "n-1"
    assert claims["sub"] != "00u1alice" and len(claims["sub"]) == 36
    assert claims["cognito:username"] == "AcmeOkta_00u1alice"
    assert claims["cognito:groups"] == [f"{POOL}_AcmeOkta"]
    assert claims["email"] == "alice@acme.test" and claims["email_verified"] is True
    assert claims["given_name"] == "Alice" and claims["family_name"] == "Anders"
    assert claims["custom:groups"] == "[engineering, sso-admins]"
    assert claims["custom:roles"] == "[admin]"
    assert before <= claims["auth_time"] <= claims["iat"] < claims["exp"] == claims["iat"] + 3600
    assert isinstance(claims["identities"], str)
    (identity,) = json.loads(claims["identities"])
    assert identity["userId"] == "00u1alice" and identity["providerName"] == "AcmeOkta"
    assert identity["providerType"] == "OIDC" and identity["issuer"] is None
    assert identity["primary"] == "true" and identity["dateCreated"].isdigit()

    _, access = verify(server, body["access_token"])
    assert access["token_use"] == "access" and access["client_id"] == "acme-client"
    assert "aud" not in access and access["scope"] == "openid"
    assert access["sub"] == claims["sub"] and access["username"] == "AcmeOkta_00u1alice"
    assert access["iss"] == server.issuer and access["jti"]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("bracketed", "[engineering, sso-admins]"),
        ("json", '["engineering","sso-admins"]'),
        ("single", "engineering"),
    ],
)
def test_custom_groups_formats(devidp_factory: Factory, fmt: str, expected: str) -> None:
    server = devidp_factory(config(groups_format=fmt))
    with new_client() as http:
        callback = Browser(server, http).login()
    _, claims = verify(server, exchange(server, callback["code"]).json()["id_token"])
    assert claims["custom:groups"] == expected


def test_user_without_groups_has_no_custom_groups_claim(server: DevIdPServer, browser: Browser) -> None:
    callback = browser.login("nogroups@acme.test")
    _, claims = verify(server, exchange(server, callback["code"]).json()["id_token"])
    assert "custom:groups" not in claims and "custom:roles" not in claims
    assert "nonce" not in claims


def test_typed_email_and_unknown_email(server: DevIdPServer, browser: Browser) -> None:
    page = browser.authorize(state="s")
    fields = dict(
        (name, value)
        for name, value in __import__("re").findall(
            r'name="(request_id|csrf_token)" value="([^"]*)"', page.text
        )
    )
    unknown = browser.http.post(
        f"{server.base_url}/login", data={**fields, "email": "eve@evil.test", "action": "sign-in"}
    )
    assert unknown.status_code == 400
    assert 'id="error"' in unknown.text and "No account for eve@evil.test" in unknown.text
    empty = browser.http.post(f"{server.base_url}/login", data={**fields, "email": "", "action": "sign-in"})
    assert empty.status_code == 400 and "Enter your email" in empty.text
    # The same pending request still works, with any capitalisation of the email.
    typed = browser.http.post(
        f"{server.base_url}/login", data={**fields, "email": "Alice@ACME.test", "action": "sign-in"}
    )
    assert typed.status_code == 302
    assert query_of(typed.headers["location"])["state"] == "s"
    # ... and only once.
    again = browser.http.post(f"{server.base_url}/login", data={**fields, "email": "alice@acme.test"})
    assert again.status_code == 400


def test_csrf_token_must_match(server: DevIdPServer, browser: Browser) -> None:
    from tests.support.html import hidden_fields

    fields = hidden_fields(browser.authorize().text)
    forged = browser.http.post(
        f"{server.base_url}/login", data={**fields, "csrf_token": "forged", "user": "alice@acme.test"}
    )
    assert forged.status_code == 400 and "location" not in forged.headers


def test_cancel_is_access_denied(server: DevIdPServer, browser: Browser) -> None:
    from tests.support.html import hidden_fields

    fields = hidden_fields(browser.authorize(state="s-9").text)
    denied = browser.http.post(f"{server.base_url}/login", data={**fields, "action": "cancel"})
    assert denied.status_code == 302
    params = query_of(denied.headers["location"])
    assert params["error"] == "access_denied" and params["state"] == "s-9" and params["error_description"]
    assert "code" not in params


def test_pkce_wrong_or_missing_verifier(server: DevIdPServer, browser: Browser) -> None:
    verifier, challenge = pkce_pair()
    code = browser.login(code_challenge=challenge, code_challenge_method="S256")["code"]
    wrong = exchange(server, code, code_verifier=pkce_pair()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # The failed attempt burnt the code.
    assert exchange(server, code, code_verifier=verifier).json()["error"] == "invalid_grant"

    code = browser.login(code_challenge=challenge, code_challenge_method="S256")["code"]
    assert exchange(server, code).json()["error"] == "invalid_grant"

    code = browser.login()["code"]  # no challenge, but a verifier
    assert exchange(server, code, code_verifier=verifier).json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "params",
    [
        {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
        {"code_challenge": "x" * 43},
        {"code_challenge_method": "S256"},
        {"code_challenge": "short", "code_challenge_method": "S256"},
    ],
)
def test_pkce_authorize_errors(shared_browser: Browser, params: dict[str, str]) -> None:
    response = shared_browser.authorize(state="s", **params)
    assert response.status_code == 302
    assert query_of(response.headers["location"]) | {"error_description": ""} == {
        "error": "invalid_request",
        "error_description": "",
        "state": "s",
    }


def test_code_reuse_rejected(server: DevIdPServer, browser: Browser) -> None:
    code = browser.login()["code"]
    assert exchange(server, code).status_code == 200
    reused = exchange(server, code)
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "the authorization code was already used",
    }


def test_expired_code_rejected(server: DevIdPServer, browser: Browser) -> None:
    server.idp.code_ttl = 0.2
    code = browser.login()["code"]
    time.sleep(0.3)
    expired = exchange(server, code)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"
    assert "expired" in expired.json()["error_description"]


def test_code_is_bound_to_client_and_redirect_uri(server: DevIdPServer, browser: Browser) -> None:
    code = browser.login()["code"]
    other = exchange(server, code, client_id="globex-client", secret="globex-secret")
    assert other.json()["error"] == "invalid_grant"
    code = browser.login()["code"]
    mismatch = exchange(server, code, redirect_uri="http://127.0.0.1:8000/other/")
    assert mismatch.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"auth": "post", "secret": "wrong"}, 400, "invalid_client"),
        ({"auth": "post", "client_id": "nobody"}, 400, "invalid_client"),
        ({"grant_type": "password"}, 400, "unauthorized_client"),
        ({"grant_type": "client_credentials"}, 400, "unauthorized_client"),
        ({"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}, 400, "unsupported_grant_type"),
        ({"code": "not-a-code"}, 400, "invalid_grant"),
    ],
)
def test_token_errors(
    shared_server: DevIdPServer, shared_browser: Browser, kwargs: dict[str, Any], status: int, error: str
) -> None:
    code = kwargs.pop("code", None) or shared_browser.login()["code"]
    response = exchange(shared_server, code, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error and response.json()["error_description"]
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")


def test_token_request_shape_errors(server: DevIdPServer) -> None:
    url = f"{server.base_url}/oauth2/token"
    auth = ("acme-client", "acme-secret")
    no_auth = rp().post(url, data={"grant_type": "authorization_code", "code": "x", "redirect_uri": CALLBACK})
    assert no_auth.status_code == 401 and no_auth.json()["error"] == "invalid_client"
    assert rp().post(url, data={}, auth=auth).json()["error"] == "invalid_request"
    missing = rp().post(url, data={"grant_type": "authorization_code", "redirect_uri": CALLBACK}, auth=auth)
    assert missing.json()["error"] == "invalid_request"
    as_json = rp().post(url, json={"grant_type": "authorization_code"}, auth=auth)
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    both = rp().post(
        url,
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "redirect_uri": CALLBACK,
            "client_secret": "acme-secret",
        },
        auth=auth,
    )
    assert both.json()["error"] == "invalid_request"
    twice = rp().post(
        url,
        content="grant_type=authorization_code&grant_type=refresh_token",
        auth=auth,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert twice.status_code == 400 and twice.json()["error"] == "invalid_request"
    garbage = rp().post(
        url, data={"grant_type": "authorization_code"}, headers={"Authorization": "Basic %%%"}
    )
    assert garbage.status_code == 401 and garbage.json()["error"] == "invalid_client"


def test_basic_credentials_are_form_urlencoded(devidp_factory: Factory) -> None:
    """RFC 6749 2.3.1: the id and secret are form-urlencoded before Base64."""
    import base64

    server = devidp_factory(config(client_secret="s3cr:t+/ &"))
    with new_client() as http:
        code = Browser(server, http).login()["code"]
    raw = "acme-client:" + "s3cr%3At%2B%2F+%26"
    response = rp().post(
        f"{server.base_url}/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        headers={"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "email"}, "invalid_scope"),
        ({"scope": "openid aws.cognito.signin.user.admin"}, "invalid_scope"),
        ({"identity_provider": "GlobexEntra"}, "invalid_request"),
        ({"idp_identifier": "globex.test"}, "invalid_request"),
        ({"prompt": "sometimes"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_authorize_errors_redirect(shared_browser: Browser, params: dict[str, str], error: str) -> None:
    response = shared_browser.authorize(state="st", **params)
    assert response.status_code == 302
    result = query_of(response.headers["location"])
    assert response.headers["location"].startswith(CALLBACK)
    assert result["error"] == error and result["state"] == "st" and result["error_description"]


@pytest.mark.parametrize(
    "url",
    [
        "/oauth2/authorize?response_type=code&client_id=nobody&redirect_uri={cb}&scope=openid",
        "/oauth2/authorize?response_type=code&client_id=acme-client&redirect_uri=https://evil.test/&scope=openid",
        "/oauth2/authorize?response_type=code&client_id=acme-client&scope=openid",
        "/oauth2/authorize?response_type=code&redirect_uri={cb}&scope=openid",
        "/oauth2/authorize?response_type=code&client_id=acme-client&client_id=globex-client&redirect_uri={cb}",
    ],
)
def test_unknown_client_or_redirect_mismatch_is_an_error_page(shared_browser: Browser, url: str) -> None:
    response = shared_browser.http.get(shared_browser.server.base_url + url.format(cb=CALLBACK))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "An error was encountered" in response.text


def test_identity_provider_and_idp_identifier(server: DevIdPServer, browser: Browser) -> None:
    direct = browser.authorize(identity_provider="AcmeOkta")
    assert direct.status_code == 200 and "Sign in to AcmeOkta" in direct.text
    by_domain = browser.authorize(idp_identifier="ACME.test")
    assert by_domain.status_code == 200 and "Sign in to AcmeOkta" in by_domain.text
    by_email = browser.authorize(idp_identifier="someone@acme.test")
    assert by_email.status_code == 200


def test_silent_sso_on_second_authorize(server: DevIdPServer, browser: Browser) -> None:
    first = browser.login(nonce="n1")
    _, first_claims = verify(server, exchange(server, first["code"]).json()["id_token"])
    server.idp.clock = lambda: time.time() + 5  # the second login happens later
    second = browser.authorize(state="again", nonce="n2")
    assert second.status_code == 302, second.text
    params = query_of(second.headers["location"])
    assert params["state"] == "again"
    _, claims = verify(server, exchange(server, params["code"]).json()["id_token"])
    assert claims["nonce"] == "n2"
    assert claims["sub"] == first_claims["sub"]
    assert claims["auth_time"] == first_claims["auth_time"] < claims["iat"]
    # A client whose IdP is another one does not get this session; prompt=login forces the page.
    assert browser.authorize("globex-client").status_code == 200
    assert browser.authorize(prompt="login").status_code == 200
    prompt_none = browser.authorize(prompt="none")
    assert prompt_none.status_code == 302 and "code=" in prompt_none.headers["location"]


def test_session_cookie_attributes(browser: Browser) -> None:
    from tests.support.html import hidden_fields

    fields = hidden_fields(browser.authorize().text)
    answer = browser.http.post(f"{browser.server.base_url}/login", data={**fields, "user": "alice@acme.test"})
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith("devidp_session=")
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Path=/" in set_cookie
    assert "sessionid" not in set_cookie and "csrftoken" not in set_cookie


def test_refresh_token_grant(server: DevIdPServer, browser: Browser) -> None:
    tokens = exchange(server, browser.login(nonce="n")["code"]).json()
    _, original = verify(server, tokens["id_token"])
    server.idp.clock = lambda: time.time() + 10
    url = f"{server.base_url}/oauth2/token"
    refreshed = rp().post(
        url,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("acme-client", "acme-secret"),
    )
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert "refresh_token" not in body and body["token_type"] == "Bearer"
    _, claims = verify(server, body["id_token"])
    assert claims["sub"] == original["sub"] and claims["auth_time"] == original["auth_time"]
    assert claims["iat"] > original["iat"] and "nonce" not in claims
    other_client = rp().post(
        url,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("globex-client", "globex-secret"),
    )
    assert other_client.json()["error"] == "invalid_grant"
    bogus = rp().post(
        url,
        data={"grant_type": "refresh_token", "refresh_token": "nope"},
        auth=("acme-client", "acme-secret"),
    )
    assert bogus.json()["error"] == "invalid_grant"


def test_userinfo_and_revoke(server: DevIdPServer, browser: Browser) -> None:
    tokens = exchange(server, browser.login()["code"]).json()
    url = f"{server.base_url}/oauth2/userInfo"
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    info = rp().get(url, headers=bearer)
    assert info.status_code == 200
    data = info.json()
    _, claims = verify(server, tokens["id_token"])
    assert data["sub"] == claims["sub"] and data["username"] == "AcmeOkta_00u1alice"
    assert data["email"] == "alice@acme.test" and data["email_verified"] == "true"
    assert data["custom:groups"] == "[engineering, sso-admins]"
    assert rp().post(url, headers=bearer).status_code == 200

    assert rp().get(url).status_code == 401
    assert rp().get(url, headers={"Authorization": "Bearer garbage"}).status_code == 401
    id_as_access = rp().get(url, headers={"Authorization": f"Bearer {tokens['id_token']}"})
    assert id_as_access.status_code == 401 and id_as_access.json()["error"] == "invalid_token"

    server.idp.clock = lambda: time.time() + 7200
    assert rp().get(url, headers=bearer).status_code == 401  # expired
    server.idp.clock = time.time

    revoke = f"{server.base_url}/oauth2/revoke"
    assert (
        rp().post(revoke, data={"token": tokens["refresh_token"]}, auth=("acme-client", "wrong")).status_code
        == 401
    )
    assert rp().post(revoke, data={}, auth=("acme-client", "acme-secret")).status_code == 400
    assert (
        rp()
        .post(revoke, data={"token": tokens["refresh_token"]}, auth=("acme-client", "acme-secret"))
        .status_code
        == 200
    )
    refreshed = rp().post(
        f"{server.base_url}/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("acme-client", "acme-secret"),
    )
    assert refreshed.json()["error"] == "invalid_grant"
    # Revocation also ends the access tokens of that family at userInfo (as in Cognito).
    assert rp().get(url, headers=bearer).status_code == 401


def test_groups_change_shows_at_next_interactive_login(server: DevIdPServer, browser: Browser) -> None:
    idp = server.idp
    idp.set_groups("AcmeOkta", "alice@acme.test", ["R&D", "engineering"])
    # Silent SSO from an existing session keeps the pool user's old attributes ...
    first = browser.login()
    idp.set_groups("AcmeOkta", "alice@acme.test", ["sales"])
    silent = query_of(browser.authorize().headers["location"])
    _, claims = verify(server, exchange(server, silent["code"]).json()["id_token"])
    assert claims["custom:groups"] == "[R%26D, engineering]"
    assert first["code"] != silent["code"]
    # ... a fresh interactive login syncs them.
    relogin = browser.login(prompt="login")
    _, claims = verify(server, exchange(server, relogin["code"]).json()["id_token"])
    assert claims["custom:groups"] == "[sales]"
    idp.set_groups("AcmeOkta", "alice@acme.test", [])
    tokens = idp.issue_tokens_for("acme-client", "alice@acme.test")
    assert "custom:groups" not in verify(server, tokens["id_token"])[1]


def test_keep_stale_attributes_emulates_cognito(devidp_factory: Factory) -> None:
    cfg = config()
    cfg["identity_providers"][0]["keep_stale_attributes"] = True
    server = devidp_factory(cfg)
    idp = server.idp
    idp.issue_tokens_for("acme-client", "alice@acme.test")
    idp.set_groups("AcmeOkta", "alice@acme.test", [])
    tokens = idp.issue_tokens_for("acme-client", "alice@acme.test")
    assert verify(server, tokens["id_token"])[1]["custom:groups"] == "[engineering, sso-admins]"


def test_groups_too_long_cannot_sign_in(server: DevIdPServer, browser: Browser) -> None:
    from tenant_sso.devidp import DevIdPSignInError
    from tests.support.html import hidden_fields

    browser.login()  # signed in with short groups
    server.idp.set_groups("AcmeOkta", "alice@acme.test", [f"group-{i:04d}-{'x' * 40}" for i in range(60)])
    fields = hidden_fields(browser.authorize(state="s", prompt="login").text)
    answer = browser.http.post(f"{server.base_url}/login", data={**fields, "user": "alice@acme.test"})
    params = query_of(answer.headers["location"])
    assert params["error"] == "invalid_request" and "custom:groups" in params["error_description"]
    assert params["state"] == "s" and "code" not in params
    with pytest.raises(DevIdPSignInError, match="2048"):
        server.idp.issue_tokens_for("acme-client", "alice@acme.test")
    # The refused sign-in left the pool user as it was.
    pool_user = server.idp.pool_user("AcmeOkta", "alice@acme.test")
    assert pool_user is not None and pool_user.custom_groups == "[engineering, sso-admins]"


def test_chooser_for_a_client_with_two_idps(devidp_factory: Factory) -> None:
    server = devidp_factory(config(identity_providers=["AcmeOkta", "GlobexEntra"]))
    with new_client() as http:
        page = http.get(server.authorize_url("acme-client", CALLBACK, state="s"))
        assert page.status_code == 200
        assert 'data-idp="AcmeOkta"' in page.text and 'data-idp="GlobexEntra"' in page.text
    redirect = server.idp.complete_login(
        server.authorize_url("acme-client", CALLBACK, state="s"), "carol@globex.test"
    )
    params = query_of(redirect)
    _, claims = verify(server, exchange(server, params["code"]).json()["id_token"])
    assert claims["cognito:username"] == "GlobexEntra_entra-carol"
    assert claims["custom:groups"] == '["g1"]'


def test_complete_login_in_process(server: DevIdPServer) -> None:
    url = server.authorize_url("acme-client", CALLBACK, state="abc", nonce="xyz")
    redirect = server.idp.complete_login(url, "alice@acme.test")
    params = query_of(redirect)
    assert redirect.startswith(CALLBACK) and params["state"] == "abc"
    assert verify(server, exchange(server, params["code"]).json()["id_token"])[1]["nonce"] == "xyz"
    from tenant_sso.devidp import DevIdPLookupError

    with pytest.raises(DevIdPLookupError, match="redirect_mismatch"):
        server.idp.complete_login(
            server.authorize_url("acme-client", "https://evil.test/"), "alice@acme.test"
        )
    with pytest.raises(DevIdPLookupError, match=r"eve@acme\.test"):
        server.idp.complete_login(url, "eve@acme.test")

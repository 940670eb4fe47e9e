"""The example app against panva's OpenID Certified ``oidc-provider``, over real HTTP.

Each test runs against both providers (``tenant`` is parametrized): the plain OIDC one
(``kind=oidc``: discovery, client_secret_post, RP-Initiated Logout) and the Cognito-shaped one
(``kind=cognito``: fixed routes, client_secret_basic, Cognito's ``/logout``). The browser side is
httpx following redirects and submitting the provider's login and consent forms.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin

import httpx
import pytest

from tests.interop.harness import Browser, Interop, Tenant, login, query_of, signing_key
from tests.support import urls

pytestmark = pytest.mark.node


def me(agent: Browser, interop: Interop) -> httpx.Response:
    return agent.me(interop.app)


def authorize_request(agent: Browser, tenant: Tenant) -> dict[str, str]:
    """The authorization request the app sent (the first URL visited on the provider)."""
    url = next(u for u in agent.visited if u.startswith(tenant.op.base_url))
    return query_of(url)


def jwks_fetches(tenant: Tenant) -> int:
    return sum(n for path, n in tenant.op.stats().items() if "jwks" in path)


def test_login_admits_an_allowed_user_with_groups_from_the_id_token(
    agent: Browser, interop: Interop, tenant: Tenant
) -> None:
    page, prompts = login(agent, interop, tenant, tenant.allowed)

    assert page.status_code == 200, page.text[:500]
    assert prompts[0] == "login"
    request = authorize_request(agent, tenant)
    assert request["code_challenge_method"] == "S256"  # the provider requires PKCE for every client
    assert request["scope"].split()[0] == "openid"
    profile = me(agent, interop).json()
    assert profile["authenticated"] is True
    assert profile["organization"] == tenant.org
    assert profile["idp_groups"] == ["engineering", "sso-admins"]
    assert profile["groups"] == (["Administrators", "Engineers"] if tenant.kind == "oidc" else ["Engineers"])
    if tenant.kind == "cognito":  # Cognito puts every readable attribute in the ID token
        assert profile["email"] == "alice@umbrella.test"
        assert request["identity_provider"] == "UmbrellaEntra"  # skips Cognito's own page


def test_a_direct_oidc_user_gets_the_email_the_provider_holds(agent: Browser, interop: Interop) -> None:
    tenant = interop.tenants["oidc"]
    login(agent, interop, tenant, tenant.allowed)

    assert me(agent, interop).json()["email"] == "alice@initech.test"


def test_a_second_login_passes_silently_while_the_provider_session_lives(
    agent: Browser, interop: Interop, tenant: Tenant
) -> None:
    login(agent, interop, tenant, tenant.allowed)
    agent.http.cookies.delete("sessionid")  # the app session is gone, the provider's is not

    page, prompts = login(agent, interop, tenant, tenant.allowed)

    assert prompts == []
    assert page.status_code == 200
    assert me(agent, interop).status_code == 200


@pytest.mark.parametrize(("who", "code"), [("refused", "not_in_allowed_group"), ("groupless", "groups_missing")])
def test_a_user_in_no_allowed_group_is_refused(
    agent: Browser, interop: Interop, tenant: Tenant, who: str, code: str
) -> None:
    page, _ = login(agent, interop, tenant, getattr(tenant, who))

    assert page.status_code == 403
    assert code in page.text
    assert me(agent, interop).status_code == 401


def test_userinfo_when_enabled_is_called_and_agrees_on_sub(agent: Browser, interop: Interop, tenant: Tenant) -> None:
    def userinfo_calls() -> int:
        return sum(n for path, n in tenant.op.stats().items() if path.lower().endswith(("/me", "/userinfo")))

    before = userinfo_calls()
    interop.app.update_connection(tenant.org, use_userinfo=True)
    try:
        page, _ = login(agent, interop, tenant, tenant.allowed)
    finally:
        interop.app.update_connection(tenant.org, use_userinfo=False)

    assert page.status_code == 200, page.text[:500]
    assert me(agent, interop).json()["idp_groups"] == ["engineering", "sso-admins"]
    assert userinfo_calls() == before + 1


def test_logout_ends_the_app_and_the_provider_sessions(agent: Browser, interop: Interop, tenant: Tenant) -> None:
    login(agent, interop, tenant, tenant.allowed)

    leaving = agent.logout(interop.app)

    assert leaving.status_code == 302
    assert me(agent, interop).status_code == 401
    to_provider = leaving.headers["location"]
    params = query_of(to_provider)
    if tenant.kind == "oidc":  # RP-Initiated Logout 1.0, from the discovered end_session_endpoint
        assert set(params) == {"client_id", "post_logout_redirect_uri", "id_token_hint", "state"}
        confirm = agent.get(to_provider)
        assert confirm.status_code == 200  # oidc-provider asks "Do you want to sign-out?"
        home = agent.submit(confirm, {}, button=("logout", "yes"))
        assert query_of(agent.visited[-1])["state"] == params["state"]
    else:  # Cognito: GET /logout?client_id&logout_uri, no confirmation
        assert to_provider.startswith(f"{tenant.op.base_url}/logout?")
        assert set(params) == {"client_id", "logout_uri"}
        home = agent.get(to_provider)
    assert home.status_code == 200
    assert home.url.port == interop.app.port and home.url.path == "/login/"

    _, prompts = login(agent, interop, tenant, tenant.allowed)
    assert prompts[:1] == ["login"]  # the provider forgot the user: no silent login


def test_cognito_logout_can_end_the_upstream_idp_session_too(agent: Browser, interop: Interop) -> None:
    """The Okta-like provider plays the customer's upstream IdP behind the Cognito-shaped one."""
    okta, cognito = interop.tenants["oidc"], interop.tenants["cognito"]
    end_session = httpx.get(f"{okta.op.issuer}/.well-known/openid-configuration").json()["end_session_endpoint"]
    interop.app.update_connection("umbrella", upstream_logout_url=f"{end_session}?client_id=initech-app")
    try:
        login(agent, interop, okta, okta.allowed)  # a session at the upstream IdP
        login(agent, interop, cognito, cognito.allowed)

        leaving = agent.logout(interop.app)
        at_upstream = agent.get(leaving.headers["location"])  # Cognito /logout, then our hop, then Okta

        assert at_upstream.url.port == okta.op.config["port"]
        assert any(urls.logout_upstream() in u for u in agent.visited)
        home = agent.submit(at_upstream, {}, button=("logout", "yes"))
        assert home.url.path == "/login/" and home.url.port == interop.app.port
        _, prompts = login(agent, interop, okta, okta.allowed)
        assert prompts[:1] == ["login"]  # the upstream session is over too
    finally:
        interop.app.update_connection("umbrella", upstream_logout_url="")


def test_cancelling_at_the_provider_is_its_own_reason_code(agent: Browser, interop: Interop) -> None:
    """oidc-provider's Cancel link answers ``access_denied`` ("End-User aborted interaction")."""
    tenant = interop.tenants["oidc"]
    page = agent.start_login(interop.app, tenant.org)
    cancel = re.search(r'href="([^"]*/abort)"', page.text)
    assert cancel, page.text[:500]

    page = agent.get(urljoin(str(page.url), unescape(cancel[1])))

    assert page.status_code == 400 and page.url.port == interop.app.port
    assert "idp_cancelled" in page.text and "cancelled at your identity provider" in page.text
    assert me(agent, interop).status_code == 401


def test_key_rotation_is_picked_up_with_one_jwks_refetch(agent: Browser, interop: Interop, tenant: Tenant) -> None:
    """Runs last: the provider restarts with a new key set; the app holds the old one in cache."""
    login(agent, interop, tenant, tenant.allowed)  # the app has cached the current JWKS
    old_kid = tenant.op.kids[0]
    tenant.op.restart(keys=[signing_key(f"{tenant.kind}-key-2"), signing_key(f"{tenant.kind}-key-3")])
    assert old_kid not in tenant.op.kids

    agent.http.cookies.clear()
    page, prompts = login(agent, interop, tenant, tenant.allowed)

    assert prompts[:1] == ["login"]  # a new provider process: its sessions are gone
    assert page.status_code == 200, page.text[:500]
    assert me(agent, interop).json()["organization"] == tenant.org
    assert jwks_fetches(tenant) == 1  # unknown kid -> one refetch

    agent.http.cookies.delete("sessionid")
    login(agent, interop, tenant, tenant.allowed)
    assert jwks_fetches(tenant) == 1  # and then served from the cache


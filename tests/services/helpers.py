"""Driving the example app over real HTTP: the identity provider, tenants, a browser's session.

With ``DJANGO_DEBUG=0`` the app's cookies are ``Secure``, which an ``http://127.0.0.1`` client
would never send back; :class:`AppBrowser` keeps the app's cookies itself, which also lets a
test hand one session cookie from one app process to another.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import httpx

from tenant_sso.devidp import DevIdP, DevIdPConfig, DevIdPServer
from tests.services import servers
from tests.support import urls
from tests.support.driver import IdPBrowser
from tests.support.html import parse_forms

ENGINEERS = ["engineering", "sso-admins"]


def acme_users(count: int = 0) -> list[dict[str, Any]]:
    """Alice, plus ``count`` more engineers ``user<i>@acme.test``."""
    users = [{"sub": "00u-alice", "email": "alice@acme.test", "email_verified": True,
              "given_name": "Alice", "groups": ENGINEERS}]
    users += [{"sub": f"00u-user{i}", "email": f"user{i}@acme.test", "email_verified": True,
               "groups": ENGINEERS} for i in range(count)]
    return users


def start_idp(app_urls: list[str], *, users: int = 0, port: int = 0) -> tuple[DevIdP, DevIdPServer]:
    """The local identity provider with one client ``acme-client`` whose callbacks are the apps'."""
    config = DevIdPConfig.from_dict({
        "region": "us-east-1",
        "user_pool_id": "us-east-1_Services1",
        "clients": [{"client_id": "acme-client", "client_secret": "acme-secret",
                     "callback_urls": [urls.callback_url(url) for url in app_urls],
                     "logout_urls": [urls.logged_out_url(url) for url in app_urls],
                     "identity_providers": ["AcmeOkta"]}],
        "identity_providers": [{"name": "AcmeOkta", "groups_format": "bracketed", "users": acme_users(users)}],
    })
    idp = DevIdP(config)
    return idp, idp.serve(port=port)


def create_acme(env: dict[str, str], server: DevIdPServer, *, domain: str | None = None) -> None:
    """Organization ``acme`` (domain acme.test) and its Cognito connection, via the management command.

    ``domain``: the hosted domain's URL when not the IdP's own (a proxy in front of it).
    """
    servers.manage(
        {**env, "ACME_SECRET": "acme-secret"},
        "sso_connection", "create", "--org", "acme", "--org-name", "Acme Corp",
        "--email-domain", "acme.test", "--kind", "cognito", "--issuer", server.issuer,
        "--cognito-domain", domain or server.base_url, "--identity-provider", "AcmeOkta",
        "--client-id", "acme-client", "--client-secret-env", "ACME_SECRET",
        "--allowed-group", "engineering", "--allowed-group", "sso-admins",
        "--group-map", "engineering=Engineers", "--group-map", "sso-admins=Administrators",
    )


def services_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = servers.app_env(DATABASE_URL=database_url, REDIS_URL=redis_url)
    env.update(extra)
    return env


@dataclass
class AppBrowser:
    """A browser's side of the app: its cookies, sent to whichever app process it talks to."""

    http: httpx.Client = field(default_factory=lambda: httpx.Client(follow_redirects=False, timeout=30))
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, url: str, *, headers: dict[str, str] | None = None, **params: str) -> httpx.Response:
        headers = {**(headers or {}), **self._cookie_header()}
        return self._keep(self.http.get(url, params=params or None, headers=headers))

    def post(self, url: str, data: dict[str, str]) -> httpx.Response:
        return self._keep(self.http.post(url, data=data, headers=self._cookie_header()))

    def _cookie_header(self) -> dict[str, str]:
        header = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": header} if header else {}

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for value in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def close(self) -> None:
        self.http.close()


def start_login(app: str, browser: AppBrowser, email: str) -> str:
    """``GET /api/oidc/cognito/login/?email=`` on ``app`` shows the confirmation page; its form is
    POSTed with the CSRF token, as a person's click would. Returns the authorization URL."""
    page = browser.get(f"{app}{urls.login()}", email=email)
    assert page.status_code == 200, (page.status_code, page.text[:500])
    form = next(f for f in parse_forms(page.text) if "confirm" in f["hidden"])
    response = browser.post(f"{app}{urls.login()}", form["hidden"])
    assert response.status_code == 302, (response.status_code, response.text[:500])
    return response.headers["location"]


def sign_in_at_idp(authorization_url: str, email: str) -> str:
    """The user signs in at the identity provider; returns the callback URL it redirects to."""
    idp_browser = IdPBrowser.new()
    try:
        answer = idp_browser.authorize(authorization_url, email)
    finally:
        idp_browser.http.close()
    assert answer.status_code in (302, 303), (answer.status_code, answer.text[:500])
    return answer.headers["location"]


def on(app: str, url: str) -> str:
    """``url`` (on any app process) sent to ``app`` instead: same path and query."""
    path = url.split("://", 1)[1].split("/", 1)[1]
    return f"{app}/{path}"


def full_login(app: str, browser: AppBrowser, email: str) -> httpx.Response:
    return browser.get(on(app, sign_in_at_idp(start_login(app, browser, email), email)))


def gunicorn_available() -> bool:
    return os.path.exists(servers.VENV_BIN / "gunicorn")

"""Drive a whole SSO login in tests: the app through Django's test client (or any base URL), the
identity provider over real HTTP with its own cookie jar, as a browser would."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

APP = "http://testserver"
CALLBACK = f"{APP}/api/oidc/cognito/callback/"
LOGIN = "/api/oidc/cognito/login/"
LOGOUT = "/api/oidc/cognito/logout/"
LOGGED_OUT = f"{APP}/login/?logged_out=1"


class _Forms(HTMLParser):
    """Collects forms: action, method and their inputs/buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                               "hidden": {}, "buttons": []})
        elif self.forms and tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.forms[-1]["hidden"][a["name"]] = a.get("value", "")
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1]["buttons"].append((a["name"], a.get("value", "")))


def parse_forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


@dataclass
class IdPBrowser:
    """The user's browser at the identity provider: keeps the IdP's cookies between requests."""

    http: httpx.Client

    @classmethod
    def new(cls) -> IdPBrowser:
        return cls(httpx.Client(follow_redirects=False, timeout=10))

    def authorize(self, url: str, email: str | None) -> httpx.Response:
        """Open the authorization URL; if the login page shows, pick ``email``. Returns the final
        redirect (to the app's callback) or the IdP's page when it did not redirect."""
        response = self.http.get(url)
        if response.status_code in (302, 303) or email is None:
            return response
        for form in parse_forms(response.text):
            if any(name == "user" and value == email for name, value in form["buttons"]):
                data = {**form["hidden"], "user": email}
                action = urljoin(str(response.url), form["action"] or str(response.url))
                return self.http.post(action, data=data)
        raise AssertionError(f"user {email} is not on the identity provider's login page")

    def get(self, url: str) -> httpx.Response:
        return self.http.get(url)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def start_login(client: Any, params: dict[str, str]) -> Any:
    """Start a login as a person arriving from a link would: the GET shows the confirmation page
    naming the organization; its button POSTs the form (CSRF token included). Returns the 302."""
    page = client.get(LOGIN, params)
    assert page.status_code == 200, (page.status_code, getattr(page, "content", b"")[:500])
    form = next(f for f in parse_forms(page.content.decode()) if "confirm" in f["hidden"])
    start = client.post(LOGIN, form["hidden"])
    assert start.status_code == 302, (start.status_code, getattr(start, "content", b"")[:500])
    return start


def sso_login(client: Any, browser: IdPBrowser, *, email: str, org: str | None = None,
              next_url: str | None = None, by_email: bool = False) -> Any:
    """Run a whole login; returns the app's response to the callback."""
    params: dict[str, str] = {"email": email} if by_email else {"org": org or ""}
    if next_url is not None:
        params["next"] = next_url
    start = start_login(client, params)
    answer = browser.authorize(start["Location"], email)
    assert answer.status_code in (302, 303), (answer.status_code, answer.text[:500])
    location = answer.headers["location"]
    assert location.startswith(CALLBACK), location
    return client.get(path_of(location))

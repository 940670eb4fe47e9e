"""The login driver: the app through Django's test client, the identity provider as a browser.

A login starts the way a person's browser starts it:

* :func:`start_login` -- arriving from a link: ``GET login/`` shows the confirmation page naming
  the organization, and its button POSTs the form (``confirm=``, CSRF token included);
* :func:`start` / :func:`post_start` -- a form on this site POSTing ``login/`` directly (what the
  confirmation page and the sign-in page send): one request, so rate-limit and audit counts
  stay those of one start.

The identity provider is then answered over real HTTP by :class:`IdPBrowser` (its own cookie
jar, its login page's form submitted: :func:`sso_login`), or in process by the local IdP
(``idp.complete_login``: :func:`login`, for tests that forge tokens through its hooks).
The live-server drivers (tests/services, tests/interop) keep their own HTTP clients and use
:mod:`tests.support.html` and :mod:`tests.support.urls`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from tests.support import urls
from tests.support.html import parse_forms


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

    def close(self) -> None:
        self.http.close()


def path_of(url: str) -> str:
    """``url``'s path and query: what the test client requests for an absolute URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def state_of(url: str) -> str:
    """The ``state`` parameter of an authorization (or callback) URL."""
    return parse_qs(urlsplit(url).query)["state"][0]


# -- starting a login --------------------------------------------------------------------------
def start_login(client: Any, params: dict[str, str]) -> Any:
    """Start a login as a person arriving from a link would: the GET shows the confirmation page
    naming the organization; its button POSTs the form (CSRF token included). Returns the 302."""
    page = client.get(urls.login(), params)
    assert page.status_code == 200, (page.status_code, getattr(page, "content", b"")[:500])
    form = next(f for f in parse_forms(page.content.decode()) if "confirm" in f["hidden"])
    started = client.post(urls.login(), form["hidden"])
    assert started.status_code == 302, (started.status_code, getattr(started, "content", b"")[:500])
    return started


def post_start(client: Any, org: str = "acme", **params: str) -> Any:
    """POST ``login/`` as a form of this site does; returns the app's answer (a 302 to the IdP,
    or a refusal page)."""
    return client.post(urls.login(), {"org": org, **params})


def start(client: Any, org: str = "acme", **params: str) -> str:
    """Begin a login at the app; return the authorization URL it redirects to."""
    response = post_start(client, org, **params)
    assert response.status_code == 302, (response.status_code, response.content[:300])
    return str(response["Location"])


# -- whole logins ------------------------------------------------------------------------------
def idp_answer(idp: Any, authorize_url: str, email: str) -> str:
    """The user signs in at the local IdP (in process); the callback path with code and state."""
    location = idp.complete_login(authorize_url, email)
    return path_of(location)


def login(client: Any, idp: Any, email: str = "alice@acme.test", org: str = "acme", **params: str) -> Any:
    """A whole login through the test client, the IdP answered in process; returns the app's
    response to the callback."""
    return client.get(idp_answer(idp, start(client, org, **params), email))


def sso_login(client: Any, browser: IdPBrowser, *, email: str, org: str | None = None,
              next_url: str | None = None, by_email: bool = False) -> Any:
    """A whole login from a link, the IdP answered over HTTP by ``browser``; returns the app's
    response to the callback."""
    params: dict[str, str] = {"email": email} if by_email else {"org": org or ""}
    if next_url is not None:
        params["next"] = next_url
    started = start_login(client, params)
    answer = browser.authorize(started["Location"], email)
    assert answer.status_code in (302, 303), (answer.status_code, answer.text[:500])
    location = answer.headers["location"]
    assert location.startswith(urls.callback_url()), location
    return client.get(path_of(location))

"""The one stash: stored under an id, expiring, capped, taken once; in the session, or in the
browser as one sealed cookie per entry (login attempts)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import override_settings

from tenant_sso import stash


class Browser:
    """A session and a cookie jar carried from one request to the next, as a browser would."""

    def __init__(self) -> None:
        self.session: dict[str, Any] = {}
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []

    def request(self, secure: bool = False) -> Any:
        return SimpleNamespace(session=self.session, COOKIES=dict(self.cookies), is_secure=lambda: secure)

    def respond(self, request: Any) -> HttpResponse:
        response = stash.write_cookies(request, HttpResponse())
        for name, morsel in response.cookies.items():
            self.set_cookie_headers.append(morsel.OutputString())
            if morsel["max-age"] == 0:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value
        return response


def attempt_cookies(browser: Browser) -> dict[str, str]:
    return {name: value for name, value in browser.cookies.items() if stash.ATTEMPTS.key in name}


# -- session kinds ----------------------------------------------------------------------------
def test_an_entry_is_taken_once() -> None:
    request = Browser().request()
    id = stash.stash(request, stash.UPSTREAM_LOGOUT, {"connection": 7})
    assert stash.peek(request, stash.UPSTREAM_LOGOUT, id)["connection"] == 7  # type: ignore[index]
    taken = stash.unstash(request, stash.UPSTREAM_LOGOUT, id)
    assert taken is not None and taken.value["connection"] == 7 and not taken.expired
    assert stash.unstash(request, stash.UPSTREAM_LOGOUT, id) is None


def test_a_miss_leaves_the_session_and_the_cookies_untouched() -> None:
    browser = Browser()
    request = browser.request()
    assert stash.unstash(request, stash.ATTEMPTS, "no-such-state") is None
    assert stash.unstash(request, stash.UPSTREAM_LOGOUT, "no-such-id") is None
    browser.respond(request)
    assert browser.session == {} and browser.set_cookie_headers == []


def test_without_an_id_the_newest_is_taken_and_the_kind_cleared() -> None:
    request = Browser().request()
    request.session[stash.UPSTREAM_LOGOUT.key] = {
        "a": {"connection": 1, "at": time.time() - 5},
        "b": {"connection": 2, "at": time.time()},
    }
    taken = stash.unstash(request, stash.UPSTREAM_LOGOUT)
    assert taken is not None and taken.value["connection"] == 2
    assert stash.UPSTREAM_LOGOUT.key not in request.session


# -- cookie kinds: login attempts -------------------------------------------------------------
def test_an_attempt_lives_in_a_sealed_cookie_and_is_taken_once() -> None:
    browser = Browser()
    started = browser.request()
    state = stash.stash(started, stash.ATTEMPTS, {"connection": 1, "verifier": "the-pkce-verifier"})
    browser.respond(started)
    assert browser.session == {}  # nothing on the server
    [(name, sealed)] = attempt_cookies(browser).items()
    assert state not in name and "the-pkce-verifier" not in sealed and "connection" not in sealed

    back = browser.request()
    assert stash.peek(back, stash.ATTEMPTS, state)["verifier"] == "the-pkce-verifier"  # type: ignore[index]
    taken = stash.unstash(back, stash.ATTEMPTS, state)
    assert taken is not None and taken.value["connection"] == 1 and not taken.expired
    browser.respond(back)
    assert attempt_cookies(browser) == {}  # deleted by the response
    assert stash.unstash(browser.request(), stash.ATTEMPTS, state) is None


def one_attempt(secure: bool) -> tuple[Browser, str, str]:
    """A browser that started one login: (the browser, the state, the Set-Cookie header)."""
    browser = Browser()
    request = browser.request(secure=secure)
    state = stash.stash(request, stash.ATTEMPTS, {"connection": 1})
    browser.respond(request)
    [header] = browser.set_cookie_headers
    return browser, state, header


def test_the_cookie_is_http_only_lax_and_on_https_secure_and_host_only() -> None:
    browser, state, header = one_attempt(secure=True)
    # __Host-: no sibling subdomain can set or replace it (the browser refuses such a cookie
    # unless it is Secure, for the whole host, with no Domain).
    assert header.startswith("__Host-tenant_sso_login_") and "Domain" not in header
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header and "Path=/" in header
    assert "Max-Age=660" in header  # STATE_TTL (600) plus a minute
    back = browser.request(secure=True)
    assert stash.unstash(back, stash.ATTEMPTS, state) is not None
    browser.respond(back)
    deleted = browser.set_cookie_headers[-1]  # a browser deletes a __Host- cookie only so
    assert deleted.startswith("__Host-tenant_sso_login_") and "Max-Age=0" in deleted and "Secure" in deleted
    assert attempt_cookies(browser) == {}
    _plain, _state, header = one_attempt(secure=False)
    assert "Secure" not in header and header.startswith("tenant_sso_login_")


@override_settings(SESSION_COOKIE_DOMAIN=".example.com", SESSION_COOKIE_SECURE=True)
def test_the_cookie_has_the_session_cookies_domain() -> None:
    browser, state, header = one_attempt(secure=True)
    assert header.startswith("tenant_sso_login_") and "Domain=.example.com" in header and "Secure" in header
    assert stash.peek(browser.request(secure=True), stash.ATTEMPTS, state) is not None


def test_a_changed_or_moved_cookie_opens_as_nothing() -> None:
    browser = Browser()
    request = browser.request()
    first = stash.stash(request, stash.ATTEMPTS, {"connection": 1})
    second = stash.stash(request, stash.ATTEMPTS, {"connection": 2})
    browser.respond(request)
    cookies = attempt_cookies(browser)
    one, two = (stash._cookie_name(request, stash.ATTEMPTS, state) for state in (first, second))
    # The second attempt's sealed value under the first attempt's name: refused, not swapped in.
    browser.cookies[one] = cookies[two]
    assert stash.peek(browser.request(), stash.ATTEMPTS, first) is None
    # One character of the ciphertext changed (mid-token: every bit there counts): it does not open.
    sealed, middle = cookies[two], len(cookies[two]) // 2
    browser.cookies[two] = sealed[:middle] + ("A" if sealed[middle] != "A" else "B") + sealed[middle + 1 :]
    assert stash.peek(browser.request(), stash.ATTEMPTS, second) is None
    browser.cookies[two] = "not-a-token"
    assert stash.unstash(browser.request(), stash.ATTEMPTS, second) is None


@override_settings(TENANT_SSO_STATE_TTL=60)
def test_an_old_attempt_is_returned_expired_and_still_consumed(monkeypatch: pytest.MonkeyPatch) -> None:
    browser = Browser()
    request = browser.request()
    monkeypatch.setattr(stash.time, "time", lambda: 1_000_000.0)
    state = stash.stash(request, stash.ATTEMPTS, {"connection": 1})
    browser.respond(request)
    monkeypatch.setattr(stash.time, "time", lambda: 1_000_061.0)
    back = browser.request()
    taken = stash.unstash(back, stash.ATTEMPTS, state)
    assert taken is not None and taken.expired
    browser.respond(back)
    assert attempt_cookies(browser) == {}


@override_settings(TENANT_SSO_MAX_PENDING_LOGINS=3)
def test_the_cap_drops_the_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    browser = Browser()
    states = []
    for n in range(5):  # five tabs, one after the other
        monkeypatch.setattr(stash.time, "time", lambda n=n: 1_000_000.0 + n)
        request = browser.request()
        states.append(stash.stash(request, stash.ATTEMPTS, {"n": n}))
        browser.respond(request)
    kept = stash.entries(browser.request(), stash.ATTEMPTS)
    assert [kept[state]["n"] for state in states[2:]] == [2, 3, 4] and len(kept) == 3
    assert len(attempt_cookies(browser)) == 3  # the browser was told to delete the others


def test_a_second_copy_of_a_callback_cannot_take_an_attempt_the_first_took() -> None:
    """Two copies of one callback carry the same cookie: the shared cache lets one through."""
    browser = Browser()
    request = browser.request()
    state = stash.stash(request, stash.ATTEMPTS, {"connection": 1})
    browser.respond(request)
    first, second = browser.request(), browser.request()  # both sent before either answered
    assert stash.unstash(first, stash.ATTEMPTS, state) is not None
    with pytest.raises(stash.AlreadyTaken):
        stash.unstash(second, stash.ATTEMPTS, state)


def test_an_entry_too_large_for_one_cookie_is_refused() -> None:
    request = Browser().request()
    stash.stash(request, stash.ATTEMPTS, {"next": "/" + "a" * 2000})  # the longest ASCII next fits
    with pytest.raises(stash.TooLarge):
        stash.stash(request, stash.ATTEMPTS, {"next": "/" + "é" * 2000})


def test_rotating_secret_key_keeps_attempts_under_way_with_the_old_key_as_a_fallback(settings: Any) -> None:
    browser = Browser()
    request = browser.request()
    state = stash.stash(request, stash.ATTEMPTS, {"connection": 1})
    browser.respond(request)
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" + "x" * 40, [old]
    assert stash.peek(browser.request(), stash.ATTEMPTS, state) is not None
    settings.SECRET_KEY_FALLBACKS = []
    assert stash.peek(browser.request(), stash.ATTEMPTS, state) is None

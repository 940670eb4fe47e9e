"""Response and cookie hygiene: nothing an SSO response carries may be cached or leak by Referer;
cookies are Secure and HttpOnly outside local development; the session key changes at login."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from tests.support import urls
from tests.support.driver import idp_answer, login, start

SETTINGS = Path(__file__).resolve().parents[2] / "example" / "example_project" / "settings.py"


def assert_not_cached(response: Any) -> None:
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_every_sso_response_is_no_store_and_no_referrer(client: Any, tenants: Any, pool: Any) -> None:
    assert_not_cached(client.post(urls.login(), {"org": "nobody"}))  # error page
    url = start(client)
    answer = idp_answer(pool, url, "alice@acme.test")
    success = client.get(answer)
    assert success.status_code == 302
    assert_not_cached(success)
    assert_not_cached(client.get(answer))  # replay: error page
    assert_not_cached(client.post(urls.login(), {"org": "acme"}))  # redirect to the IdP
    assert_not_cached(client.post(urls.logout()))


def test_session_key_changes_at_login(client: Any, tenants: Any, pool: Any) -> None:
    """Session fixation: the key a browser had before login (possibly planted) is not the one after."""
    url = start(client)
    before = client.session.session_key
    assert before
    assert client.get(idp_answer(pool, url, "alice@acme.test")).status_code == 302
    assert client.session.session_key != before


def _example_settings(monkeypatch: pytest.MonkeyPatch, debug: str) -> dict[str, Any]:
    monkeypatch.setenv("DJANGO_DEBUG", debug)
    monkeypatch.setenv("DJANGO_SECRET_KEY", "a-production-like-secret-key-for-this-test-only")
    return runpy.run_path(str(SETTINGS))


@pytest.mark.django_db  # Django 6.1's model checks query the database (JSONField support)
def test_example_settings_outside_debug_make_cookies_secure_and_http_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = _example_settings(monkeypatch, "0")
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    names = (
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
    )
    with override_settings(DEBUG=False, **{name: values[name] for name in names}):
        ids = {message.id for message in run_checks(include_deployment_checks=False)}
    assert not ids & {"tenant_sso.W006", "tenant_sso.W007", "tenant_sso.E008"}


@pytest.mark.django_db  # Django 6.1's model checks query the database (JSONField support)
def test_insecure_cookies_outside_debug_are_flagged() -> None:
    with override_settings(DEBUG=False, SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False):
        ids = {message.id for message in run_checks()}
    assert {"tenant_sso.W006", "tenant_sso.W007"} <= ids


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_session_cookie_of_a_login_is_secure_and_http_only(client: Any, tenants: Any, pool: Any) -> None:
    response = login(client, pool)
    from django.conf import settings

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["samesite"] == "Lax"

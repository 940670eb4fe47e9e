"""Every system check id of tenant_sso, pinned: the setting that triggers it, and the default
settings of the example project that do not."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

SSO_MIDDLEWARE = {
    "E002": "django.contrib.sessions.middleware.SessionMiddleware",
    "E003": "django.middleware.csrf.CsrfViewMiddleware",
    "E012": "django.contrib.auth.middleware.AuthenticationMiddleware",
}
GOOD_KEY = "x0S9v0u2bM2pDzqBnd7dtyQt3aqwXh3TNmtjpO3oZJk="

# Django 6.1's model checks ask the database whether it supports JSONField.
pytestmark = pytest.mark.django_db


# pytest-django runs with DEBUG = False: a production-like baseline has secure cookies.
# The test settings allow loopback identity providers (the local IdP): not production-like.
BASELINE = {"SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "TENANT_SSO_ALLOW_LOOPBACK_HTTP": False}


def sso_ids(**overrides: Any) -> list[str]:
    """The tenant_sso check ids ``manage.py check`` reports under these settings."""
    with override_settings(**{**BASELINE, **overrides}):
        return sorted(m.id for m in run_checks() if m.id and m.id.startswith("tenant_sso."))


def without(name: str, value: str) -> list[str]:
    return [item for item in getattr(settings, name) if item != value]


def test_the_test_settings_pass_every_check() -> None:
    assert sso_ids() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"]}, "E001"),
        *[({"MIDDLEWARE": without("MIDDLEWARE", mw)}, f"E{code[1:]}") for code, mw in SSO_MIDDLEWARE.items()],
        ({"TENANT_SSO_ENCRYPTION_KEYS": []}, "W002"),
        ({"TENANT_SSO_ENCRYPTION_KEYS": [GOOD_KEY, "not-a-fernet-key"]}, "E004"),
        ({"TENANT_SSO_ALLOWED_ALGORITHMS": ["ES256"]}, "E005"),
        ({"TENANT_SSO_ALLOWED_ALGORITHMS": ["RS256", "HS256"]}, "E005"),
        ({"TENANT_SSO_ALLOWED_ALGORITHMS": ["RS256", "none"]}, "E005"),
        ({"DEBUG": False, "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": True}, "W006"),
        ({"DEBUG": False, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": False}, "W007"),
        ({"SESSION_COOKIE_SAMESITE": "Strict"}, "E008"),
        ({"ROOT_URLCONF": "tests.admin.urls_without_sso"}, "E009"),
        ({"TENANT_SSO_BASE_URL": "http://app.example.com"}, "E010"),
        ({"TENANT_SSO_BASE_URL": "https://app.example.com/sso"}, "E010"),
        ({"TENANT_SSO_ADAPTER": "tests.admin.nowhere.Adapter"}, "E011"),
        ({"TENANT_SSO_ADAPTER": "django.contrib.auth.backends.ModelBackend"}, "E011"),
        ({"TENANT_SSO_HTTP_TIMEOUT": 0}, "E013"),
        ({"TENANT_SSO_HTTP_TIMEOUT": "soon"}, "E013"),
        ({"TENANT_SSO_COGNITO_POOLS": [{"user_pool_id": "my-pool"}]}, "E014"),
        ({"DEBUG": False, "TENANT_SSO_ALLOW_LOOPBACK_HTTP": True}, "W021"),
        ({"TENANT_SSO_OIDC_SHARED_CALLBACK": ["acme"]}, "W022"),
        ({"TENANT_SSO_COGNITO_POOLS": [{"user_pool_id": "us-east-1_AbC", "max_tenants": "many"}]}, "E014"),
        ({"TENANT_SSO_COGNITO_POOLS": ["us-east-1_AbC"]}, "E014"),
        ({"SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies"}, "W020"),
    ],
)
def test_each_check_id_is_reported_for_its_setting(overrides: dict[str, Any], expected: str) -> None:
    assert sso_ids(**overrides) == [f"tenant_sso.{expected}"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"DEBUG": True, "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False},
        {"DEBUG": False, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True},
        {"SESSION_COOKIE_SAMESITE": "Lax"},
        {"TENANT_SSO_BASE_URL": "https://app.example.com/"},
        {"TENANT_SSO_BASE_URL": "http://127.0.0.1:8000"},
        {"TENANT_SSO_ENCRYPTION_KEYS": f"{GOOD_KEY},{GOOD_KEY}"},
        {"TENANT_SSO_ALLOWED_ALGORITHMS": ["RS256", "ES256"]},
        {"TENANT_SSO_ADAPTER": "tenant_sso.adapter.SSOAdapter"},
        {"DEBUG": True, "TENANT_SSO_ALLOW_LOOPBACK_HTTP": True},
        {"TENANT_SSO_COGNITO_POOLS": [{"user_pool_id": "eu-west-1_AbC123", "max_tenants": 50}]},
    ],
)
def test_good_settings_are_not_reported(overrides: dict[str, Any]) -> None:
    assert sso_ids(**overrides) == []


def test_messages_say_what_to_do() -> None:
    with override_settings(ROOT_URLCONF="tests.admin.urls_without_sso"):
        (message,) = [m for m in run_checks() if m.id == "tenant_sso.E009"]
    assert "include('tenant_sso.urls')" in (message.hint or "")

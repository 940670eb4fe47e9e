"""System checks with stable ids (``manage.py check``); each is pinned by a test."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .conf import app_settings

BACKEND = "tenant_sso.backends.SSOBackend"


@register(Tags.security, Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if BACKEND not in getattr(settings, "AUTHENTICATION_BACKENDS", []):
        messages.append(
            Error(
                f"{BACKEND} is not in AUTHENTICATION_BACKENDS.",
                hint=f"Add '{BACKEND}' so SSO sessions load their user.",
                id="tenant_sso.E001",
            )
        )
    middleware = getattr(settings, "MIDDLEWARE", [])
    for required, check_id in (
        ("django.contrib.sessions.middleware.SessionMiddleware", "tenant_sso.E002"),
        ("django.middleware.csrf.CsrfViewMiddleware", "tenant_sso.E003"),
    ):
        if required not in middleware:
            messages.append(
                Error(
                    f"{required} is not in MIDDLEWARE.",
                    hint="The login state lives in the session; logout is a CSRF-protected POST.",
                    id=check_id,
                )
            )
    keys = app_settings.ENCRYPTION_KEYS
    if not keys:
        messages.append(
            Warning(
                "TENANT_SSO_ENCRYPTION_KEYS is not set: client secrets are encrypted with a key derived "
                "from SECRET_KEY, so rotating SECRET_KEY makes them unreadable.",
                hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'",
                id="tenant_sso.W002",
            )
        )
    for key in keys:
        try:
            Fernet(key.encode())
        except ValueError:
            messages.append(
                Error(
                    "A key in TENANT_SSO_ENCRYPTION_KEYS is not a valid Fernet key.",
                    hint="Each key is 32 url-safe base64-encoded bytes.",
                    id="tenant_sso.E004",
                )
            )
            break
    if "RS256" not in app_settings.ALLOWED_ALGORITHMS or any(
        a.lower() == "none" or a.startswith("HS") for a in app_settings.ALLOWED_ALGORITHMS
    ):
        messages.append(
            Error(
                "TENANT_SSO_ALLOWED_ALGORITHMS must contain RS256 and no 'none' or HS* algorithm.",
                hint="Symmetric algorithms would let anyone with the client secret forge ID tokens.",
                id="tenant_sso.E005",
            )
        )
    if not settings.DEBUG:
        if not getattr(settings, "SESSION_COOKIE_SECURE", False):
            messages.append(
                Warning(
                    "SESSION_COOKIE_SECURE is False outside DEBUG.",
                    hint="SSO sessions must travel over https only.",
                    id="tenant_sso.W006",
                )
            )
        if not getattr(settings, "CSRF_COOKIE_SECURE", False):
            messages.append(
                Warning(
                    "CSRF_COOKIE_SECURE is False outside DEBUG.",
                    hint="Set it with SESSION_COOKIE_SECURE.",
                    id="tenant_sso.W007",
                )
            )
    if getattr(settings, "SESSION_COOKIE_SAMESITE", "Lax") in ("Strict",):
        messages.append(
            Error(
                "SESSION_COOKIE_SAMESITE='Strict' drops the session on the identity provider's redirect back.",
                hint="Use 'Lax' (the default): the callback is a top-level GET navigation.",
                id="tenant_sso.E008",
            )
        )
    return messages

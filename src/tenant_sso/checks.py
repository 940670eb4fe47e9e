"""System checks with stable ids (``manage.py check``); each is pinned by a test
(``tests/admin/test_checks.py``). Ids never change meaning; retired ids are not reused.

=========  ===============================================================================
E001       ``tenant_sso.backends.SSOBackend`` missing from ``AUTHENTICATION_BACKENDS``
E002       ``SessionMiddleware`` missing (the login attempt lives in the session)
E003       ``CsrfViewMiddleware`` missing (logout and the admin buttons are CSRF-protected POSTs)
W002       no ``TENANT_SSO_ENCRYPTION_KEYS``: secrets encrypted with a key derived from SECRET_KEY
E004       a key in ``TENANT_SSO_ENCRYPTION_KEYS`` is not a Fernet key
E005       ``TENANT_SSO_ALLOWED_ALGORITHMS`` without RS256, or with ``none`` / HS*
W006       ``SESSION_COOKIE_SECURE`` off outside DEBUG
W007       ``CSRF_COOKIE_SECURE`` off outside DEBUG
E008       ``SESSION_COOKIE_SAMESITE = "Strict"`` (the IdP's redirect back would lose the session)
E009       ``tenant_sso.urls`` not included under the ``tenant_sso`` namespace (no callback URL)
E010       ``TENANT_SSO_BASE_URL`` not an https origin (http only on a loopback host)
E011       ``TENANT_SSO_ADAPTER`` cannot be imported or is not an ``SSOAdapter``
E012       ``AuthenticationMiddleware`` missing (logout reads ``request.user``)
E013       ``TENANT_SSO_HTTP_TIMEOUT`` not a positive number of seconds
W020       ``SESSION_ENGINE`` is ``signed_cookies``: revoking an SSO session cannot end it (kill switch)
W021       ``TENANT_SSO_ALLOW_LOOPBACK_HTTP`` on with DEBUG off (plaintext and loopback providers)
W022       ``TENANT_SSO_OIDC_SHARED_CALLBACK`` not empty (no mix-up defence for those connections)
E030       ``TENANT_SSO_DNS_RESOLVERS`` not a list of IP[:port], or ``TENANT_SSO_DNS_TIMEOUT`` not positive
=========  ===============================================================================
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from .conf import app_settings
from .oidc.metadata import is_secure_url

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
        ("django.contrib.auth.middleware.AuthenticationMiddleware", "tenant_sso.E012"),
    ):
        if required not in middleware:
            messages.append(
                Error(
                    f"{required} is not in MIDDLEWARE.",
                    hint="The login state lives in the session; logout is a CSRF-protected POST "
                    "that reads request.user.",
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
    messages += _check_base_url() + _check_adapter() + _check_timeout()
    return messages


def _check_base_url() -> list[CheckMessage]:
    base = app_settings.BASE_URL
    if not base:
        return []
    parts = urlsplit(base)
    if is_secure_url(base) and not parts.path and not parts.query and not parts.fragment:
        return []
    return [
        Error(
            f"TENANT_SSO_BASE_URL {base!r} is not an https origin.",
            hint="Give the public origin only, e.g. 'https://app.example.com' (http is allowed "
            "for 127.0.0.1/localhost): redirect URIs are built from it and identity providers "
            "refuse plain http.",
            id="tenant_sso.E010",
        )
    ]


def _check_adapter() -> list[CheckMessage]:
    from .adapter import SSOAdapter

    path = app_settings.ADAPTER
    try:
        adapter = import_string(path)
    except ImportError as exc:
        return [
            Error(
                f"TENANT_SSO_ADAPTER {path!r} cannot be imported ({exc}).",
                hint="Give the dotted path of an SSOAdapter subclass.",
                id="tenant_sso.E011",
            )
        ]
    if not (isinstance(adapter, type) and issubclass(adapter, SSOAdapter)):
        return [
            Error(
                f"TENANT_SSO_ADAPTER {path!r} is not a subclass of tenant_sso.adapter.SSOAdapter.",
                hint="Subclass SSOAdapter and override only the hooks you need.",
                id="tenant_sso.E011",
            )
        ]
    return []


def _check_timeout() -> list[CheckMessage]:
    try:
        timeout = app_settings.HTTP_TIMEOUT
    except (TypeError, ValueError):
        timeout = 0.0
    if timeout > 0:
        return []
    return [
        Error(
            "TENANT_SSO_HTTP_TIMEOUT must be a positive number of seconds.",
            hint="Every call to an identity provider is bounded by it (default 5).",
            id="tenant_sso.E013",
        )
    ]


@register(Tags.urls)
def check_urls(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The callback must be reachable: redirect URIs are built with ``reverse("tenant_sso:callback")``."""
    try:
        reverse("tenant_sso:callback")
    except NoReverseMatch:
        return [
            Error(
                "The tenant_sso URLs are not included (reverse('tenant_sso:callback') fails).",
                hint="Add path('api/oidc/cognito/', include('tenant_sso.urls')) to your URLconf "
                "(the namespace 'tenant_sso' comes with it); register that callback URL on every "
                "app client.",
                id="tenant_sso.E009",
            )
        ]
    return []


@register(Tags.compatibility)
def check_cognito_pools(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``TENANT_SSO_COGNITO_POOLS`` entries must name real pool IDs, so onboarding fails at deploy
    time, not halfway through a customer's onboarding."""
    from .cognito.plan import region_of_pool
    from .exceptions import ConfigurationError

    try:
        pools = app_settings.COGNITO_POOLS
    except (TypeError, ValueError):
        pools = [{}]
    for pool in pools:
        try:
            region_of_pool(str(pool.get("user_pool_id", "")))
            int(pool.get("max_tenants", 300))
        except (ConfigurationError, TypeError, ValueError):
            return [
                Error(
                    f"TENANT_SSO_COGNITO_POOLS has an invalid entry: {pool!r}.",
                    hint='Each entry is {"user_pool_id": "<region>_<id>", "max_tenants": 300}, e.g. '
                    '{"user_pool_id": "us-east-1_AbCdEf123"}.',
                    id="tenant_sso.E014",
                )
            ]
    return []


@register(Tags.security)
def check_session_engine(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The kill switch deletes sessions from the store; signed cookies have no store."""
    if getattr(settings, "SESSION_ENGINE", "") != "django.contrib.sessions.backends.signed_cookies":
        return []
    return [
        Warning(
            "SESSION_ENGINE is signed_cookies: disabling a connection or a user cannot end the "
            "sessions already issued (they live until max_session_age).",
            hint="Use the db, cache or cached_db session engine (docs/security.md, 'Kill switch').",
            id="tenant_sso.W020",
        )
    ]
@register(Tags.security)
def check_provider_network(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The development switches of the boundary with identity providers, left on in production."""
    messages: list[CheckMessage] = []
    if app_settings.ALLOW_LOOPBACK_HTTP and not settings.DEBUG:
        messages.append(
            Warning(
                "TENANT_SSO_ALLOW_LOOPBACK_HTTP is on while DEBUG is off: a tenant's identity provider "
                "may name http:// and loopback endpoints, and the client secret, codes and PKCE "
                "verifiers are then sent in clear to services on this host.",
                hint="Remove TENANT_SSO_ALLOW_LOOPBACK_HTTP (development only).",
                id="tenant_sso.W021",
            )
        )
    if app_settings.OIDC_SHARED_CALLBACK:
        messages.append(
            Warning(
                f"TENANT_SSO_OIDC_SHARED_CALLBACK lists {len(app_settings.OIDC_SHARED_CALLBACK)} "
                "organization(s): their OIDC connections share the callback URL, without the mix-up "
                "defence of per-connection redirect URIs.",
                hint="Register each connection's own redirect URI (admin > Test connection shows it) at "
                "its provider, then remove the organization from the list (docs/security.md).",
                id="tenant_sso.W022",
            )
        )
    return messages


@register(Tags.compatibility)
def check_dns_resolvers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Domain verification's resolvers are addresses and its timeout bounded, so a misconfiguration
    fails at deploy time, not as ``dns_resolver_error`` in front of a customer."""
    from .domains import parse_resolver

    problem = ""
    try:
        configured = getattr(settings, "TENANT_SSO_DNS_RESOLVERS", [])
        if isinstance(configured, str) or not isinstance(configured, list | tuple):
            problem = f"TENANT_SSO_DNS_RESOLVERS must be a list, not {configured!r}."
        else:
            for value in configured:
                parse_resolver(value)
    except (TypeError, ValueError):
        problem = f"TENANT_SSO_DNS_RESOLVERS has an invalid entry: {value!r}."
    if not problem:
        try:
            timeout = app_settings.DNS_TIMEOUT
        except (TypeError, ValueError):
            timeout = 0.0
        if not timeout > 0:
            problem = "TENANT_SSO_DNS_TIMEOUT must be a positive number of seconds."
    if not problem:
        return []
    return [
        Error(
            problem,
            hint='Resolvers are IP addresses with an optional port, e.g. ["10.0.0.2", "192.0.2.53:5353", '
            '"[2001:db8::53]:53"] ([] for the system resolver); the timeout bounds one domain check (default 5).',
            id="tenant_sso.E030",
        )
    ]

"""Where logins go and come back: redirect URIs (shared or per connection), landing and login pages."""

from __future__ import annotations

from django.conf import global_settings, settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import reverse

from ..conf import app_settings
from ..exceptions import (
    ConfigurationError,
)
from ..kinds import kind_of
from ..models import Connection
from ..urlsafety import safe_next


def absolute(request: HttpRequest, path: str) -> str:
    base = app_settings.BASE_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def redirect_uri(request: HttpRequest) -> str:
    """The shared callback URL (Cognito connections); see :func:`redirect_uri_for`."""
    return absolute(request, reverse("tenant_sso:callback"))


def uses_shared_callback(connection: Connection) -> bool:
    """Cognito connections share ``callback/`` (their kind says so); OIDC ones get their own
    (mix-up defence, RFC 9700 4.4), unless the organization is listed in ``TENANT_SSO_OIDC_SHARED_CALLBACK`` (upgrade aid)."""
    return (
        kind_of(connection).shared_callback
        or connection.organization.slug in app_settings.OIDC_SHARED_CALLBACK
    )


def callback_org(connection: Connection) -> str | None:
    """The organization slug in this connection's callback path; None for the shared callback."""
    return None if uses_shared_callback(connection) else connection.organization.slug


def redirect_uri_for(
    connection: Connection, request: HttpRequest | None = None, *, base_url: str | None = None
) -> str:
    """The redirect URI to register at ``connection``'s provider, and the one its logins send.

    OIDC: ``<base>/<mount>/callback/<organization slug>/``; Cognito (one app client per tenant
    in pools the operator runs, endpoints never discovered): the shared ``<mount>/callback/``.
    The base is ``base_url``, else ``TENANT_SSO_BASE_URL``, else the request's origin. Works on
    unsaved connections (``Connection(kind="oidc", organization=Organization(slug="acme"))``),
    so a provider can be told the URI before the connection exists.
    """
    org = callback_org(connection)
    path = (
        reverse("tenant_sso:callback")
        if org is None
        else reverse("tenant_sso:connection_callback", kwargs={"org": org})
    )
    base = (base_url or app_settings.BASE_URL).rstrip("/")
    if base:
        return f"{base}{path}"
    if request is None:
        raise ConfigurationError(
            "base_url_missing", detail="redirect_uri_for needs a request, base_url or TENANT_SSO_BASE_URL"
        )
    return request.build_absolute_uri(path)


def landing_url() -> str:
    """Where a user lands after login without a safe ``next``: ``TENANT_SSO_LOGIN_REDIRECT_URL``
    (a path or a URL name), else ``/``; never Django's ``/accounts/profile/`` default."""
    return safe_next(resolve_url(app_settings.LOGIN_REDIRECT_URL), "/")


def login_page_url() -> str:
    """The login page: the project's ``LOGIN_URL`` when it sets one, else the package's own
    (``tenant_sso:signin``); Django's default ``/accounts/login/`` is a 404 in most projects."""
    if settings.LOGIN_URL != global_settings.LOGIN_URL:
        return resolve_url(settings.LOGIN_URL)
    return reverse("tenant_sso:signin")


def backchannel_logout_uri_for(connection: Connection, request: HttpRequest | None = None) -> str:
    """The OIDC Back-Channel Logout URI to register at ``connection``'s provider ("" when its kind
    has none: Cognito sends no logout tokens). Base as :func:`redirect_uri_for`."""
    if not kind_of(connection).backchannel_logout:
        return ""
    path = reverse("tenant_sso:backchannel_logout", kwargs={"org": connection.organization.slug})
    return absolute(request, path) if request is not None else f"{app_settings.BASE_URL}{path}"

"""The app's URLs as tests use them, from ``reverse()``: never a path written out in a test.

Paths (``login()``, ``callback()``...) are for Django's test client; the ``*_url`` forms are
absolute, on ``APP`` (the test client's origin) or on a live server's base URL. The URL names
are the package's interface (``tenant_sso:login``...); ``tests/unit/test_stable_urls.py`` pins
the paths they resolve to in the example project.
"""

from __future__ import annotations

from typing import Any

APP = "http://testserver"


def _reverse(name: str, **kwargs: str) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


def login() -> str:
    """Start a login: ``?org=`` or ``?email=`` (GET shows the confirmation page, POST starts)."""
    return _reverse("tenant_sso:login")


def signin() -> str:
    """The package's sign-in page (email or organization form)."""
    return _reverse("tenant_sso:signin")


def callback(org: str | None = None) -> str:
    """The shared callback (Cognito connections), or organization ``org``'s own (OIDC)."""
    return _reverse("tenant_sso:connection_callback", org=org) if org else _reverse("tenant_sso:callback")


def logout() -> str:
    return _reverse("tenant_sso:logout")


def backchannel_logout(org: str) -> str:
    """Organization ``org``'s OIDC Back-Channel Logout URI (registered at its IdP)."""
    return _reverse("tenant_sso:backchannel_logout", org=org)


def logout_upstream() -> str:
    """Where Cognito's /logout sends the browser back after an upstream (IdP) sign-out."""
    return _reverse("tenant_sso:logout_upstream")


def me() -> str:
    """The example project's JSON view of the signed-in user (401 when nobody is)."""
    return _reverse("me")


def login_page() -> str:
    """The example project's login page (the package's sign-in page at a short URL)."""
    return _reverse("login")


def logged_out_url(base: str = APP) -> str:
    """Where the app sends a browser after logout (the connections' ``logout_redirect_url``)."""
    return f"{base}{login_page()}?logged_out=1"


def callback_url(base: str = APP, org: str | None = None) -> str:
    return f"{base}{callback(org)}"


def redirect_uri(connection: Any, base: str = APP) -> str:
    """The redirect URI ``connection`` registers and sends, by the app's own rule
    (:func:`tenant_sso.flows.redirect_uri_for`: Cognito shares one, OIDC has its own)."""
    from tenant_sso.flows import redirect_uri_for

    return redirect_uri_for(connection, base_url=base)


def redirect_uri_of(org: str, kind: str, base: str = APP) -> str:
    """:func:`redirect_uri` for a connection that does not exist yet (a provider set up first)."""
    from tenant_sso.models import Connection, Organization

    return redirect_uri(Connection(kind=kind, organization=Organization(slug=org)), base)


def idp_initiated(org: str) -> str:
    """Where Cognito sends organization ``org``'s IdP-initiated SAML sign-ins (``?code=``, no state)."""
    return _reverse("tenant_sso:idp_initiated", org=org)

"""The package's URLs are an interface: providers hold the callback and sign-out URLs registered.

Tests take paths from ``tests.support.urls`` (``reverse()``); this pins what those names resolve
to in the example project, so a renamed or moved route fails here, once, with the old path.
"""

from __future__ import annotations

from tests.support import urls


def test_the_login_paths_do_not_move() -> None:
    assert urls.signin() == "/api/oidc/cognito/signin/"
    assert urls.login() == "/api/oidc/cognito/login/"
    assert urls.logout() == "/api/oidc/cognito/logout/"
    assert urls.logout_upstream() == "/api/oidc/cognito/logout/upstream/"


def test_the_callback_paths_do_not_move() -> None:
    assert urls.callback() == "/api/oidc/cognito/callback/"
    assert urls.callback("acme") == "/api/oidc/cognito/callback/acme/"
    assert urls.callback_url() == "http://testserver/api/oidc/cognito/callback/"


def test_the_redirect_uri_is_shared_for_cognito_and_per_organization_for_oidc() -> None:
    assert urls.redirect_uri_of("acme", "cognito") == "http://testserver/api/oidc/cognito/callback/"
    assert urls.redirect_uri_of("initech", "oidc", "http://127.0.0.1:8000") == (
        "http://127.0.0.1:8000/api/oidc/cognito/callback/initech/"
    )


def test_the_idp_initiated_path_does_not_move() -> None:
    """Registered on the Cognito app client's CallbackURLs and in the SAML IdP's RelayState."""
    assert urls.idp_initiated("initech") == "/api/oidc/cognito/idp-initiated/initech/"


def test_the_setup_portal_paths_do_not_move() -> None:
    """Setup links already sent to customers must keep working."""
    from django.urls import reverse

    assert reverse("tenant_sso:setup_open", kwargs={"token": "t"}) == "/api/oidc/cognito/setup/link/t/"
    assert reverse("tenant_sso:setup_overview", kwargs={"org": "acme"}) == "/api/oidc/cognito/setup/org/acme/"

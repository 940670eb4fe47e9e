"""The second peer: django-allauth's OpenID Connect provider against the local identity provider.

Benchmark-only (``benchmarks/run.py``), installed into ``benchmarks/.peer-site`` like
mozilla-django-oidc and run by the same gunicorn settings, database, cache and session engine
(the mozilla-django-oidc peer's settings, with allauth instead). PKCE on. allauth fetches the
discovery document at the login start and at the callback, then the token and the userinfo, and
trusts the ID token it got straight from the token endpoint over the back channel without checking
its signature (OIDC Core 3.1.3.7 allows that over TLS), so it never fetches the JWKS.
"""

from __future__ import annotations

import os

from benchmarks.peer_project.settings import *  # noqa: F403
from benchmarks.peer_project.settings import INSTALLED_APPS, MIDDLEWARE

_IDP = os.environ["BENCH_IDP_URL"]  # where browsers reach the provider
_ISSUER = os.environ["BENCH_IDP_ISSUER"]
_BACKEND = os.environ.get("BENCH_IDP_BACKEND_URL", _IDP)  # where this app reaches it (maybe farther)

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "mozilla_django_oidc"] + [
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]
MIDDLEWARE = [*MIDDLEWARE, "allauth.account.middleware.AccountMiddleware"]
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
ROOT_URLCONF = "benchmarks.peer_project.allauth_urls"
SITE_ID = 1
LOGIN_REDIRECT_URL = "/done/"
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = True  # a link starts the login, as for the other two
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "devidp",
                "name": "Local IdP",
                "client_id": "allauth-client",
                "secret": "allauth-secret",
                "settings": {
                    "server_url": f"{_ISSUER.replace(_IDP, _BACKEND, 1)}/.well-known/openid-configuration",
                    "token_auth_method": "client_secret_post",
                    # The back channel through BENCH_IDP_BACKEND_URL, the browser direct.
                    "openid_configuration_overrides": {
                        "authorization_endpoint": f"{_IDP}/oauth2/authorize",
                        "token_endpoint": f"{_BACKEND}/oauth2/token",
                        "userinfo_endpoint": f"{_BACKEND}/oauth2/userInfo",
                        "jwks_uri": f"{_ISSUER.replace(_IDP, _BACKEND, 1)}/.well-known/jwks.json",
                    },
                },
            }
        ],
    }
}

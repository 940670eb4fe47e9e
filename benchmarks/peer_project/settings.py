"""A tiny Django project where mozilla-django-oidc logs users in against the local identity provider.

Benchmark-only (``benchmarks/run.py``): the peer that ``tenant_sso``'s logins are measured against.
Everything that is not the OIDC library is the example project's: same middleware, database
(PostgreSQL), session engine (database), cache (Redis), DEBUG off, same gunicorn settings.
"""

from __future__ import annotations

import os

import dj_database_url

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "mozilla_django_oidc",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
AUTHENTICATION_BACKENDS = ["mozilla_django_oidc.auth.OIDCAuthenticationBackend"]
ROOT_URLCONF = "benchmarks.peer_project.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
# The example project's database settings (persistent connections, health checks): same footing.
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True)}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}}
SESSION_ENGINE = os.environ.get("SESSION_ENGINE", "django.contrib.sessions.backends.db")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# mozilla-django-oidc against the local identity provider (a Cognito-shaped pool).
_IDP = os.environ["BENCH_IDP_URL"]  # where browsers reach the provider
_ISSUER = os.environ["BENCH_IDP_ISSUER"]
_BACKEND = os.environ.get("BENCH_IDP_BACKEND_URL", _IDP)  # where this app reaches it (maybe farther)
OIDC_RP_CLIENT_ID = "peer-client"
OIDC_RP_CLIENT_SECRET = "peer-secret"
OIDC_OP_AUTHORIZATION_ENDPOINT = f"{_IDP}/oauth2/authorize"
OIDC_OP_TOKEN_ENDPOINT = f"{_BACKEND}/oauth2/token"
OIDC_OP_USER_ENDPOINT = f"{_BACKEND}/oauth2/userInfo"
OIDC_OP_JWKS_ENDPOINT = f"{_ISSUER.replace(_IDP, _BACKEND, 1)}/.well-known/jwks.json"
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email"
OIDC_USE_PKCE = True  # tenant_sso always uses PKCE: same work on both sides
OIDC_TIMEOUT = 5
LOGIN_REDIRECT_URL = "/done/"
LOGIN_REDIRECT_URL_FAILURE = "/failed/"

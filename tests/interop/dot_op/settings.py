"""Settings of the django-oauth-toolkit OpenID Provider of the interop tests (not the app's)."""

from __future__ import annotations

import json
import os

CONFIG = json.loads(os.environ["DOT_OP_CONFIG"])

SECRET_KEY = "tenant-sso-interop-dot-op-not-secret"  # a throwaway test provider
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": CONFIG["database"]}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.interop.dot_op.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {}}]
LOGIN_URL = "/accounts/login/"
# Cookies ignore ports: on 127.0.0.1 the app's sessionid and csrftoken would be overwritten.
SESSION_COOKIE_NAME = "dot_op_sessionid"
CSRF_COOKIE_NAME = "dot_op_csrftoken"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; test users only

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": CONFIG["rsa_private_key"],
    # Exactly as configured, e.g. with a trailing slash like Auth0's; DOT puts it in discovery
    # and in every ID token's iss.
    "OIDC_ISS_ENDPOINT": CONFIG["issuer"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    # Groups come with a custom scope only (tenant.groups), as many providers release them; the
    # relying party must ask for it as an extra scope of the connection.
    "SCOPES": {
        "openid": "OpenID Connect",
        "email": "Email address",
        "profile": "Name",
        "tenant.groups": "Group memberships",
    },
    "OAUTH2_VALIDATOR_CLASS": "tests.interop.dot_op.validators.GroupsValidator",
}

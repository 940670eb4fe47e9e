"""Settings of the example project, from environment variables.

DATABASE_URL       default sqlite:///example/db.sqlite3 (PostgreSQL: postgres://user:pw@host/db)
REDIS_URL          when set, Django's cache is Redis (discovery/JWKS caches shared by every process)
SESSION_ENGINE     default tenant_sso.dbsession (Django's db sessions in fewer round trips)
TASKS_BACKEND      "immediate": background tasks run in the request (default: the database queue,
                   run by `manage.py db_worker`)
TENANT_SSO_COGNITO_ENDPOINT_URL  the Cognito API endpoint for boto3 (default AWS; the demo's devidp)
DJANGO_SECRET_KEY  required when DJANGO_DEBUG is off
DJANGO_DEBUG       "1" for local development (the default when unset)
DJANGO_ALLOWED_HOSTS  comma-separated, default 127.0.0.1,localhost
TENANT_SSO_ENCRYPTION_KEYS  comma-separated Fernet keys, newest first
TENANT_SSO_BASE_URL         public base URL when behind a proxy
TENANT_SSO_ALLOWED_ALGORITHMS  comma-separated default ID token algorithms (default RS256)
TENANT_SSO_ALLOW_LOOPBACK_HTTP  "1": http:// identity providers on 127.0.0.1 (on with DJANGO_DEBUG)
DJANGO_SECURE_PROXY_SSL_HEADER  "1" to trust X-Forwarded-Proto from the proxy
DJANGO_CSRF_TRUSTED_ORIGINS     comma-separated origins (https://app.example.com)
CACHE_KEY_PREFIX   Redis key prefix (default "example")
TENANT_SSO_RATE_LIMIT_PER_IP, TENANT_SSO_RATE_LIMIT_PER_ORGANIZATION  login starts + callbacks per
                   window (300, 3000; 0: no limit); TENANT_SSO_RATE_LIMIT_WINDOW seconds (60)

Production: gunicorn with example/gunicorn.conf.py (docs/production.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    "insecure-example-key-for-local-development-only" if DEBUG else ""
)
if not SECRET_KEY:
    raise RuntimeError("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development).")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",  # the background task queue (TASKS below), run by `manage.py db_worker`
    "tenant_sso",
    "example_project",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenant_sso.middleware.LastSeenMiddleware",  # SSO sessions' "last seen" (at most every 5 min)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "tenant_sso.backends.SSOBackend",
    "django.contrib.auth.backends.ModelBackend",  # staff passwords for the admin
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}

REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    # Socket timeouts: a Redis that stops answering must not hold logins for minutes (the cache
    # holds only derived data; tenant_sso falls back to the identity provider meanwhile).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "example"),
            "TIMEOUT": 3600,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    }

SESSION_ENGINE = os.environ.get("SESSION_ENGINE", "tenant_sso.dbsession")

# Background work (tenant_sso.background, docs/deprovisioning.md): tasks wait in the database until
# `manage.py db_worker` (started by `make demo`) runs them; retried tasks wait there too.
# TASKS_BACKEND=immediate runs them in the request instead (no worker).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if os.environ.get("TASKS_BACKEND") == "immediate"
        else "django_tasks_db.DatabaseBackend",
    }
}
try:  # Django 6: the framework's own immediate backend
    import django.tasks  # noqa: F401

    if TASKS["default"]["BACKEND"].startswith("django_tasks."):
        TASKS["default"]["BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
except ImportError:
    pass
# Where boto3 sends the Cognito admin calls (empty: AWS); `make demo` points it at the devidp.
TENANT_SSO_COGNITO_ENDPOINT_URL = os.environ.get("TENANT_SSO_COGNITO_ENDPOINT_URL", "")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

if os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER") == "1":  # behind a TLS-terminating proxy
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

TENANT_SSO_ENCRYPTION_KEYS = [k for k in os.environ.get("TENANT_SSO_ENCRYPTION_KEYS", "").split(",") if k]
TENANT_SSO_BASE_URL = os.environ.get("TENANT_SSO_BASE_URL", "")
# The default ID token algorithms of connections that set none of their own (RS256 must stay in).
TENANT_SSO_ALLOWED_ALGORITHMS = [
    a.strip() for a in os.environ.get("TENANT_SSO_ALLOWED_ALGORITHMS", "RS256").split(",") if a.strip()
]
# Per window of TENANT_SSO_RATE_LIMIT_WINDOW seconds (60); 0 turns a limit off (benchmarks).
TENANT_SSO_RATE_LIMIT_WINDOW = int(os.environ.get("TENANT_SSO_RATE_LIMIT_WINDOW", "60"))
TENANT_SSO_RATE_LIMIT_PER_IP = int(os.environ.get("TENANT_SSO_RATE_LIMIT_PER_IP", "300"))
TENANT_SSO_RATE_LIMIT_PER_ORGANIZATION = int(os.environ.get("TENANT_SSO_RATE_LIMIT_PER_ORGANIZATION", "3000"))
TENANT_SSO_LOGOUT_REDIRECT_URL = "/login/?logged_out=1"
# Development: the local identity provider (make demo) is http://127.0.0.1. Never in production
# (check tenant_sso.W020): identity providers must be https on public addresses.
TENANT_SSO_ALLOW_LOOPBACK_HTTP = DEBUG or os.environ.get("TENANT_SSO_ALLOW_LOOPBACK_HTTP") == "1"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "tenant_sso": {"handlers": ["console"], "level": os.environ.get("TENANT_SSO_LOG_LEVEL", "INFO")}
    },
}
if DEBUG:
    SILENCED_SYSTEM_CHECKS = ["tenant_sso.W002"]

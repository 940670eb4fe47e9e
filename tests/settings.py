"""Test settings: the example project, on an in-memory SQLite database."""

from example_project.settings import *  # noqa: F403

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TENANT_SSO_ENCRYPTION_KEYS = ["x0S9v0u2bM2pDzqBnd7dtyQt3aqwXh3TNmtjpO3oZJk="]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# One process per test run: home-realm discovery's cache is exercised on the in-process cache.
TENANT_SSO_REALM_CACHE = True
# The local identity provider and the stub servers listen on http://127.0.0.1.
TENANT_SSO_ALLOW_LOOPBACK_HTTP = True
# Background tasks run at once, in the caller (tests that need a queue or a worker set their own).
from tests.support.tasks import IMMEDIATE  # noqa: E402

TASKS = IMMEDIATE

"""The test settings on PostgreSQL: ``tests.settings`` with the database of
``TENANT_SSO_TEST_DATABASE_URL`` (a server started by ``tests/services``; pytest-django creates
and drops its ``test_`` database)."""

import os

import dj_database_url

from tests.settings import *  # noqa: F403

DATABASES = {"default": dj_database_url.parse(os.environ["TENANT_SSO_TEST_DATABASE_URL"])}

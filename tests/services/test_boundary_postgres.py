"""The attacks of ``tests/security/test_boundary.py`` (hostile identity providers), on PostgreSQL.

PostgreSQL refuses what SQLite stores (a NUL in text or jsonb raises ``DataError``), so the
claims boundary must hold there too. The file runs in a pytest of its own against a throwaway
PostgreSQL server (``tests.services.servers``), through the same real views; one of its tests
checks that the database really is PostgreSQL.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.services import servers

pytestmark = pytest.mark.services


def test_the_provider_boundary_attacks_pass_on_postgresql(postgres: servers.PostgresServer) -> None:
    env = {
        **os.environ,
        "TENANT_SSO_TEST_DATABASE_URL": postgres.url("postgres"),
        "TENANT_SSO_TEST_EXPECT_VENDOR": "postgresql",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/security/test_boundary.py", "-q", "-p", "no:cacheprovider",
         "--ds", "tests.services.pg_settings", "-o", "addopts="],
        cwd=servers.ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 50 and "skipped" not in summary, summary

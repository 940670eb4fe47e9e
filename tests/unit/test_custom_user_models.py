"""The identity lock's SQL (``tenant_sso.sql``) with custom user models: each is the project's
``AUTH_USER_MODEL`` in a pytest run of its own (the user model cannot change inside one run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("settings", ["settings_member", "settings_person"])
def test_custom_user_model(settings: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ds", f"tests.custom_user.{settings}",
         "tests/custom_user/checks.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": f"tests.custom_user.{settings}"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout

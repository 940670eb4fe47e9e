"""Installing tenant-sso registers no pytest plugin in other projects; opting in gives the fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CONSUMER_TEST = '''
def test_uses_devidp(devidp):
    assert devidp.issuer.endswith("/us-east-1_DevPool01")
'''


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(project)],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )


def test_plugin_is_not_loaded_unless_asked(tmp_path: Path) -> None:
    (tmp_path / "test_consumer.py").write_text(CONSUMER_TEST)
    plain = run_pytest(tmp_path)
    assert plain.returncode != 0 and "fixture 'devidp' not found" in plain.stdout, plain.stdout[-2000:]

    flag = run_pytest(tmp_path, "-p", "tenant_sso.devidp.pytest_plugin")
    assert flag.returncode == 0, flag.stdout[-2000:]

    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tenant_sso.devidp.pytest_plugin"]\n')
    conftest = run_pytest(tmp_path)
    assert conftest.returncode == 0, conftest.stdout[-2000:]

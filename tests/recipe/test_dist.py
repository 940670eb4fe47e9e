"""The release artefacts: ``python -m build`` (sdist, then the wheel built from that sdist) and
``twine check`` pass; the sdist carries docs, tests and example; the wheel declares what users get."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest

from tests.recipe.project import ROOT


@pytest.mark.slow
def test_build_and_twine_check(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    (sdist,) = out.glob("tenant_sso-*.tar.gz")
    (wheel,) = out.glob("tenant_sso-*.whl")
    check = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr

    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for expected in ("docs/cognito.md", "docs/session.md", "README.md", "CHANGELOG.md",
                     "tests/conftest.py", "tests/recipe/test_fresh_project.py", "tests/interop/op/package-lock.json",
                     "tests/saml/idp/package-lock.json",
                     "example/manage.py", "example/example_project/settings.py", "Makefile"):
        assert expected in names, f"{expected} is missing from the sdist"
    assert not any("node_modules" in n or n.endswith((".pyc", ".sqlite3")) for n in names)

    with zipfile.ZipFile(wheel) as whl:
        files = set(whl.namelist())
        metadata = Parser().parsestr(whl.read(next(n for n in files if n.endswith(".dist-info/METADATA"))).decode())
        entry_points = next((whl.read(n).decode() for n in files if n.endswith("entry_points.txt")), "")
    assert "tenant_sso/templates/tenant_sso/login.html" in files
    assert "tenant_sso/py.typed" in files and "tenant_sso/session.py" in files
    assert "pytest11" not in entry_points  # the devidp plugin is opt-in
    requires: Any = metadata.get_all("Requires-Dist")
    assert "Django<6.2,>=5.2" in requires or "django<6.2,>=5.2" in [r.lower() for r in requires]
    classifiers = metadata.get_all("Classifier") or []
    assert {"Framework :: Django :: 6.1", "Programming Language :: Python :: 3.13"} <= set(classifiers)

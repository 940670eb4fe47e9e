"""Third-party OpenID Providers of the interop tests, next to panva's oidc-provider (harness.py):

* :class:`MockOP` -- the npm package ``oauth2-mock-server`` (``op/mock-server.mjs``), RS256 or
  ES256, with a strict client check that does not form-decode Basic credentials;
* :class:`DotOP` -- ``django-oauth-toolkit`` (PyPI) as an OpenID Provider: the small Django
  project in ``dot_op/``, on its own SQLite file, migrated and bootstrapped at start.

Both bind 127.0.0.1 on a free port and are stopped by the fixture that started them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.interop.harness import OP, ROOT, _stop, _wait_http, free_port


@dataclass
class MockOP(OP):
    """One ``oauth2-mock-server`` process (``op/mock-server.mjs``), run like oidc-provider's."""

    SCRIPT: ClassVar[str] = "mock-server.mjs"
    LABEL: ClassVar[str] = "oauth2-mock-server"

    @classmethod
    def make(cls, *, alg: str, trailing_slash: bool, clients: dict[str, str], users: dict[str, dict[str, Any]],
             log: Path, discovery: dict[str, Any] | None = None) -> MockOP:
        port = free_port()
        issuer = f"http://127.0.0.1:{port}" + ("/" if trailing_slash else "")
        return cls({"port": port, "issuer": issuer, "alg": alg, "kid": f"mock-{alg.lower()}-1", "clients": clients,
                    "users": users, "discovery": discovery or {}}, log)


def rsa_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass
class DotOP:
    """django-oauth-toolkit's OpenID Provider (``dot_op/``) on ``runserver --noreload``."""

    config: dict[str, Any]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def make(cls, *, workdir: Path, issuer_path: str, clients: list[dict[str, Any]],
             users: dict[str, dict[str, Any]]) -> DotOP:
        port = free_port()
        config = {
            "port": port,
            "issuer": f"http://127.0.0.1:{port}{issuer_path}",
            "database": str(workdir / "dot-op.sqlite3"),
            "rsa_private_key": rsa_private_pem(),
            "clients": clients,
            "users": users,
        }
        return cls(config, workdir)

    @property
    def issuer(self) -> str:
        return str(self.config["issuer"])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.config['port']}"

    @property
    def log(self) -> Path:
        return self.workdir / "dot-op.log"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.interop.dot_op.settings",
            "DOT_OP_CONFIG": json.dumps(self.config),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }

    def _run(self, *args: str) -> None:
        result = subprocess.run([sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                                timeout=180)
        if result.returncode != 0:
            raise RuntimeError(f"django-oauth-toolkit {' '.join(args[:3])} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        if not Path(self.config["database"]).exists():
            self._run("-m", "django", "migrate", "--noinput", "-v", "0")
            self._run("-m", "tests.interop.dot_op.bootstrap")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{self.config['port']}", "--noreload",
                 "--skip-checks"],
                cwd=ROOT, env=self.env, stdout=out, stderr=out,
            )
        _wait_http(f"{self.base_url}/o/.well-known/openid-configuration", self.process, "django-oauth-toolkit",
                   self.log)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None

"""mcguinness's ``saml-idp`` (npm) on Node: the third-party SAML IdP of ``make demo`` and the SAML tests.

Installed by the repository's own files (``tests/saml/idp/package.json`` + ``package-lock.json``,
``npm ci`` from the Makefile); its signing certificate is generated at start with
``cryptography``. It is a single-user test IdP: its page shows the user's attributes in a form
(``#userName``, ``#email``, ``#groups``...) and ``#btn-sign-in`` posts the signed Response to
the ACS URL of the AuthnRequest (SP-initiated) or to ``acs_url`` with the default RelayState
(IdP-initiated: open ``base_url + "/"`` and sign in). Binds 127.0.0.1 only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
IDP_DIR = ROOT / "tests" / "saml" / "idp"
RUN_JS = IDP_DIR / "node_modules" / "saml-idp" / "bin" / "run.js"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing() -> str | None:
    """Why saml-idp cannot run here (no Node, no npm install), or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed (apt-get install nodejs npm)"
    if not RUN_JS.exists():
        return f"saml-idp is not installed: npm ci --prefix {IDP_DIR.relative_to(ROOT)}"
    return None


def ensure_installed() -> None:
    """``npm ci`` from the lockfile when ``node_modules`` is missing (it is git-ignored)."""
    if RUN_JS.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: Node.js 20+ and npm are needed for saml-idp")
    args = [npm, "ci", "--prefix", str(IDP_DIR), "--no-audit", "--no-fund"]
    subprocess.run(args, check=True, timeout=300, stdout=subprocess.DEVNULL)  # noqa: S603 - fixed arguments


def _certificate(directory: Path, issuer: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"saml-idp {issuer}"[:64])])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "idp-cert.pem", directory / "idp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


#: The attributes saml-idp sends: its "profile" config (``user`` + ``metadata``), a CommonJS module.
ATTRIBUTES = [
    {"id": "email", "optional": False, "displayName": "E-Mail Address", "description": "", "multiValue": False},
    {"id": "firstName", "optional": True, "displayName": "First Name", "description": "", "multiValue": False},
    {"id": "lastName", "optional": True, "displayName": "Last Name", "description": "", "multiValue": False},
    # Comma-separated in the form, one AttributeValue each in the assertion.
    {"id": "groups", "optional": True, "displayName": "Groups", "description": "", "multiValue": True},
]


@dataclass
class SamlIdP:
    """One saml-idp process for a pool: ``audience`` is ``urn:amazon:cognito:sp:<poolId>``."""

    directory: Path
    acs_url: str
    audience: str
    user: dict[str, str]
    issuer: str = "urn:example:saml-idp"
    port: int = field(default_factory=free_port)
    relay_state: str | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/metadata"

    @property
    def log(self) -> Path:
        return self.directory / "saml-idp.log"

    def start(self) -> SamlIdP:
        reason = missing()
        if reason:
            raise RuntimeError(reason)
        # saml-idp runs in its own folder (cwd=IDP_DIR): every path it is given must be absolute.
        self.directory = self.directory.resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        cert, key = _certificate(self.directory, self.issuer)
        config = self.directory / "saml-idp-config.js"
        profile = {"nameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", **self.user}
        config.write_text(f"module.exports = {json.dumps({'user': profile, 'metadata': ATTRIBUTES}, indent=2)};\n")
        args = [shutil.which("node") or "node", str(RUN_JS), "--host", "127.0.0.1", "--port", str(self.port),
                "--cert", str(cert), "--key", str(key), "--issuer", self.issuer, "--acsUrl", self.acs_url,
                "--audience", self.audience, "--configFile", str(config)]
        if self.relay_state:
            args += ["--relayState", self.relay_state]
        with self.log.open("ab") as out:
            env = {**os.environ, "NODE_NO_WARNINGS": "1"}
            self.process = subprocess.Popen(args, cwd=IDP_DIR, stdout=out, stderr=out, env=env)  # noqa: S603
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"saml-idp exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.metadata_url, timeout=2):  # noqa: S310 - loopback
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"saml-idp did not answer within {START_TIMEOUT}s:\n{self.log.read_text()[-3000:]}")

    def set_relay_state(self, relay_state: str) -> None:
        """The RelayState of IdP-initiated responses (saml-idp's settings form, at runtime)."""
        data = urllib.parse.urlencode({"RelayState": relay_state}).encode()
        request = urllib.request.Request(f"{self.base_url}/settings", data=data, method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - loopback
            pass

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


def devidp_provider(name: str, metadata_url: str, *, idp_initiated: bool, groups_format: str = "bracketed"
                    ) -> dict[str, Any]:
    """The devidp's entry for a saml-idp, with the attribute mapping its profile needs."""
    return {"name": name, "type": "saml", "metadata_url": metadata_url, "groups_format": groups_format,
            "idp_initiated": idp_initiated,
            "attribute_mapping": {"email": "email", "given_name": "firstName", "family_name": "lastName",
                                  "custom:groups": "groups"}}


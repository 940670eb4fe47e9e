"""Real processes for the interoperability tests: panva's oidc-provider on Node, the example app on
Django's runserver, and a browser (httpx with one cookie jar) that follows the OP's forms.

Everything binds 127.0.0.1 on a free port, every wait is bounded, and every process is stopped
by the fixture that started it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from joserfc.jwk import RSAKey

from tests.support import urls
from tests.support.html import parse_forms

ROOT = Path(__file__).resolve().parents[2]
OP_DIR = Path(__file__).resolve().parent / "op"
EXAMPLE = ROOT / "example"
START_TIMEOUT = 30.0
FERNET_KEY = "x0S9v0u2bM2pDzqBnd7dtyQt3aqwXh3TNmtjpO3oZJk="


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_node_modules() -> None:
    """``npm ci`` from the lockfile when ``node_modules`` is missing (it is git-ignored)."""
    if all((OP_DIR / "node_modules" / name).is_dir() for name in ("oidc-provider", "oauth2-mock-server")):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: Node.js 20+ and npm are needed for tests marked 'node'")
    subprocess.run(
        [npm, "ci", "--prefix", str(OP_DIR), "--no-audit", "--no-fund"],
        check=True,
        timeout=300,
        stdout=subprocess.DEVNULL,
    )


def signing_key(kid: str) -> dict[str, Any]:
    """A fresh RS256 key as a private JWK (oidc-provider signs with the first key of its set)."""
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    return key.as_dict(private=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_http(url: str, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    _stop(process)
    raise RuntimeError(f"{what} did not answer {url} within {START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


# -- the OpenID Provider -----------------------------------------------------------------------
@dataclass
class OP:
    """One oidc-provider process; ``restart`` keeps the port (so the issuer) and may swap keys.

    Subclasses run another Node OP script of ``op/`` with the same lifecycle (``SCRIPT``, ``LABEL``)."""

    SCRIPT: ClassVar[str] = "server.mjs"
    LABEL: ClassVar[str] = "oidc-provider"

    config: dict[str, Any]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return str(self.config["issuer"])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.config['port']}"

    @property
    def kids(self) -> list[str]:
        return [k["kid"] for k in self.config["jwks"]["keys"]]

    def start(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not installed: Node.js 20+ is needed for tests marked 'node'")
        env = {**os.environ, "OP_CONFIG": json.dumps(self.config), "NODE_NO_WARNINGS": "1"}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [node, str(OP_DIR / self.SCRIPT)], cwd=OP_DIR, env=env, stdout=out, stderr=out
            )
        _wait_http(f"{self.base_url}/__interop/stats", self.process, self.LABEL, self.log)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None

    def restart(self, *, keys: list[dict[str, Any]] | None = None) -> None:
        """Stop and start again on the same port; sessions and grants are lost (in-memory)."""
        self.stop()
        if keys is not None:
            self.config["jwks"] = {"keys": keys}
        self.start()

    def stats(self) -> dict[str, int]:
        return dict(httpx.get(f"{self.base_url}/__interop/stats", timeout=5).json())


def make_op(shape: str, *, users: dict[str, dict[str, Any]], clients: list[dict[str, Any]], log: Path,
            pool: str = "us-east-1_Interop1") -> OP:
    """An Okta-like (``shape="oidc"``) or Cognito-shaped (``shape="cognito"``) provider config."""
    port = free_port()
    if shape == "cognito":
        issuer = f"http://127.0.0.1:{port}/{pool}"
        claims = {"openid": ["sub", "token_use", "cognito:username", "identities", "custom:groups",
                             "email", "email_verified", "given_name", "family_name"]}
        scopes = ["openid"]
        # Cognito accepts both (docs/cognito.md, "Endpoints"); the app sends basic.
        auth_methods = ["client_secret_basic", "client_secret_post"]
    else:
        issuer = f"http://127.0.0.1:{port}"
        # Like Okta's org authorization server: the groups claim (in the ID token) only with the
        # `groups` scope, email and names only with `email` and `profile` (OIDC Core 5.4).
        claims = {"openid": ["sub"], "email": ["email", "email_verified"],
                  "profile": ["given_name", "family_name", "name"], "groups": ["groups"]}
        scopes = ["openid", "email", "profile", "groups"]
        # Advertise only client_secret_post: the app must pick it from discovery.
        auth_methods = ["client_secret_post"]
    config = {
        "shape": shape,
        "port": port,
        "issuer": issuer,
        "jwks": {"keys": [signing_key(f"{shape}-key-1")]},
        "clients": clients,
        "users": users,
        "claims": claims,
        "scopes": scopes,
        "clientAuthMethods": auth_methods,
    }
    return OP(config=config, log=log)


# -- the example app ---------------------------------------------------------------------------
def redirect_uri(app: App, org: str, kind: str = "oidc") -> str:
    """The redirect URI to register at an organization's OP: the one place the interop tests
    compute it (every OP fixture registers what this returns), the app's own rule
    (:func:`tenant_sso.flows.redirect_uri_for`: OIDC connections have their own)."""
    return urls.redirect_uri_of(org, kind, app.url)


@dataclass
class App:
    """The example project on ``runserver --noreload`` against a temporary SQLite file."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "app.log"

    @classmethod
    def prepare(cls, workdir: Path) -> App:
        app = cls(port=free_port(), workdir=workdir)
        app.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "example_project.settings",
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
            "TENANT_SSO_ENCRYPTION_KEYS": FERNET_KEY,
            "DJANGO_DEBUG": "1",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "TENANT_SSO_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        app.env.pop("REDIS_URL", None)
        app.manage("migrate", "--noinput", "-v", "0")
        return app

    def manage(self, *args: str, extra_env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [sys.executable, str(EXAMPLE / "manage.py"), *args],
            cwd=EXAMPLE,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def update_connection(self, org: str, **fields: Any) -> None:
        """Set fields the ``sso_connection`` command has no option for (admin-only today).

        Written straight into the app's SQLite file (a ``manage.py shell`` costs seconds on a busy
        machine); the running server reads connections from the database at every request.
        """
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with sqlite3.connect(self.workdir / "db.sqlite3") as db:
            changed = db.execute(
                f"UPDATE tenant_sso_connection SET {assignments} WHERE enabled = 1 AND organization_id = "
                "(SELECT id FROM tenant_sso_organization WHERE slug = ?)",
                [*fields.values(), org],
            ).rowcount
        assert changed == 1, f"no enabled connection for {org}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(EXAMPLE / "manage.py"), "runserver", f"127.0.0.1:{self.port}",
                 "--noreload", "--skip-checks"],
                cwd=EXAMPLE, env=self.env, stdout=out, stderr=out,
            )
        _wait_http(f"{self.url}/login/", self.process, "runserver", self.log)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None


# -- the browser -------------------------------------------------------------------------------
class Browser:
    """One user agent: a cookie jar shared by the app and the OP, redirects followed by hand
    (bounded), the OP's login/consent/logout forms submitted as a person would."""

    MAX_HOPS = 15

    def __init__(self) -> None:
        self.http = httpx.Client(follow_redirects=False, timeout=15)
        self.visited: list[str] = []

    def close(self) -> None:
        self.http.close()

    def follow(self, response: httpx.Response, *, stop_at: str | None = None) -> httpx.Response:
        """Follow redirects until a page (or a URL starting with ``stop_at``) is reached."""
        for _ in range(self.MAX_HOPS):
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            location = urljoin(str(response.url), response.headers["location"])
            self.visited.append(location)
            if stop_at and location.startswith(stop_at):
                return response
            response = self.http.get(location)
        raise AssertionError(f"more than {self.MAX_HOPS} redirects: {self.visited[-5:]}")

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        self.visited.append(url)
        return self.follow(self.http.get(url, **kwargs))

    def submit(self, page: httpx.Response, fields: dict[str, str], *, form_index: int = 0,
               button: tuple[str, str] | None = None) -> httpx.Response:
        """Submit a form of ``page`` (hidden inputs kept, ``fields`` filled in) and follow."""
        forms = parse_forms(page.text)
        assert forms, f"no form on {page.url}: {page.text[:300]}"
        form = forms[form_index]
        data = {**form["hidden"], **fields}
        if button:
            data[button[0]] = button[1]
        action = urljoin(str(page.url), form["action"] or str(page.url))
        response = self.http.post(action, data=data)
        return self.follow(response)

    def start_login(self, app: App, org: str | None = None, **params: str) -> httpx.Response:
        """Open the app's login URL as a link from elsewhere would (the one place the interop tests
        start a login): the confirmation page names the organization; its button (a POST with the
        CSRF token) is clicked, redirects followed to the provider's first page."""
        if org is not None:
            params["org"] = org
        page = self.get(f"{app.url}{urls.login()}", params=params)
        forms = parse_forms(page.text)
        index = next((i for i, f in enumerate(forms) if "confirm" in f["hidden"]), None)
        assert index is not None, f"no confirmation page ({page.status_code}): {page.text[:300]}"
        return self.submit(page, {}, form_index=index)

    def csrf(self, app: App) -> str:
        self.http.get(f"{app.url}{urls.me()}")
        return str(self.http.cookies.get("csrftoken", domain="127.0.0.1") or "")

    def me(self, app: App) -> httpx.Response:
        return self.http.get(f"{app.url}{urls.me()}")

    def logout(self, app: App) -> httpx.Response:
        """POST the app's logout (CSRF-protected) and return its redirect, not followed."""
        token = self.csrf(app)
        return self.http.post(f"{app.url}{urls.logout()}", headers={"X-CSRFToken": token})


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# -- the tenants the fixtures set up, and a whole login --------------------------------------
@dataclass
class Tenant:
    """One organization of the example app and the provider it signs in with."""

    org: str
    op: OP
    allowed: str  # the sub of a user in an allowed group
    refused: str  # the sub of a user in no allowed group
    groupless: str  # the sub of a user whose token carries no groups claim

    @property
    def kind(self) -> str:
        return str(self.op.config["shape"])


@dataclass
class Interop:
    app: App
    okta: OP
    cognito: OP
    tenants: dict[str, Tenant]
    backchannel: Relay | None = None


class Relay:
    """A recording relay on 127.0.0.1: what the OP POSTs to it (back-channel logout tokens) is
    kept in ``bodies`` and forwarded to ``target``, whose answer goes back to the OP."""

    def __init__(self, target: str) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.target = target
        self.bodies: list[bytes] = []
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                relay.bodies.append(body)
                answer = httpx.post(relay.target, content=body, timeout=15,
                                    headers={"Content-Type": self.headers.get("Content-Type", "")})
                self.send_response(answer.status_code)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def login(agent: Browser, interop: Interop, tenant: Tenant, sub: str) -> tuple[httpx.Response, list[str]]:
    """Start at the app's login URL, answer whatever the provider asks; returns the final page
    and the prompts the provider showed (``login``, ``consent``: none when its session is alive)."""
    page = agent.start_login(interop.app, tenant.org)
    prompts: list[str] = []
    for _ in range(3):
        if page.url.port == interop.app.port:
            return page, prompts
        forms = [f for f in parse_forms(page.text) if f["hidden"].get("prompt")]
        assert forms, f"provider page without a login/consent form ({page.status_code}): {page.text[:400]}"
        prompt = forms[0]["hidden"]["prompt"]
        prompts.append(prompt)
        fields = {"login": sub, "password": "any"} if prompt == "login" else {}
        page = agent.submit(page, fields, form_index=parse_forms(page.text).index(forms[0]))
    raise AssertionError(f"the provider kept asking: {prompts}")

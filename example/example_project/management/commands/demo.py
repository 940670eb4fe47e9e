"""``manage.py demo``: migrate, seed the tenants, start the local identity provider, the SAML IdP
(npm ``saml-idp`` on Node, when Node.js is there) and the app."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tenant_sso.devidp import DevIdP, DevIdPConfig

from ... import demo, saml_idp


def _in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Command(BaseCommand):
    help = "Run the example app with the local identity provider and two seeded tenants."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--app-port", type=int, default=int(os.environ.get("DEMO_APP_PORT", 8000)))
        parser.add_argument("--idp-port", type=int, default=int(os.environ.get("DEMO_IDP_PORT", 9000)))
        parser.add_argument("--saml-idp-port", type=int, default=int(os.environ.get("DEMO_SAML_IDP_PORT", 7000)))
        parser.add_argument("--no-saml", action="store_true", help="Do not start the SAML IdP (initech).")
        parser.add_argument("--state-dir", default=os.environ.get("DEMO_STATE_DIR", ".demo"))

    def handle(self, *args: Any, **options: Any) -> None:
        app_url = f"http://127.0.0.1:{options['app_port']}"
        state = Path(options["state_dir"])
        state.mkdir(parents=True, exist_ok=True)
        call_command("migrate", verbosity=0, interactive=False)
        saml_port = options["saml_idp_port"]
        saml_problem = "--no-saml was given" if options["no_saml"] else self._saml_ready()
        ports = [(options["app_port"], "DEMO_APP_PORT"), (options["idp_port"], "DEMO_IDP_PORT")]
        if saml_problem is None:
            ports.append((saml_port, "DEMO_SAML_IDP_PORT"))
        for port, variable in ports:
            if _in_use(port):
                raise CommandError(f"Port {port} on 127.0.0.1 is in use (another demo?). "
                                   f"Stop it, or choose another port: {variable}=<port> make demo")
        metadata_url = None if saml_problem else f"http://127.0.0.1:{saml_port}/metadata"
        idp = DevIdP(DevIdPConfig.from_dict(demo.idp_config(app_url, metadata_url)),
                     key_file=state / "devidp-keys.json")
        server = idp.serve(host="127.0.0.1", port=options["idp_port"])
        saml: saml_idp.SamlIdP | None = None
        # A TERM (a supervisor, `kill`) stops the SAML IdP's Node process too, as Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        worker: subprocess.Popen[bytes] | None = None
        try:
            if saml_problem is None:
                saml = saml_idp.SamlIdP(
                    state / "saml-idp", acs_url=f"{server.base_url}/saml2/idpresponse",
                    audience=f"urn:amazon:cognito:sp:{demo.POOL_ID}", user=dict(demo.SAML_USER), port=saml_port,
                    relay_state=demo.saml_relay_state(app_url),
                ).start()
            demo.seed(server.issuer, server.base_url, app_url, saml=saml is not None)
            User = get_user_model()
            if not User.objects.filter(username="admin").exists():
                User.objects.create_superuser("admin", "admin@example.test", "admin")
            worker = self._start_worker(server.base_url)
            self._banner(app_url, server.base_url, saml, saml_problem)
            call_command("runserver", f"127.0.0.1:{options['app_port']}", use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
            if saml is not None:
                saml.stop()
            server.stop()

    def _start_worker(self, idp_url: str) -> subprocess.Popen[bytes]:
        """The task worker (django-tasks-db's ``db_worker``): runs what logins queue, e.g. clearing
        the Cognito groups of the pool user (docs/deprovisioning.md), against the local IdP."""
        env = {
            **os.environ,
            "TENANT_SSO_COGNITO_ENDPOINT_URL": idp_url,  # the devidp answers the Cognito admin calls
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "demo"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "demo"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        manage = Path(sys.argv[0]).resolve()
        return subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py, fixed arguments)
            [sys.executable, str(manage), "db_worker", "--no-reload", "--interval", "0.5", "-v", "1"], env=env
        )

    def _saml_ready(self) -> str | None:
        """Why the SAML tenant cannot run (said in the banner), or None; installs saml-idp with
        ``npm ci`` from the lockfile when Node.js and npm are there."""
        problem = saml_idp.missing()
        if problem and "node_modules" not in problem and "npm ci" not in problem:
            return problem
        try:
            saml_idp.ensure_installed()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            return f"saml-idp could not be installed ({exc})"
        return saml_idp.missing()

    def _banner(self, app_url: str, idp_url: str, saml: saml_idp.SamlIdP | None, saml_problem: str | None) -> None:
        w = self.stdout.write
        w(self.style.SUCCESS("\ntenant_sso demo is running (Ctrl-C stops every server)\n"))
        w(f"  App:                {app_url}/  (sign in at {app_url}/login/)")
        w(f"  Identity provider:  {idp_url}  (a local stand-in for Cognito + the customer's Okta/Entra)")
        if saml is not None:
            w(f"  SAML IdP:           {saml.base_url}/  (npm saml-idp, brokered by the identity provider;")
            w("                      open it and click Sign in for an IdP-initiated sign-in)")
        w(f"  Admin:              {app_url}/admin/  (user admin, password admin)")
        w(f"  API:                {app_url}/api/me/")
        w("  Task worker:        manage.py db_worker (background work: docs/deprovisioning.md)\n")
        w("Try these work emails on the login page:")
        for tenant, email, _groups, expect in demo.USERS + (demo.SAML_USERS if saml is not None else []):
            w(f"  {email:<20} {tenant:<7} {expect}")
        if saml is None:
            w(self.style.WARNING(f"\nThe SAML tenant (initech) is off: {saml_problem}."))
        w("")

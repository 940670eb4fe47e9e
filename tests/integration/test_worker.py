"""A real worker (issue 16, point 5): the example's task queue (django-tasks-db) keeps a task while
no worker runs, and ``manage.py db_worker`` started later runs it.

Separate processes on one SQLite file, as in production (web process, worker process, one
database): the web side queues ``cognito_global_sign_out`` for alice's identity while no worker
runs; nothing happens (the local identity provider, playing Cognito, receives no call); then a
worker starts, and the federated user is signed out in "Cognito" and the sign-out is audited.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cognito import CREDENTIALS
from tests.support.idp import idp_config

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "example"

QUEUE = """
from tenant_sso.background import defer
from tenant_sso.connections import ConnectionSpec, upsert_connection
from tenant_sso.models import FederatedIdentity
from tenant_sso.tasks import cognito_global_sign_out
from django.contrib.auth import get_user_model

connection, _ = upsert_connection(ConnectionSpec(
    org_slug="acme", org_name="Acme", kind="cognito", client_id="acme-client", client_secret="s",
    issuer="{issuer}", cognito_domain="{base}", identity_provider="AcmeOkta",
    email_domains=["acme.test"], allowed_groups=["engineering"]))
user = get_user_model().objects.create_user("alice")
identity = FederatedIdentity.objects.create(user=user, connection=connection, issuer=connection.issuer,
                                            subject="pool-alice", cognito_username="AcmeOkta_00u-alice")
result = defer(cognito_global_sign_out, identity.pk)
print(result.status)
"""


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLE / "manage.py"), *args], cwd=EXAMPLE, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_task_queued_while_no_worker_runs_is_done_when_a_worker_starts(
    devidp_factory: Any, tmp_path: Path
) -> None:
    server = devidp_factory(idp_config())
    server.idp.issue_tokens_for("acme-client", "alice@acme.test")  # alice's pool user exists
    database = tmp_path / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "TENANT_SSO_ENCRYPTION_KEYS": "x0S9v0u2bM2pDzqBnd7dtyQt3aqwXh3TNmtjpO3oZJk=",
        "TENANT_SSO_COGNITO_ENDPOINT_URL": server.base_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        **{name.upper(): value for name, value in CREDENTIALS.items()},
    }
    env.pop("TASKS_BACKEND", None)
    assert manage(env, "migrate", "--noinput", "-v", "0").returncode == 0

    queued = manage(env, "shell", "-c", QUEUE.format(issuer=server.issuer, base=server.base_url))
    assert queued.returncode == 0, queued.stderr[-2000:]
    assert queued.stdout.strip().endswith("READY")  # waiting in the database, no worker yet
    assert server.idp.admin_calls == []

    worked = manage(env, "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0.1")
    assert worked.returncode == 0, worked.stderr[-2000:]

    assert server.idp.admin_calls == [("AdminUserGlobalSignOut", "AcmeOkta_00u-alice", ())]
    with sqlite3.connect(database) as db:
        reasons = [r for (r,) in db.execute("SELECT reason FROM tenant_sso_loginevent")]
        statuses = [s for (s,) in db.execute("SELECT status FROM django_tasks_database_dbtaskresult")]
    assert reasons == ["cognito_signed_out"]
    assert statuses == ["SUCCESSFUL"]

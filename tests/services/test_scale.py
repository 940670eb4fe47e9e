"""100,000 organizations: home-realm discovery and connection lookup stay index lookups."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.services import servers
from tests.services.helpers import AppBrowser, create_acme, full_login, services_env, start_idp
from tests.services.servers import TEMPLATE_DB
from tests.services.tenants_bulk import scans

pytestmark = pytest.mark.services

TENANTS = 100_000


def tenants_bulk(env: dict[str, str], *args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "tests.services.tenants_bulk", *args],
        env=env, capture_output=True, text=True, timeout=300, cwd=servers.ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def many_tenants(postgres: servers.PostgresServer, redis_server: servers.RedisServer) -> Any:
    """acme (a real connection to a running IdP) among 100,000 other organizations, loaded once."""
    port = servers.free_port()
    _, idp_server = start_idp([f"http://127.0.0.1:{port}"])
    database_url = postgres.create_database("scale", template=TEMPLATE_DB)
    env = services_env(database_url, redis_server.url)
    try:
        create_acme(env, idp_server)
        loaded = tenants_bulk(env, "load", str(TENANTS), "--issuer", idp_server.issuer,
                              "--domain", idp_server.base_url)
        assert loaded == {"organizations": TENANTS + 1}
        yield env, port
    finally:
        idp_server.stop()


@pytest.mark.parametrize("lookup", [["--email", "alice@acme.test"], ["--email", "someone@org-77777.example"],
                                    ["--org", "org-4242"]], ids=["email-acme", "email-org", "slug"])
def test_connection_lookup_uses_indexes_only(many_tenants: Any, lookup: list[str]) -> None:
    env, _ = many_tenants

    queries = tenants_bulk(env, "explain", *lookup)

    assert len(queries) == 1  # one round trip, whatever the number of tenants
    for query in queries:
        tables = scans(query["plan"])
        assert tables, query
        for node, table in tables:
            assert node in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan"), (node, table, query["sql"])


def test_a_login_by_email_works_among_100000_tenants(many_tenants: Any, start_app: Any) -> None:
    env, port = many_tenants
    app = start_app(env, port=port, workers=1)

    response = full_login(app.url, AppBrowser(), "alice@acme.test")

    assert response.status_code == 302
    assert response.headers["location"] == "/"

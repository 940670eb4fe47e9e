"""Fixtures of the service tests: one throwaway PostgreSQL and Redis per session, gunicorn apps.

PostgreSQL and Redis are Debian's (``scripts/system-deps.sh``); they are started on 127.0.0.1 on
free ports for this session only and stopped at teardown. Each test gets a fresh database,
copied from a template migrated once (``CREATE DATABASE ... TEMPLATE``), and an empty Redis.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import servers
from tests.services.servers import TEMPLATE_DB


def _ensure_installed() -> None:
    """Install PostgreSQL / Redis when missing (as root, like CI); otherwise skip with the reason."""
    missing = servers.postgres_bin_dir() is None or not shutil.which("redis-server")
    if not missing:
        return
    if not servers.is_root():
        pytest.skip("PostgreSQL or redis-server is missing: run `sudo make system-deps` to run service tests")
    subprocess.run(["bash", str(servers.ROOT / "scripts" / "system-deps.sh")], check=True, timeout=600)


@pytest.fixture(scope="session")
def postgres() -> Iterator[servers.PostgresServer]:
    """A PostgreSQL server with ``tenant_sso_template``: the example project's migrated schema."""
    _ensure_installed()
    server = servers.PostgresServer()
    try:
        server.start()
        server.create_database(TEMPLATE_DB)
        servers.manage(servers.app_env(DATABASE_URL=server.url(TEMPLATE_DB)), "migrate", "--noinput")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[servers.RedisServer]:
    _ensure_installed()
    server = servers.RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def database_url(postgres: servers.PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated database for this test."""
    name = f"t_{abs(hash(request.node.nodeid)) % 10**10}"
    url = postgres.create_database(name, template=TEMPLATE_DB)
    yield url
    with postgres.connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url(redis_server: servers.RedisServer) -> str:
    import redis

    with redis.Redis.from_url(redis_server.url) as client:
        client.flushall()
    return redis_server.url


@pytest.fixture
def sql(database_url: str) -> Iterator[Callable[..., Any]]:
    """``sql("select ...", *params)``: the rows of a query on this test's database."""
    import psycopg

    conn = psycopg.connect(database_url, autocommit=True)

    def run(query: str, *params: Any) -> list[tuple[Any, ...]]:
        return conn.execute(query, params).fetchall()

    yield run
    conn.close()


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[Callable[..., servers.GunicornApp]]:
    """Start the example project under gunicorn; every app started is stopped at teardown."""
    started: list[servers.GunicornApp] = []

    def start(env: dict[str, str], **options: Any) -> servers.GunicornApp:
        app = servers.GunicornApp(env, log=tmp_path / f"gunicorn-{len(started)}.log", **options)
        started.append(app)
        return app.start()

    yield start
    for app in started:
        app.stop()


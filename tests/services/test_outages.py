"""Redis or the identity provider going away mid-run: clear answers, and recovery without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.services.helpers import (
    AppBrowser,
    create_acme,
    full_login,
    services_env,
    sign_in_at_idp,
    start_idp,
    start_login,
)
from tests.services.servers import RedisServer, TcpProxy, free_port

pytestmark = pytest.mark.services

DB_SESSIONS = "django.contrib.sessions.backends.db"


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own, to be stopped and started again."""
    server = RedisServer().start()
    yield server
    server.close()


def jwks_cached(url: str) -> bool:
    with redis.Redis.from_url(url) as client:
        return bool(client.keys("*tenant_sso:jwks:*"))


def logs_of(tmp_path: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted(tmp_path.glob("gunicorn-*.log")))


def test_logins_go_on_while_redis_is_down_and_use_it_again_when_it_is_back(
    database_url: str, own_redis: RedisServer, start_app: Any, sql: Any, tmp_path: Path
) -> None:
    port = free_port()
    _, idp_server = start_idp([f"http://127.0.0.1:{port}"])
    try:
        env = services_env(database_url, own_redis.url, SESSION_ENGINE=DB_SESSIONS)
        create_acme(env, idp_server)
        app = start_app(env, port=port, workers=1)
        assert full_login(app.url, AppBrowser(), "alice@acme.test").status_code == 302
        assert jwks_cached(own_redis.url)

        own_redis.stop()
        browser = AppBrowser()
        during = full_login(app.url, browser, "alice@acme.test")

        assert during.status_code == 302, during.text[:500]
        assert browser.get(f"{app.url}/api/me/").json()["email"] == "alice@acme.test"
        assert "continuing without the cache" in logs_of(tmp_path)

        own_redis.start()  # same port, empty
        after = full_login(app.url, AppBrowser(), "alice@acme.test")

        assert after.status_code == 302
        assert jwks_cached(own_redis.url), "the app did not go back to the cache"
        assert sql("select outcome, count(*) from tenant_sso_loginevent group by outcome") == [("success", 3)]
    finally:
        idp_server.stop()


def test_identity_provider_down_gives_a_reason_code_and_logins_resume_when_it_is_back(
    database_url: str, redis_url: str, start_app: Any, sql: Any
) -> None:
    """The app reaches the IdP's hosted domain through a proxy that the test takes down."""
    port = free_port()
    _, idp_server = start_idp([f"http://127.0.0.1:{port}"])
    route = TcpProxy(idp_server.port).start()
    try:
        env = services_env(database_url, redis_url, SESSION_ENGINE=DB_SESSIONS, TENANT_SSO_HTTP_TIMEOUT="2")
        create_acme(env, idp_server, domain=route.url)
        app = start_app(env, port=port, workers=1)
        browser = AppBrowser()
        callback = sign_in_at_idp(start_login(app.url, browser, "alice@acme.test"), "alice@acme.test")

        route.stop()
        refused = browser.get(callback)

        assert refused.status_code == 502
        assert 'id="sso-error-code">token_unreachable<' in refused.text
        assert sql("select outcome, reason from tenant_sso_loginevent") == [("error", "token_unreachable")]

        route.start()
        assert full_login(app.url, AppBrowser(), "alice@acme.test").status_code == 302
    finally:
        route.stop()
        idp_server.stop()

"""A login started on one app process finishes on another: nothing the flow needs is in memory.

Two gunicorn processes of the example project on different ports share one PostgreSQL and one
Redis. The browser starts the login on process A, signs in at the identity provider, and brings
the callback (with its session cookie) to process B.
"""

from __future__ import annotations

from typing import Any

import pytest
import redis

from tests.services.helpers import (
    AppBrowser,
    create_acme,
    on,
    services_env,
    sign_in_at_idp,
    start_idp,
    start_login,
)
from tests.support import urls

pytestmark = pytest.mark.services


@pytest.mark.parametrize(
    "session_engine",
    ["django.contrib.sessions.backends.cache", "django.contrib.sessions.backends.db", "tenant_sso.dbsession"],
    ids=["redis-sessions", "db-sessions", "tenant-sso-db-sessions"],
)
def test_login_started_on_one_process_finishes_on_another(
    session_engine: str, database_url: str, redis_url: str, start_app: Any, sql: Any
) -> None:
    from tests.services.servers import free_port

    port_a = free_port()
    base_a = f"http://127.0.0.1:{port_a}"
    _idp, idp_server = start_idp([base_a])
    try:
        # Both processes publish the same redirect URI, as behind one load balancer.
        env = services_env(database_url, redis_url, SESSION_ENGINE=session_engine, TENANT_SSO_BASE_URL=base_a)
        create_acme(env, idp_server)
        app_a = start_app(env, port=port_a, workers=1)
        app_b = start_app(env, workers=1)
        browser = AppBrowser()

        authorization_url = start_login(app_a.url, browser, "alice@acme.test")
        callback = sign_in_at_idp(authorization_url, "alice@acme.test")
        assert callback.startswith(urls.callback_url(base_a))
        finished = browser.get(on(app_b.url, callback))

        assert finished.status_code == 302, finished.text[:500]
        assert finished.headers["location"] == "/"
        for app in (app_b, app_a):  # the new session is known to both processes
            me = browser.get(f"{app.url}/api/me/")
            assert me.status_code == 200
            assert me.json()["email"] == "alice@acme.test"
            assert me.json()["organization"] == "acme"
            assert me.json()["groups"] == ["Administrators", "Engineers"]
        assert sql("select outcome from tenant_sso_loginevent") == [("success",)]
        with redis.Redis.from_url(redis_url) as client:  # the shared cache stays bounded
            keys = client.keys("*")
            assert any(b"tenant_sso:jwks:" in key for key in keys)
            assert all(client.ttl(key) > 0 for key in keys), "a Redis entry without a TTL"
    finally:
        idp_server.stop()


def test_callback_without_the_session_is_refused_cleanly(
    database_url: str, redis_url: str, start_app: Any, sql: Any
) -> None:
    """The state lives in the session: another browser's callback gets a reason code, not a 500."""
    from tests.services.servers import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    _idp, idp_server = start_idp([base])
    try:
        env = services_env(database_url, redis_url, SESSION_ENGINE="django.contrib.sessions.backends.cache")
        create_acme(env, idp_server)
        app = start_app(env, port=port, workers=1)
        callback = sign_in_at_idp(start_login(app.url, AppBrowser(), "alice@acme.test"), "alice@acme.test")

        stranger = AppBrowser().get(callback)

        assert stranger.status_code == 400
        assert "state_unknown" in stranger.text
        assert sql("select outcome, reason from tenant_sso_loginevent") == [("error", "state_unknown")]
    finally:
        idp_server.stop()

"""Issue 12 on PostgreSQL and Redis, through gunicorn: one exchange per racing callback, the kill
switch in every server-side session engine, and anonymous floods that write (almost) nothing."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.services import servers
from tests.services.helpers import (
    AppBrowser,
    create_acme,
    full_login,
    services_env,
    sign_in_at_idp,
    start_idp,
    start_login,
)
from tests.services.servers import TcpProxy, free_port
from tests.support import urls
from tests.support.stubs import RequestLog

pytestmark = pytest.mark.services


@pytest.fixture
def token_requests() -> Iterator[RequestLog]:
    """The in-process identity provider's request log."""
    log = RequestLog()
    logger = logging.getLogger("tenant_sso.devidp")
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(log)
    yield log
    logger.removeHandler(log)
    logger.setLevel(previous)


def reason_of(response: Any) -> str:
    match = re.search(r'id="sso-error-code">([a-z_]+)<', response.text)
    return match[1] if match else ""


def test_copies_of_one_callback_racing_exchange_the_code_once(
    database_url: str, redis_url: str, start_app: Any, sql: Any, token_requests: RequestLog
) -> None:
    """The token endpoint is 0.3 s away, so every copy loads the session (attempt still in it)
    while the first is exchanging: only the atomic claim in Redis stops the others."""
    port = free_port()
    _, idp_server = start_idp([f"http://127.0.0.1:{port}"])
    route = TcpProxy(urlsplit(idp_server.base_url).port or 0, rtt=0.15).start()
    try:
        env = services_env(database_url, redis_url)
        create_acme(env, idp_server, domain=route.url)
        app = start_app(env, port=port, workers=2, threads=4)
        browser = AppBrowser()
        callback = sign_in_at_idp(start_login(app.url, browser, "alice@acme.test"), "alice@acme.test")
        before = token_requests.count("/oauth2/token")

        def send(_: int) -> Any:
            twin = AppBrowser(cookies=dict(browser.cookies))
            try:
                return twin.get(callback)
            finally:
                twin.close()

        with ThreadPoolExecutor(4) as pool:
            responses = list(pool.map(send, range(4)))
    finally:
        route.stop()
        idp_server.stop()

    assert sorted(r.status_code for r in responses) == [302, 400, 400, 400]
    assert {reason_of(r) for r in responses if r.status_code == 400} == {"state_unknown"}
    assert token_requests.count("/oauth2/token") - before == 1
    details = sql("select detail::text from tenant_sso_loginevent where reason = 'state_unknown'")
    assert len(details) == 3 and all("concurrent request" in d for (d,) in details), details


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
        "django.contrib.sessions.backends.cache",
    ],
    ids=lambda e: str(e).rsplit(".", 1)[1],
)
def test_disabling_the_connection_ends_every_session_at_the_next_request(
    database_url: str, redis_url: str, start_app: Any, sql: Any, engine: str
) -> None:
    port = free_port()
    _, idp_server = start_idp([f"http://127.0.0.1:{port}"], users=1)
    try:
        env = services_env(database_url, redis_url, SESSION_ENGINE=engine)
        create_acme(env, idp_server)
        app = start_app(env, port=port, workers=2)
        alice, user0 = AppBrowser(), AppBrowser()
        assert full_login(app.url, alice, "alice@acme.test").status_code == 302
        assert full_login(app.url, user0, "user0@acme.test").status_code == 302
        assert alice.get(f"{app.url}/api/me/").status_code == 200
        assert sql("select count(*) from tenant_sso_ssosession") == [(2,)]

        servers.manage(env, "sso_connection", "disable", "--org", "acme")

        assert alice.get(f"{app.url}/api/me/").status_code == 401
        assert user0.get(f"{app.url}/api/me/").status_code == 401
    finally:
        idp_server.stop()
    assert sql("select count(*) from tenant_sso_ssosession") == [(0,)]
    assert sql("select count(*) from django_session where expire_date > now()") == [(0,)]
    assert sql(
        "select reason, count(*) from tenant_sso_loginevent where outcome = 'revoked' group by reason"
    ) == [("connection_disabled", 2)]


def test_deactivating_a_user_ends_their_session_and_refuses_their_next_login(
    database_url: str, redis_url: str, start_app: Any, sql: Any
) -> None:
    port = free_port()
    _, idp_server = start_idp([f"http://127.0.0.1:{port}"], users=1)
    try:
        env = services_env(database_url, redis_url)
        create_acme(env, idp_server)
        app = start_app(env, port=port, workers=2)
        alice, user0 = AppBrowser(), AppBrowser()
        full_login(app.url, alice, "alice@acme.test")
        full_login(app.url, user0, "user0@acme.test")
        servers.manage(
            env, "shell", "-c",
            "from django.contrib.auth.models import User; "
            "u = User.objects.get(email='alice@acme.test'); u.is_active = False; u.save()",
        )
        assert alice.get(f"{app.url}/api/me/").status_code == 401
        assert user0.get(f"{app.url}/api/me/").status_code == 200
        again = full_login(app.url, AppBrowser(), "alice@acme.test")
    finally:
        idp_server.stop()
    assert again.status_code == 403 and reason_of(again) == "user_inactive"
    assert sql("select outcome, reason from tenant_sso_loginevent where outcome <> 'success' order by id") == [
        ("revoked", "user_deactivated"),
        ("denied", "user_inactive"),
    ]


def test_an_anonymous_flood_writes_no_session_and_a_bounded_audit(
    database_url: str, redis_url: str, start_app: Any, sql: Any
) -> None:
    """The review's 90 anonymous requests left 60 sessions and 60 events; now none and a few."""
    port = free_port()
    _, idp_server = start_idp([f"http://127.0.0.1:{port}"])
    try:
        # A day-long window: the 90 requests never straddle two windows.
        env = services_env(database_url, redis_url, TENANT_SSO_RATE_LIMIT_PER_IP="60",
                           TENANT_SSO_RATE_LIMIT_WINDOW="86400")
        create_acme(env, idp_server)
        app = start_app(env, port=port, workers=2, threads=4)

        def anonymous(i: int) -> int:
            browser = AppBrowser()
            try:
                if i % 3 == 0:
                    return browser.get(f"{app.url}{urls.callback()}", state=f"forged-{i}", code="x").status_code
                if i % 3 == 1:
                    return browser.get(f"{app.url}{urls.login()}", org=f"nobody-{i}").status_code
                return browser.get(f"{app.url}{urls.login()}", org="acme").status_code  # confirmation page
            finally:
                browser.close()

        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(anonymous, range(90)))
    finally:
        idp_server.stop()
    assert statuses.count(429) == 30  # 60 a minute from one address, then rate_limited
    assert sql("select count(*) from django_session") == [(0,)]
    assert sql("select reason, count(*) from tenant_sso_loginevent group by reason order by reason") == [
        ("rate_limited", 5),
        ("state_unknown", 5),
        ("unknown_organization", 5),
    ]

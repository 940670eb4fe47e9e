"""Many logins at once, on PostgreSQL, through gunicorn (2 workers x 8 threads).

Every callback is held at a barrier right before provisioning (``tests.services.barrier``), so
they race for real: the same person's first logins, many people's first logins needing the same
new groups, and an existing user's logins all at once.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from tests.services.barrier import BARRIER_KEY, SIZE_KEY
from tests.services.helpers import (
    AppBrowser,
    create_acme,
    services_env,
    sign_in_at_idp,
    start_idp,
    start_login,
)
from tests.services.servers import free_port
from tests.support.stubs import RequestLog

pytestmark = pytest.mark.services

N = 8


@pytest.fixture
def racing_app(database_url: str, redis_url: str, start_app: Any) -> Any:
    """An app whose callbacks wait for each other; returns (app, idp, barrier counter)."""
    port = free_port()
    idp, idp_server = start_idp([f"http://127.0.0.1:{port}"], users=N)
    counter = redis.Redis.from_url(redis_url)
    try:
        env = services_env(database_url, redis_url, DJANGO_SETTINGS_MODULE="tests.services.barrier_settings")
        create_acme(env, idp_server)
        app = start_app(env, port=port, workers=2, threads=N)
        yield app, idp, counter
    finally:
        counter.close()
        idp_server.stop()


def race(app_url: str, emails: list[str], counter: Any) -> list[int]:
    """Prepare one callback per email (each in its own browser), then send them all at once."""
    counter.delete(BARRIER_KEY)
    counter.set(SIZE_KEY, len(emails))
    pending = []
    for email in emails:
        browser = AppBrowser()
        pending.append((browser, sign_in_at_idp(start_login(app_url, browser, email), email)))
    with ThreadPoolExecutor(len(pending)) as pool:
        responses = list(pool.map(lambda item: item[0].get(item[1]), pending))
    for browser, _ in pending:
        browser.close()
    assert int(counter.get(BARRIER_KEY) or 0) == len(emails), "the callbacks did not all race"
    return [r.status_code for r in responses]


def test_the_same_person_logging_in_many_times_at_once_gets_one_user(racing_app: Any, sql: Any) -> None:
    app, _, counter = racing_app

    statuses = race(app.url, ["alice@acme.test"] * N, counter)

    assert statuses == [302] * N
    assert sql("select count(*) from auth_user") == [(1,)]
    assert sql("select email from tenant_sso_federatedidentity") == [("alice@acme.test",)]
    assert sql("select outcome, count(*) from tenant_sso_loginevent group by outcome") == [("success", N)]
    assert sql(
        "select g.name from auth_user_groups ug join auth_group g on g.id = ug.group_id order by g.name"
    ) == [("Administrators",), ("Engineers",)]


def test_many_first_logins_at_once_share_the_new_groups(racing_app: Any, sql: Any) -> None:
    app, _, counter = racing_app

    statuses = race(app.url, [f"user{i}@acme.test" for i in range(N)], counter)

    assert statuses == [302] * N
    assert sql("select count(*) from auth_user") == [(N,)]
    assert sql("select count(*) from tenant_sso_federatedidentity") == [(N,)]
    assert sql("select name from auth_group order by name") == [("Administrators",), ("Engineers",)]
    assert sql("select count(*) from auth_user_groups") == [(2 * N,)]
    assert sql("select outcome, count(*) from tenant_sso_loginevent group by outcome") == [("success", N)]


def test_an_existing_users_group_sync_does_not_interleave(racing_app: Any, sql: Any) -> None:
    """Logins at once while the IdP drops a group: the user ends with exactly the IdP's groups."""
    app, idp, counter = racing_app
    race(app.url, ["alice@acme.test"], counter)
    idp.set_groups("AcmeOkta", "alice@acme.test", ["engineering"])

    statuses = race(app.url, ["alice@acme.test"] * N, counter)

    assert statuses == [302] * N
    assert sql("select count(*) from tenant_sso_federatedidentity") == [(1,)]
    assert sql(
        "select g.name from auth_user_groups ug join auth_group g on g.id = ug.group_id"
    ) == [("Engineers",)]
    assert sql("select outcome, count(*) from tenant_sso_loginevent group by outcome") == [("success", N + 1)]


def test_a_callback_sent_twice_at_once_logs_in_once(racing_app: Any, sql: Any) -> None:
    """A double click on the IdP's last page: the attempt is claimed atomically in Redis, so one
    copy exchanges the code and the other is refused before reaching the token endpoint."""
    app, _, counter = racing_app
    exchanges = RequestLog()
    devidp_log = logging.getLogger("tenant_sso.devidp")
    previous = devidp_log.level
    devidp_log.setLevel(logging.INFO)
    devidp_log.addHandler(exchanges)
    counter.set(SIZE_KEY, 1)
    browser = AppBrowser()
    callback = sign_in_at_idp(start_login(app.url, browser, "alice@acme.test"), "alice@acme.test")
    cookie = dict(browser.cookies)

    def send(_: int) -> Any:
        twin = AppBrowser(cookies=dict(cookie))
        try:
            return twin.get(callback)
        finally:
            twin.close()

    try:
        with ThreadPoolExecutor(2) as pool:
            responses = list(pool.map(send, range(2)))
    finally:
        devidp_log.removeHandler(exchanges)
        devidp_log.setLevel(previous)

    statuses = sorted(r.status_code for r in responses)
    assert statuses[0] == 302, [r.text[:300] for r in responses]
    refused = next(r for r in responses if r.status_code != 302)
    code = re.search(r'id="sso-error-code">([a-z_]+)<', refused.text)
    assert code is not None and (refused.status_code, code[1]) == (400, "state_unknown"), (
        refused.status_code,
        refused.text[:300],
    )
    assert exchanges.count("/oauth2/token") == 1, exchanges.lines
    assert sql("select outcome, reason from tenant_sso_loginevent order by outcome") == [
        ("error", code[1]),
        ("success", ""),
    ]
    assert sql("select count(*) from tenant_sso_federatedidentity") == [(1,)]

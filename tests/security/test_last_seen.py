"""SSO sessions' "last seen" (issue 16, point 1): moved by LastSeenMiddleware at most once per
TENANT_SSO_LAST_SEEN_INTERVAL, for free in between, in every server-side session engine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection as db_connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tenant_sso.models import SSOSession
from tests.security.test_kill_switch import ENGINES
from tests.support.driver import login
from tests.support.pages import ME

pytestmark = pytest.mark.django_db


@pytest.fixture(params=ENGINES, ids=lambda e: e.rsplit(".", 1)[1])
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    with override_settings(SESSION_ENGINE=request.param):
        yield str(request.param)


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The middleware's clock, ``seconds`` ahead (the database's clock is left alone)."""
    start = time.time()
    monkeypatch.setattr("tenant_sso.middleware.time", SimpleNamespace(time=lambda: start + seconds))


def session_writes(queries: Any) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE") or "INSERT" in q["sql"]]


def test_last_seen_moves_at_most_once_per_interval(
    client: Any, tenants: Any, idp: Any, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(client, idp.idp)
    at_login = SSOSession.objects.get().last_seen_at

    with CaptureQueriesContext(db_connection) as queries:
        assert client.get(ME).status_code == 200
    assert session_writes(queries) == []  # within the interval: not a single write
    assert SSOSession.objects.get().last_seen_at == at_login

    later(monkeypatch, 301)
    with CaptureQueriesContext(db_connection) as queries:
        assert client.get(ME).status_code == 200
    moved = SSOSession.objects.get().last_seen_at
    assert moved > at_login
    assert any("tenant_sso_ssosession" in sql for sql in session_writes(queries))

    # The next request in the same interval writes nothing again.
    with CaptureQueriesContext(db_connection) as queries:
        assert client.get(ME).status_code == 200
    assert not any("tenant_sso_ssosession" in sql for sql in session_writes(queries))
    assert SSOSession.objects.get().last_seen_at == moved


def test_a_revoked_session_is_not_brought_back(client: Any, tenants: Any, idp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    login(client, idp.idp)
    from tenant_sso import session_index

    session_index.revoke(SSOSession.objects.all(), "session_revoked")
    later(monkeypatch, 301)
    assert client.get(ME).status_code == 401
    assert not SSOSession.objects.exists()

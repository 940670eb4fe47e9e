"""Login events in the admin: the audit list with its filters and search, read-only, and the
per-connection summary (last successful login, refusals of the last 24 hours by reason)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tenant_sso.models import Connection, LoginEvent

pytestmark = pytest.mark.django_db

EVENTS = "/admin/tenant_sso/loginevent/"


def event(connection: Connection, outcome: str, reason: str = "", email: str = "", age: timedelta | None = None,
          detail: str = "") -> LoginEvent:
    row = LoginEvent.objects.create(
        connection=connection, organization=connection.organization, outcome=outcome, reason=reason,
        email=email, subject=f"sub-{email}", ip_address="192.0.2.7", detail={"detail": detail} if detail else {},
    )
    if age is not None:  # created_at is auto_now_add: move it afterwards
        LoginEvent.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)
    return row


@pytest.fixture
def history(tenants: Any) -> dict[str, Any]:
    acme, globex = tenants["acme"], tenants["globex"]
    event(acme, "success", email="alice@acme.test", age=timedelta(hours=3))
    event(acme, "denied", "not_in_allowed_group", "bob@acme.test", age=timedelta(hours=2), detail="1 group, none allowed")
    event(acme, "denied", "not_in_allowed_group", "carl@acme.test", age=timedelta(hours=1))
    event(acme, "error", "token_exchange_failed", age=timedelta(minutes=5), detail="token endpoint HTTP 400")
    event(acme, "denied", "groups_missing", "old@acme.test", age=timedelta(days=3))
    event(globex, "denied", "unknown_kid", "dave@globex.test")
    return {"acme": acme, "globex": globex}


def emails_listed(html: str) -> set[str]:
    return set(re.findall(r"[a-z]+@(?:acme|globex)\.test", html))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("outcome=denied", {"bob@acme.test", "carl@acme.test", "old@acme.test", "dave@globex.test"}),
        ("reason=not_in_allowed_group", {"bob@acme.test", "carl@acme.test"}),
        ("q=dave@globex", {"dave@globex.test"}),
        ("q=unknown_kid", {"dave@globex.test"}),
    ],
)
def test_events_list_filters_and_search(admin_client: Any, history: Any, query: str, expected: set[str]) -> None:
    response = admin_client.get(f"{EVENTS}?{query}")
    assert response.status_code == 200
    assert emails_listed(response.content.decode()) == expected


def test_events_list_filters_by_organization_and_date(admin_client: Any, history: Any) -> None:
    globex = history["globex"].organization
    html = admin_client.get(f"{EVENTS}?organization__id__exact={globex.pk}").content.decode()
    assert emails_listed(html) == {"dave@globex.test"}
    since = (timezone.now() - timedelta(days=1)).isoformat(sep=" ", timespec="seconds")
    html = admin_client.get(EVENTS, {"created_at__gte": since}).content.decode()
    assert "old@acme.test" not in emails_listed(html) and "bob@acme.test" in emails_listed(html)


def test_events_are_read_only(admin_client: Any, history: Any) -> None:
    row = LoginEvent.objects.filter(reason="token_exchange_failed").get()
    page = admin_client.get(reverse("admin:tenant_sso_loginevent_change", args=[row.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "token endpoint HTTP 400" in html
    assert 'name="_save"' not in html
    assert admin_client.post(reverse("admin:tenant_sso_loginevent_delete", args=[row.pk])).status_code == 403
    assert admin_client.get("/admin/tenant_sso/loginevent/add/").status_code == 403


def test_connection_page_shows_last_success_and_refusals_of_the_last_24_hours(admin_client: Any, history: Any) -> None:
    acme = history["acme"]
    html = admin_client.get(reverse("admin:tenant_sso_connection_change", args=[acme.pk])).content.decode()
    assert re.search(r'id="sso-last-success">\d{4}-\d\d-\d\d', html)
    assert 'id="sso-refusal-count">3<' in html  # the 3-day-old refusal and globex's are not counted
    reasons = dict(re.findall(r"<code>(\w+)</code></a></td><td>(\d+)</td>", html))
    assert reasons == {"not_in_allowed_group": "2", "token_exchange_failed": "1"}
    latest = html.split('id="sso-latest-refusals"', 1)[1]
    assert latest.index("token_exchange_failed") < latest.index("carl@acme.test") < latest.index("bob@acme.test")
    assert "old@acme.test" not in html and "dave@globex.test" not in html
    # The link to all of this connection's events works.
    url = re.search(r'href="([^"]*connection__id__exact=\d+)"', html)
    assert url is not None
    listed = emails_listed(admin_client.get(url[1].replace("&amp;", "&")).content.decode())
    assert listed == {"alice@acme.test", "bob@acme.test", "carl@acme.test", "old@acme.test"}


def test_connection_page_without_any_login_says_never(admin_client: Any, tenants: Any) -> None:
    html = admin_client.get(reverse("admin:tenant_sso_connection_change", args=[tenants["globex"].pk])).content.decode()
    assert 'id="sso-last-success">never<' in html and 'id="sso-refusal-count">0<' in html

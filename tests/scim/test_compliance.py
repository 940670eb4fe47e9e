"""scim2-tester (the third-party SCIM compliance checker) against the example app served on
127.0.0.1 by pytest-django's live server: discovery, then create / read / replace / patch /
delete of Users and Groups as the checker decides them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from django.urls import reverse
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def live_server() -> Iterator[Any]:
    """The example app on 127.0.0.1 (pytest-django's own fixture binds to ``localhost``, which
    other tests need for their cookies)."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("127.0.0.1:0")
    yield server
    server.stop()

#: Outcomes that are not a violation of the RFCs (scim2-tester's own scale).
PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED}


def test_scim2_tester_passes(live_server: Any, make_connection: Any) -> None:
    from tenant_sso.scim import tokens

    connection = make_connection("acme", kind="oidc", email_domains=["acme.com"])
    token, _ = tokens.issue(connection.organization)
    base = live_server.url + reverse("tenant_sso:scim_root", kwargs={"org": "acme"})
    assert base.startswith("http://127.0.0.1:")
    with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        results = check_server(SyncSCIMClient(http))
    counts = Counter(result.status.name for result in results)
    print(f"scim2-tester: {len(results)} checks, {dict(counts)}")
    failed = [f"{r.title}: {r.status.name} {r.reason}" for r in results if r.status not in PASSING]
    assert not failed, "\n".join(failed)
    assert counts["SUCCESS"] >= 20  # the checker ran its CRUD checks, not only discovery


def test_other_organizations_token_is_refused(live_server: Any, make_connection: Any) -> None:
    from tenant_sso.scim import tokens

    make_connection("acme", kind="oidc", email_domains=["acme.com"])
    other = make_connection("globex", kind="oidc", email_domains=["globex.com"])
    token, _ = tokens.issue(other.organization)
    base = live_server.url + reverse("tenant_sso:scim_root", kwargs={"org": "acme"})
    with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        response = http.get("/Users")
    assert response.status_code == 401
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]

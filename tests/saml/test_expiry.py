"""Expiry warnings at 30, 14 and 7 days and after expiry, once each ("now" is passed in)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from tenant_sso.expiry import credentials_of, expiring, sweep
from tenant_sso.models import ExpiryNotice, LoginEvent
from tenant_sso.saml.metadata import parse_metadata
from tenant_sso.saml_store import record_cognito_certificates, record_upstream
from tenant_sso.signals import credential_expiring
from tests.support.saml import now_utc, okta_metadata, valid_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def received() -> Any:
    got: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        got.append(kwargs)

    credential_expiring.connect(receiver)
    yield got
    credential_expiring.disconnect(receiver)


def secret_connection(make_connection: Any, expires_at: datetime) -> Any:
    connection = make_connection("acme", kind="oidc", issuer="https://acme.okta.com")
    connection.client_secret_expires_on = expires_at.date()
    connection.save()
    return connection


EXPIRES = datetime.combine(now_utc().date() + timedelta(days=60), time.min, tzinfo=UTC)


def at(days_left: float) -> datetime:
    return EXPIRES - timedelta(days=days_left)


def test_each_threshold_fires_once(make_connection: Any, received: list[dict[str, Any]]) -> None:
    connection = secret_connection(make_connection, EXPIRES)
    assert sweep(now=at(31)) == []
    fired = []
    for days_left, threshold in [
        (30, 30),
        (29.5, None),
        (14, 14),
        (10, None),
        (7, 7),
        (3, None),
        (-0.001, 0),
        (-5, None),
    ]:
        sent = sweep(now=at(days_left))
        assert [w.threshold for w in sent] == ([threshold] if threshold is not None else []), days_left
        fired += [w.threshold for w in sent]
        assert sweep(now=at(days_left)) == []  # idempotent: the same moment again sends nothing
    assert fired == [30, 14, 7, 0]
    assert [r["threshold"] for r in received] == [30, 14, 7, 0]
    assert received[0]["connection"] == connection and received[0]["days_left"] == 30
    assert received[-1]["expired"] is True
    events = LoginEvent.objects.filter(outcome="expiry").order_by("pk")
    assert [e.reason for e in events] == ["credential_expiring"] * 3 + ["credential_expired"]
    assert (
        events[0].detail["kind"] == "client_secret"
        and events[0].organization_id == connection.organization_id
    )


def test_a_late_sweep_sends_the_most_severe_warning_only(make_connection: Any, received: list[Any]) -> None:
    secret_connection(make_connection, EXPIRES)
    assert [w.threshold for w in sweep(now=at(5))] == [7]
    assert sorted(ExpiryNotice.objects.values_list("threshold", flat=True)) == [7, 14, 30]
    assert [w.threshold for w in sweep(now=at(-1))] == [0]
    assert len(received) == 2


def test_a_new_secret_date_starts_afresh(make_connection: Any) -> None:
    connection = secret_connection(make_connection, EXPIRES)
    assert [w.threshold for w in sweep(now=at(10))] == [14]
    connection.client_secret_expires_on = (EXPIRES + timedelta(days=365)).date()
    connection.save()
    assert sweep(now=at(10)) == []
    assert expiring(at(10)) == []
    assert [w.threshold for w in sweep(now=at(10) + timedelta(days=346))] == [30]


def test_disabled_connections_are_not_warned_about(make_connection: Any) -> None:
    connection = secret_connection(make_connection, EXPIRES)
    connection.enabled = False
    connection.save()
    assert sweep(now=at(1)) == [] and expiring(at(1)) == []


def saml_connection(make_connection: Any, cert_days: float, now: datetime) -> Any:
    connection = make_connection("acme")
    metadata = parse_metadata(okta_metadata([valid_certificate(now, days_left=cert_days)]), now=now)
    record_upstream(
        connection,
        metadata=metadata,
        metadata_url="https://acme.okta.com/app/x/sso/saml/metadata",
        preset="okta",
    )
    return connection


def test_a_rolled_certificate_clears_the_warning(make_connection: Any) -> None:
    now = now_utc()
    connection = saml_connection(make_connection, 20, now)
    [credential] = expiring(now)
    assert credential.kind == "saml_certificate" and credential.days_left(now) == 20
    assert [w.threshold for w in sweep(now=now)] == [30]
    # the IdP added its next certificate next to the old one: nothing left to warn about
    rolled = parse_metadata(
        okta_metadata(
            [valid_certificate(now, days_left=20), valid_certificate(now, days_left=800, common_name="next")]
        ),
        now=now,
    )
    record_upstream(connection, metadata=rolled, preset="okta")
    assert expiring(now) == []
    assert sweep(now=now + timedelta(days=10)) == []


def test_cognitos_stale_copy_is_warned_about_on_its_own(make_connection: Any) -> None:
    now = now_utc()
    connection = saml_connection(make_connection, 800, now)
    assert expiring(now) == []
    record_cognito_certificates(connection, okta_metadata([valid_certificate(now, days_left=6)]))
    [credential] = expiring(now)
    assert credential.source == "cognito" and "as Cognito holds it" in credential.label
    [warned] = sweep(now=now)
    assert warned.threshold == 7
    assert [c.source for c in credentials_of(connection)] == ["cognito", "metadata"]


def test_days_left_as_shown(make_connection: Any) -> None:
    [credential] = credentials_of(secret_connection(make_connection, EXPIRES))
    assert credential.describe(at(30)).endswith(f"30 days left ({EXPIRES:%Y-%m-%d})")
    assert "1 day left" in credential.describe(at(1.5))
    assert "EXPIRED today" in credential.describe(at(-0.5))
    assert "EXPIRED 3 days ago" in credential.describe(at(-3.2))


def test_notices_of_a_replaced_credential_are_forgotten(make_connection: Any) -> None:
    connection = secret_connection(make_connection, EXPIRES)
    sweep(now=at(5))
    connection.client_secret_expires_on = (EXPIRES + timedelta(days=400)).date()
    connection.save()
    sweep(now=at(5))
    assert ExpiryNotice.objects.count() == 0


def test_listing_every_credential_is_one_query(make_connection: Any, django_assert_num_queries: Any) -> None:
    # The system check runs at every start: its cost must not grow with the number of tenants.
    from tenant_sso.expiry import all_credentials

    now = now_utc()
    for slug in ("acme", "globex", "initech"):
        connection = make_connection(slug)
        record_upstream(connection, metadata=parse_metadata(okta_metadata([valid_certificate(now)]), now=now), preset="okta")
    with django_assert_num_queries(1):
        assert len(all_credentials()) == 3

"""Where an operator sees expiry: the system check, sso_check_expiry, sso_connection --secret-expires,
and the re-read task that clears a warning once the IdP rolled its certificate (real HTTP server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.utils import timezone

from tenant_sso.expiry import expiring
from tenant_sso.models import Connection, LoginEvent, SAMLUpstream
from tenant_sso.saml.metadata import parse_metadata
from tenant_sso.saml_store import record_upstream
from tenant_sso.tasks import refresh_saml_metadata, sweep_expiring_credentials
from tests.support.saml import now_utc, okta_metadata, valid_certificate
from tests.support.stubs import StubServer, reply

pytestmark = pytest.mark.django_db


def w023() -> list[str]:
    return [m.msg for m in run_checks() if m.id == "tenant_sso.W023"]


def oidc_connection(make_connection: Any, days: int) -> Connection:
    connection = make_connection("acme", kind="oidc", issuer="https://acme.okta.com")
    connection.client_secret_expires_on = (timezone.now() + timedelta(days=days)).date()
    connection.save()
    return connection


def test_system_check_warns_under_30_days_only(make_connection: Any) -> None:
    connection = oidc_connection(make_connection, 45)
    assert w023() == []
    connection.client_secret_expires_on = (timezone.now() + timedelta(days=12)).date()
    connection.save()
    [message] = w023()
    assert message.startswith("acme: OIDC client secret:") and "days left" in message


def test_sso_connection_records_the_secret_expiry(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_SECRET", "s3cret")
    args = [
        "sso_connection",
        "create",
        "--org",
        "acme",
        "--kind",
        "oidc",
        "--issuer",
        "https://acme.okta.com",
        "--client-id",
        "c1",
        "--client-secret-env",
        "ACME_SECRET",
        "--allowed-group",
        "eng",
    ]
    call_command(*args, "--secret-expires", "2031-05-17", stdout=StringIO())
    assert str(Connection.objects.get().client_secret_expires_on) == "2031-05-17"
    listing = StringIO()
    call_command("sso_connection", "list", "--json", stdout=listing)
    assert json.loads(listing.getvalue())[0]["secret_expires_on"] == "2031-05-17"
    call_command(*args, stdout=StringIO())  # not given: kept
    assert str(Connection.objects.get().client_secret_expires_on) == "2031-05-17"
    call_command(*args, "--secret-expires", "none", stdout=StringIO())
    assert Connection.objects.get().client_secret_expires_on is None
    with pytest.raises(CommandError, match=r"\[secret_expires_invalid\]"):
        call_command(*args, "--secret-expires", "17/05/2031", stdout=StringIO())


def test_sso_check_expiry_sends_due_warnings_once_and_lists_days_left(make_connection: Any) -> None:
    oidc_connection(make_connection, 10)
    out = StringIO()
    call_command("sso_check_expiry", stdout=out)
    assert "acme: warning sent (credential_expiring): OIDC client secret" in out.getvalue()
    assert "acme: WARNING OIDC client secret: " in out.getvalue()
    out = StringIO()
    call_command("sso_check_expiry", stdout=out)
    assert "warning sent" not in out.getvalue()
    assert LoginEvent.objects.filter(outcome="expiry").count() == 1
    with pytest.raises(CommandError, match=r"\[credential_expiring\] 1 tracked credential, 1 within 30 days"):
        call_command("sso_check_expiry", "--check", stdout=StringIO())


class Metadata:
    """The IdP's metadata URL, served by a real local HTTP server; ``document`` can change."""

    def __init__(self) -> None:
        self.document = b""
        self.status = 200
        self.server = StubServer(
            lambda handler: reply(self.status, self.document, "application/xml")(handler)
        )
        self.url = self.server.base_url + "/app/exk1fcia6d6EMsf331d8/sso/saml/metadata"


@pytest.fixture
def metadata_url() -> Iterator[Metadata]:
    served = Metadata()
    yield served
    served.server.stop()


def test_re_reading_the_metadata_url_clears_the_warning(make_connection: Any, metadata_url: Metadata) -> None:
    now = now_utc()
    connection = make_connection("acme")
    old = valid_certificate(now, days_left=9)
    metadata_url.document = okta_metadata([old])
    record_upstream(
        connection,
        metadata=parse_metadata(metadata_url.document, now=now),
        metadata_url=metadata_url.url,
        preset="okta",
    )
    assert len(expiring(timezone.now())) == 1

    # the IdP cannot be read: the failure is kept, the warning stays, the sweep still warns
    metadata_url.status = 503
    assert refresh_saml_metadata.call(SAMLUpstream.objects.get().pk) == "saml_metadata_failed"
    assert SAMLUpstream.objects.get().metadata_error == "saml_metadata_failed"
    assert LoginEvent.objects.filter(outcome="expiry", reason="credential_expiring").count() == 1

    # the IdP rolled its certificate: the next read clears the warning and the error
    metadata_url.status = 200
    metadata_url.document = okta_metadata([old, valid_certificate(now, days_left=900, common_name="next")])
    assert refresh_saml_metadata.call(SAMLUpstream.objects.get().pk) == "refreshed"
    upstream = SAMLUpstream.objects.get()
    assert upstream.metadata_error == "" and len(upstream.certificates) == 2
    assert expiring(timezone.now()) == [] and w023() == []
    assert sweep_expiring_credentials.call() == {"refreshed": 1, "failed": 0, "warned": 0}


def test_metadata_that_now_names_another_idp_is_not_adopted(
    make_connection: Any, metadata_url: Metadata
) -> None:
    now = now_utc()
    metadata_url.document = okta_metadata([valid_certificate(now)])
    record_upstream(
        make_connection("acme"),
        metadata=parse_metadata(metadata_url.document, now=now),
        metadata_url=metadata_url.url,
        preset="okta",
    )
    metadata_url.document = okta_metadata([valid_certificate(now)], app="exkOTHER")
    assert refresh_saml_metadata.call(SAMLUpstream.objects.get().pk) == "saml_metadata_entity_changed"
    assert SAMLUpstream.objects.get().entity_id == "http://www.okta.com/exk1fcia6d6EMsf331d8"


def test_the_re_read_task_goes_through_the_tasks_framework(
    make_connection: Any, metadata_url: Metadata
) -> None:
    from tenant_sso.background import defer

    now = now_utc()
    metadata_url.document = okta_metadata([valid_certificate(now, days_left=5)])
    record_upstream(
        make_connection("acme"),
        metadata=parse_metadata(metadata_url.document, now=now),
        metadata_url=metadata_url.url,
        preset="okta",
    )
    metadata_url.document = okta_metadata([valid_certificate(now, days_left=500, common_name="next")])
    result = defer(refresh_saml_metadata, SAMLUpstream.objects.get().pk)  # JSON-able argument: a pk
    assert result is not None and result.return_value == "refreshed"
    assert expiring(timezone.now()) == []

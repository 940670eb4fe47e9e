"""The wizard's domains step on the DNS helper's API (tenant_sso.domains), against a real DNS
server on 127.0.0.1: the record to publish, a wrong token, a missing record, a domain owned
elsewhere, a consumer domain, then verified."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tenant_sso.models import OrganizationDomain
from tests.support.dns import DNSTestServer
from tests.support.driver import path_of
from tests.support.setup import new_link, url

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def wizard(client: Client, make_organization: Any) -> Client:
    make_organization("acme", name="Acme Corp")
    client.get(path_of(new_link("acme")))
    return client


def _record(page: str) -> tuple[str, str]:
    name = re.search(r"TXT record at <div class=\"value\"><code class=\"code\">([^<]+)</code>", page)
    value = re.search(r"value <div class=\"value\"><code class=\"code\">([^<]+)</code>", page)
    assert name and value, page
    return name.group(1), value.group(1)


def test_claim_publish_and_verify(wizard: Client, dns: DNSTestServer) -> None:
    page = wizard.post(url("domains"), {"action": "claim", "domain": "Acme.test"}).content.decode()
    name, value = _record(page)
    assert name == "_tenant-sso.acme.test" and value.startswith("tenant-sso-verification=")
    row = OrganizationDomain.objects.get(domain="acme.test")

    dns.zone("acme.test")  # the domain exists, no record yet
    missing = wizard.post(url("domains"), {"action": "verify", "domain_id": row.pk})
    assert b"dns_record_missing" in missing.content

    dns.zone("acme.test", txt={name: ["tenant-sso-verification=not-the-token"]})
    wrong = wizard.post(url("domains"), {"action": "verify", "domain_id": row.pk})
    assert b"dns_token_mismatch" in wrong.content
    row.refresh_from_db()
    assert row.verified_at is None

    dns.zone("acme.test", txt={name: [value]})
    ok = wizard.post(url("domains"), {"action": "verify", "domain_id": row.pk})
    assert b">verified<" in ok.content
    row.refresh_from_db()
    assert row.verified_at is not None
    assert wizard.get(url("overview")).content.decode().count("✓") >= 1


def test_a_domain_owned_elsewhere_or_a_consumer_domain_is_refused(
    wizard: Client, make_organization: Any
) -> None:
    other = make_organization("globex")
    OrganizationDomain.objects.create(organization=other, domain="globex.test", verified_at="2026-01-01T00:00Z")
    taken = wizard.post(url("domains"), {"action": "claim", "domain": "globex.test"})
    assert taken.status_code == 400 and b"domain_verified_elsewhere" in taken.content
    consumer = wizard.post(url("domains"), {"action": "claim", "domain": "gmail.com"})
    assert consumer.status_code == 400 and b"domain_consumer" in consumer.content
    assert not OrganizationDomain.objects.filter(organization__slug="acme").exists()


def test_another_organizations_domain_cannot_be_checked(wizard: Client, make_organization: Any) -> None:
    other = make_organization("globex")
    row = OrganizationDomain.objects.create(organization=other, domain="globex.test")
    answer = wizard.post(url("domains"), {"action": "verify", "domain_id": row.pk})
    assert answer.status_code == 400 and b"setup_domain_unknown" in answer.content

"""The admin's view of verified domains: the state of each domain, "Check DNS now" against a
real DNS server on 127.0.0.1 (tests/support/dns.py), and a renamed domain losing its proof."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tenant_sso import domains
from tenant_sso.models import LoginEvent, Organization, OrganizationDomain
from tests.support.admin import messages_of
from tests.support.dns import DNSTestServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def dns() -> Iterator[DNSTestServer]:
    with DNSTestServer() as server, override_settings(
        TENANT_SSO_DNS_RESOLVERS=[server.address], TENANT_SSO_DNS_TIMEOUT=0.5
    ):
        yield server


@pytest.fixture
def staff(db: Any) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.fixture
def initech(make_organization: Any) -> Organization:
    return make_organization("initech", require_verified_domains=True)


def test_domains_list_shows_the_state_and_the_record_to_publish(staff: Client, initech: Organization) -> None:
    pending = domains.claim_domain(initech, "initech.test")
    done = domains.claim_domain(initech, "initech-labs.test")
    OrganizationDomain.objects.filter(pk=done.pk).update(verified_at=timezone.now())
    html = staff.get(reverse("admin:tenant_sso_organizationdomain_changelist")).content.decode()
    name, value = domains.txt_record(pending)
    assert f"<code>{name}</code> = <code>{value}</code>" in html
    assert 'class="sso-domain-verified">Verified ' in html
    page = staff.get(reverse("admin:tenant_sso_organization_change", args=[initech.pk])).content.decode()
    assert value in page  # the organization's inline shows it too


def test_check_dns_now_reports_each_outcome_with_its_code(
    staff: Client, initech: Organization, dns: DNSTestServer
) -> None:
    good = domains.claim_domain(initech, "good.test")
    bad = domains.claim_domain(initech, "bad.test")
    name, value = domains.txt_record(good)
    dns.zone("good.test", txt={name: [value]})
    dns.zone("bad.test", txt={"_tenant-sso.bad.test": ["tenant-sso-verification=not-the-token"]})
    response = staff.post(
        reverse("admin:tenant_sso_organizationdomain_changelist"),
        {"action": "check_dns_now", "_selected_action": [good.pk, bad.pk]},
        follow=True,
    )
    text = messages_of(response.content.decode())
    assert "[domain_verified] good.test (initech): good.test is verified." in text
    assert "[dns_token_mismatch] bad.test (initech):" in text
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.verified_at is not None and bad.verified_at is None
    audited = LoginEvent.objects.filter(outcome="domain").exclude(reason="domain_claimed")
    assert {(e.reason, e.detail["by"]) for e in audited} == {
        ("domain_verified", "admin:root"), ("dns_token_mismatch", "admin:root")
    }


def test_organization_action_checks_its_domains(staff: Client, initech: Organization, dns: DNSTestServer) -> None:
    row = domains.claim_domain(initech, "org-action.test")
    response = staff.post(
        reverse("admin:tenant_sso_organization_changelist"),
        {"action": "check_organization_domains", "_selected_action": [initech.pk]},
        follow=True,
    )
    assert f"[dns_nxdomain] {row.domain} (initech):" in messages_of(response.content.decode())


def test_renaming_a_domain_drops_its_verification(staff: Client, initech: Organization) -> None:
    row = domains.claim_domain(initech, "old-name.test")
    verified = timezone.localtime()
    OrganizationDomain.objects.filter(pk=row.pk).update(verified_at=verified)
    url = reverse("admin:tenant_sso_organizationdomain_change", args=[row.pk])
    form = {"organization": initech.pk, "verified_at_0": f"{verified:%Y-%m-%d}", "verified_at_1": f"{verified:%H:%M:%S}"}
    unchanged = staff.post(url, {**form, "domain": "old-name.test"})
    assert unchanged.status_code == 302 and OrganizationDomain.objects.get(pk=row.pk).verified_at is not None
    response = staff.post(url, {**form, "domain": "new-name.test"})
    assert response.status_code == 302, response.content[:500]
    renamed = OrganizationDomain.objects.get(pk=row.pk)
    assert renamed.domain == "new-name.test" and renamed.verified_at is None
    assert renamed.verification_token and renamed.verification_token != row.verification_token


def test_domain_events_show_in_the_audit_log(staff: Client, initech: Organization) -> None:
    domains.claim_domain(initech, "audited.test")
    changelist = reverse("admin:tenant_sso_loginevent_changelist")
    html = staff.get(changelist, {"outcome__exact": "domain"}).content.decode()
    assert "domain_claimed" in html
    event = LoginEvent.objects.get(outcome="domain")
    page = staff.get(reverse("admin:tenant_sso_loginevent_change", args=[event.pk]))
    assert page.status_code == 200 and "audited.test" in page.content.decode()

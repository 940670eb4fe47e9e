"""Verified email domains (issue 15, point 5) against a real DNS server on 127.0.0.1.

The server is dnslib's (tests/support/dns.py), asked by dnspython exactly as a production
resolver would be; nothing in tenant_sso.domains is patched. docs/domain-verification.md.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from tenant_sso import domains
from tenant_sso.adapter import SSOAdapter
from tenant_sso.models import LoginEvent, Organization, OrganizationDomain
from tenant_sso.validation import InvalidValue
from tests.support import urls
from tests.support.dns import TEST_TIMEOUT, DNSTestServer, free_udp_port

TIMEOUT = TEST_TIMEOUT  # seconds: TENANT_SSO_DNS_TIMEOUT in these tests


@pytest.fixture
def portal_org(make_organization: Any) -> Organization:
    return make_organization("initech", require_verified_domains=True)


def publish(dns: DNSTestServer, row: OrganizationDomain, *, at_apex: bool = False, token: str = "") -> None:
    name, value = domains.txt_record(row)
    if token:
        value = f"{domains.TXT_PREFIX}{token}"
    dns.zone(row.domain, txt={row.domain if at_apex else name: [value]})


def events(org: Organization) -> list[tuple[str, str]]:
    rows = LoginEvent.objects.filter(organization=org, outcome="domain").order_by("pk")
    return [(e.reason, e.detail.get("domain", "")) for e in rows]


# -- the record -------------------------------------------------------------------------------
def test_claim_gives_an_unguessable_token_and_the_record_to_publish(portal_org: Organization) -> None:
    row = domains.claim_domain(portal_org, " Initech.TEST. ")
    other = domains.claim_domain(portal_org, "initech-labs.test")
    assert row.domain == "initech.test" and row.verified_at is None
    assert len(row.verification_token) >= 43 and row.verification_token != other.verification_token
    name, value = domains.txt_record(row)
    assert name == "_tenant-sso.initech.test"
    assert value == f"tenant-sso-verification={row.verification_token}"
    # Claiming it again (the portal shows the record again) keeps the row and its token.
    again = domains.claim_domain(portal_org, "initech.test")
    assert (again.pk, again.verification_token) == (row.pk, row.verification_token)
    assert events(portal_org) == [("domain_claimed", "initech.test"), ("domain_claimed", "initech-labs.test")]


# -- checks against the DNS server --------------------------------------------------------------
def test_right_token_verifies_the_domain_and_is_audited(dns: DNSTestServer, portal_org: Organization) -> None:
    row = domains.claim_domain(portal_org, "right.test")
    publish(dns, row)
    check = domains.verify_domain(row, actor="portal")
    assert check.ok and check.code == "domain_verified", check
    row.refresh_from_db()
    assert row.verified_at is not None
    event = LoginEvent.objects.filter(organization=portal_org, reason="domain_verified").get()
    assert event.detail["domain"] == "right.test" and event.detail["by"] == "portal"
    assert event.detail["matched"] == "_tenant-sso.right.test"
    assert ("_tenant-sso.right.test", "TXT", "udp") in dns.queries


def test_record_at_the_apex_is_accepted(dns: DNSTestServer, portal_org: Organization) -> None:
    row = domains.claim_domain(portal_org, "apex.test")
    publish(dns, row, at_apex=True)
    check = domains.verify_domain(row)
    assert check.ok, check
    assert check.detail["matched"] == "apex.test"


def test_wrong_token_is_refused(dns: DNSTestServer, portal_org: Organization) -> None:
    row = domains.claim_domain(portal_org, "wrong.test")
    publish(dns, row, token=row.verification_token[:-1] + ("A" if row.verification_token[-1] != "A" else "B"))
    check = domains.verify_domain(row)
    assert not check.ok and check.code == "dns_token_mismatch"
    assert row.verification_token in check.message  # the customer is told the exact value again
    row.refresh_from_db()
    assert row.verified_at is None
    assert events(portal_org)[-1] == ("dns_token_mismatch", "wrong.test")


def test_another_organizations_token_does_not_verify(
    dns: DNSTestServer, portal_org: Organization, make_organization: Any
) -> None:
    """A record published for one claim never verifies another organization's claim."""
    mine = domains.claim_domain(portal_org, "shared-dns.test")
    theirs = domains.claim_domain(
        make_organization("umbrella", require_verified_domains=True), "umbrella.test"
    )
    publish(dns, mine, token=theirs.verification_token)
    assert domains.verify_domain(mine).code == "dns_token_mismatch"


def test_missing_record(dns: DNSTestServer, portal_org: Organization) -> None:
    row = domains.claim_domain(portal_org, "norecord.test")
    dns.zone("norecord.test", txt={"norecord.test": ["v=spf1 -all", "google-site-verification=abc"]})
    check = domains.verify_domain(row)
    assert not check.ok and check.code == "dns_record_missing"
    assert "_tenant-sso.norecord.test" in check.message
    assert row.verified_at is None


def test_nxdomain(dns: DNSTestServer, portal_org: Organization) -> None:
    row = domains.claim_domain(portal_org, "does-not-exist.test")
    check = domains.verify_domain(row)
    assert not check.ok and check.code == "dns_nxdomain"
    assert events(portal_org)[-1] == ("dns_nxdomain", "does-not-exist.test")


def test_slow_resolver_times_out_within_the_setting(dns: DNSTestServer, portal_org: Organization) -> None:
    row = domains.claim_domain(portal_org, "slow.test")
    dns.slow("slow.test")
    started = time.monotonic()
    check = domains.verify_domain(row)
    elapsed = time.monotonic() - started
    assert not check.ok and check.code == "dns_timeout"
    assert elapsed < TIMEOUT + 2, elapsed  # one deadline for the whole check, not one per name
    assert events(portal_org)[-1] == ("dns_timeout", "slow.test")


def test_servfail(dns: DNSTestServer, portal_org: Organization) -> None:
    row = domains.claim_domain(portal_org, "broken.test")
    dns.servfail("broken.test")
    check = domains.verify_domain(row)
    assert not check.ok and check.code == "dns_resolver_error"


def test_resolver_down_is_a_coded_failure(db: Any, portal_org: Organization) -> None:
    row = domains.claim_domain(portal_org, "nobody-answers.test")
    with override_settings(
        TENANT_SSO_DNS_RESOLVERS=[f"127.0.0.1:{free_udp_port()}"], TENANT_SSO_DNS_TIMEOUT=TIMEOUT
    ):
        check = domains.verify_domain(row)
    assert not check.ok and check.code in ("dns_timeout", "dns_resolver_error"), check


def test_large_rrset_is_read_over_tcp_and_bounded(dns: DNSTestServer, portal_org: Organization) -> None:
    """An apex crowded with verification strings: the UDP answer is truncated, the check reads it
    over TCP, and finds the record among the others."""
    row = domains.claim_domain(portal_org, "crowded.test")
    _name, value = domains.txt_record(row)
    crowded = [f"vendor-{i}-verification={'x' * 180}" for i in range(40)] + [value]
    dns.zone("crowded.test", txt={"crowded.test": crowded})
    check = domains.verify_domain(row)
    assert check.ok, check
    assert ("crowded.test", "TXT", "tcp") in dns.queries


def test_long_record_split_into_strings_is_joined(dns: DNSTestServer, portal_org: Organization) -> None:
    """A TXT value over 255 bytes is published as several strings; they are read as one value,
    so a record padded past 255 characters is still compared exactly (and refused here)."""
    row = domains.claim_domain(portal_org, "split.test")
    _name, value = domains.txt_record(row)
    dns.zone("split.test", txt={"_tenant-sso.split.test": [value + " " * 250 + "x"]})
    assert domains.verify_domain(row).code == "dns_token_mismatch"


def test_failed_recheck_keeps_an_earlier_verification(dns: DNSTestServer, portal_org: Organization) -> None:
    row = domains.claim_domain(portal_org, "recheck.test")
    publish(dns, row)
    assert domains.verify_domain(row).ok
    first = OrganizationDomain.objects.get(pk=row.pk).verified_at
    dns.zone("recheck.test", txt={"_tenant-sso.recheck.test": []})  # the customer removed the record
    assert domains.verify_domain(row).code == "dns_record_missing"
    assert OrganizationDomain.objects.get(pk=row.pk).verified_at == first


def test_row_without_token(dns: DNSTestServer, portal_org: Organization) -> None:
    row = OrganizationDomain.objects.create(organization=portal_org, domain="legacy.test")
    assert len(row.verification_token) >= 43  # every new row gets one, whoever creates it
    OrganizationDomain.objects.filter(pk=row.pk).update(verification_token="")  # a row from before
    row.refresh_from_db()
    assert domains.verify_domain(row).code == "domain_no_token"
    claimed = domains.claim_domain(portal_org, "legacy.test")  # claiming it again gives it one
    assert claimed.pk == row.pk and claimed.verification_token


# -- claims refused -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    ["gmail.com", "Outlook.com", "hotmail.co.uk", "yahoo.co.jp", "icloud.com", "proton.me", "mail.gmail.com"],
)
def test_consumer_mail_domains_are_refused(portal_org: Organization, raw: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        domains.claim_domain(portal_org, raw)
    assert refused.value.code == "domain_consumer" and refused.value.field == "domain"
    assert not OrganizationDomain.objects.exists()
    assert events(portal_org)[-1][0] == "domain_consumer"


def test_extra_consumer_domains_setting(portal_org: Organization) -> None:
    with (
        override_settings(TENANT_SSO_EXTRA_CONSUMER_DOMAINS=["isp.test"]),
        pytest.raises(InvalidValue) as refused,
    ):
        domains.claim_domain(portal_org, "mailbox.isp.test")
    assert refused.value.code == "domain_consumer"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("alice@initech.test", "domain_has_at"),
        ("https://initech.test", "domain_has_scheme"),
        ("initech", "domain_not_qualified"),
        ("", "domain_required"),
    ],
)
def test_malformed_domains_are_refused(portal_org: Organization, raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        domains.claim_domain(portal_org, raw)
    assert refused.value.code == code


def test_domain_verified_by_another_organization_cannot_be_claimed(
    dns: DNSTestServer, portal_org: Organization, make_organization: Any
) -> None:
    owner = make_organization("hooli", name="Hooli Inc", require_verified_domains=True)
    row = domains.claim_domain(owner, "hooli.test")
    publish(dns, row)
    assert domains.verify_domain(row).ok
    with pytest.raises(InvalidValue) as refused:
        domains.claim_domain(portal_org, "HOOLI.test")
    assert refused.value.code == "domain_verified_elsewhere"
    assert "hooli inc" not in refused.value.message.lower() and "hooli (" not in refused.value.message.lower()
    assert OrganizationDomain.objects.get(domain="hooli.test").organization == owner
    event = LoginEvent.objects.filter(organization=portal_org, reason="domain_verified_elsewhere").get()
    assert event.detail["owner_organization_id"] == owner.pk  # for the operator


def test_domain_held_unverified_elsewhere_is_refused_and_not_moved(
    portal_org: Organization, make_connection: Any
) -> None:
    """An operator-managed organization's domain routes its users today: a portal claim must not take it."""
    make_connection("globex", email_domains=["globex.test"])
    with pytest.raises(InvalidValue) as refused:
        domains.claim_domain(portal_org, "globex.test")
    assert refused.value.code == "domain_claimed_elsewhere"
    assert OrganizationDomain.objects.get(domain="globex.test").organization.slug == "globex"


# -- what verification changes at login ------------------------------------------------------------
def test_home_realm_discovery_uses_only_verified_domains_when_required(
    dns: DNSTestServer, tenants: Any, client: Client
) -> None:
    globex = tenants["globex"].organization
    globex.require_verified_domains = True
    globex.save()
    row = OrganizationDomain.objects.get(domain="globex.test")
    domains.claim_domain(globex, "globex.test")  # gives the operator-entered row a token
    row.refresh_from_db()

    refused = client.post(urls.login(), {"email": "carol@globex.test"})
    assert refused.status_code == 404 and b"unknown_domain" in refused.content

    publish(dns, row)
    assert domains.verify_domain(row).ok
    started = client.post(urls.login(), {"email": "carol@globex.test"})
    assert started.status_code == 302 and "/oauth2/authorize?" in started["Location"]
    # An organization without the flag keeps today's behaviour: its unverified domain counts.
    other = client.post(urls.login(), {"email": "alice@acme.test"})
    assert other.status_code == 302


def test_email_linking_and_trusted_email_use_only_verified_domains(
    portal_org: Organization, make_connection: Any, make_user: Any
) -> None:
    connection = make_connection("initech", kind="oidc", email_domains=["initech.test"])
    connection.link_by_email = True
    connection.save()
    user = make_user("peter", email="peter@initech.test")
    claims = {"iss": connection.issuer, "sub": "s-1", "email": "peter@initech.test", "email_verified": True}
    adapter = SSOAdapter()

    def fresh() -> Any:
        return type(connection).objects.select_related("organization").get(pk=connection.pk)

    assert adapter.find_user_to_link(fresh(), claims) is None
    assert adapter.trusted_email(fresh(), claims) is None
    OrganizationDomain.objects.filter(domain="initech.test").update(verified_at=timezone.now())
    assert adapter.find_user_to_link(fresh(), claims) == user
    assert adapter.trusted_email(fresh(), claims) == "peter@initech.test"


def test_one_verified_domain_does_not_vouch_for_another(
    portal_org: Organization, make_connection: Any, client: Client
) -> None:
    """The verified condition and the domain are read from the same row (one join, not two)."""
    make_connection("initech", kind="oidc", email_domains=["initech.test", "initech-old.test"])
    OrganizationDomain.objects.filter(domain="initech.test").update(verified_at=timezone.now())
    from tenant_sso.exceptions import ConfigurationError
    from tenant_sso.flows import find_connection

    assert find_connection(email="peter@initech.test").organization == portal_org
    with pytest.raises(ConfigurationError) as refused:
        find_connection(email="peter@initech-old.test")
    assert refused.value.code == "unknown_domain"


@pytest.mark.django_db(transaction=True)
@override_settings(SESSION_ENGINE="tenant_sso.dbsession")
def test_login_by_a_verified_domain_keeps_12_round_trips(
    client: Client, tenants: Any, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The verified-domain rule rides on the queries a login already makes (test_round_trips.py)."""
    from tests.integration.test_round_trips import login

    Organization.objects.filter(slug="globex").update(require_verified_domains=True)
    OrganizationDomain.objects.filter(domain="globex.test").update(verified_at=timezone.now())
    login(client, browser, "carol@globex.test", monkeypatch)
    browser.http.cookies.clear()
    start, callback = login(client, browser, "carol@globex.test", monkeypatch)
    assert start.count + callback.count <= 12, (start, callback)
    # The email was trusted (verified domain): copied onto the user.
    assert LoginEvent.objects.filter(outcome="success").count() == 2
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.filter(email="carol@globex.test").count() == 1


def test_every_domain_code_is_documented() -> None:
    """The codes of checks and claims are in docs/security.md ("Verified email domains") and in
    docs/domain-verification.md, like the login's reason codes."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    security = (root / "docs/security.md").read_text().split("\n## Verified email domains (DNS TXT)\n", 1)[1]
    table = set(re.findall(r"^\| `([a-z_]+)` \|", security.split("\n## ", 1)[0], re.M))
    guide = (root / "docs/domain-verification.md").read_text()
    codes = set(domains.CHECK_CODES) | set(domains.CLAIM_CODES)
    assert codes == table, codes ^ table
    assert all(f"`{code}`" in guide for code in codes)


# -- manage.py sso_domain ---------------------------------------------------------------------------
def test_sso_domain_command_claims_lists_and_verifies(dns: DNSTestServer, portal_org: Organization) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("sso_domain", "claim", "--org", "initech", "Initech-Cmd.test", stdout=out)
    row = OrganizationDomain.objects.get(domain="initech-cmd.test")
    name, value = domains.txt_record(row)
    assert out.getvalue().splitlines()[-1] == f'{name}. TXT "{value}"'

    with pytest.raises(CommandError, match=r"^\[domain_consumer\]"):
        call_command("sso_domain", "claim", "--org", "initech", "gmail.com")

    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1 domains not verified"):
        call_command("sso_domain", "verify", "--org", "initech", stderr=err)
    assert "initech-cmd.test: [dns_nxdomain]" in err.getvalue()

    publish(dns, row)
    out = StringIO()
    call_command("sso_domain", "verify", "--org", "initech", "--domain", "INITECH-CMD.test", stdout=out)
    assert "initech-cmd.test: [domain_verified]" in out.getvalue()
    assert events(portal_org)[-1] == ("domain_verified", "initech-cmd.test")

    out = StringIO()
    call_command("sso_domain", "list", "--org", "initech", "--json", stdout=out)
    import json

    [listed] = json.loads(out.getvalue())
    assert listed["domain"] == "initech-cmd.test" and listed["verified_at"] and listed["record_value"] == value

    with pytest.raises(CommandError, match=r"^\[unknown_domain\]"):
        call_command("sso_domain", "verify", "--org", "initech", "--domain", "other.test")


def test_background_check_task(dns: DNSTestServer, portal_org: Organization) -> None:
    """The task the portal can defer instead of waiting (no TASKS setting: run at once)."""
    from tenant_sso.background import defer
    from tenant_sso.tasks import check_domain_dns

    row = domains.claim_domain(portal_org, "task.test")
    publish(dns, row)
    result = defer(check_domain_dns, row.pk, actor="portal")
    assert result is not None and result.return_value["code"] == "domain_verified"
    assert OrganizationDomain.objects.get(pk=row.pk).verified_at is not None
    assert defer(check_domain_dns, 10**9).return_value is None


@pytest.mark.parametrize(
    ("overrides", "reported"),
    [
        ({"TENANT_SSO_DNS_RESOLVERS": ["127.0.0.1:53535", "10.0.0.2", "[::1]:53", "2001:db8::53"]}, False),
        ({"TENANT_SSO_DNS_RESOLVERS": ["dns.example.com"]}, True),
        ({"TENANT_SSO_DNS_RESOLVERS": ["127.0.0.1:99999"]}, True),
        ({"TENANT_SSO_DNS_RESOLVERS": "127.0.0.1"}, True),
        ({"TENANT_SSO_DNS_TIMEOUT": 0}, True),
        ({"TENANT_SSO_DNS_TIMEOUT": "soon"}, True),
    ],
)
def test_system_check_e030(db: Any, overrides: dict[str, Any], reported: bool) -> None:
    from django.core.checks import run_checks

    with override_settings(**overrides):
        ids = [m.id for m in run_checks() if m.id == "tenant_sso.E030"]
    assert ids == (["tenant_sso.E030"] if reported else [])

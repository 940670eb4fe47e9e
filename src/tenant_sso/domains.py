"""Verified email domains: claim a domain for an organization, publish a TXT record, check it.

The use cases the setup portal, the admin and ``manage.py sso_domain`` share
(docs/domain-verification.md):

* :func:`claim_domain` -- an organization asks for a domain: refused (``InvalidValue`` with a
  code) when it is malformed, a consumer mail domain, or another organization's; otherwise the
  organization's row, with a fresh unguessable token;
* :func:`txt_record` -- the record the customer publishes: ``_tenant-sso.<domain>`` TXT
  ``tenant-sso-verification=<token>``;
* :func:`verify_domain` -- the record read with dnspython from the configured resolvers
  (``TENANT_SSO_DNS_RESOLVERS``, else the system's), bounded in time and size; every outcome is a
  :class:`DomainCheck` with a reason code (docs/security.md) and one audit event.

Where the record is looked up: at ``_tenant-sso.<domain>`` first (the name we tell customers:
it cannot collide with SPF or other verification records, stays small, and can be removed
without touching the apex), then at the apex (``<domain>`` itself, where Google and Microsoft
ask for theirs, so an admin who publishes it there out of habit is not refused).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from .audit import client_ip
from .conf import app_settings
from .consumer_domains import is_consumer_domain
from .models import LoginEvent, Organization, OrganizationDomain, new_verification_token
from .validation import InvalidValue, clean_email_domain

logger = logging.getLogger("tenant_sso.audit")

#: The TXT value's prefix: ``tenant-sso-verification=<token>``.
TXT_PREFIX = "tenant-sso-verification="
#: The label in front of the domain where the record is published (the apex is accepted too).
RECORD_LABEL = "_tenant-sso"
#: At most this many TXT records are read per name, and each at most this long (characters):
#: a name with a huge RRset (an apex with dozens of verification strings) costs bounded work.
MAX_RECORDS = 64
MAX_RECORD_LENGTH = 1024

# -- reason codes of a check (docs/security.md, "Verified domains") ------------------------------
VERIFIED = "domain_verified"
TOKEN_MISMATCH = "dns_token_mismatch"
RECORD_MISSING = "dns_record_missing"
NXDOMAIN = "dns_nxdomain"
TIMEOUT = "dns_timeout"
RESOLVER_ERROR = "dns_resolver_error"
NO_TOKEN = "domain_no_token"
#: Every code :func:`verify_domain` returns (the docs test reads this).
CHECK_CODES = (VERIFIED, TOKEN_MISMATCH, RECORD_MISSING, NXDOMAIN, TIMEOUT, RESOLVER_ERROR, NO_TOKEN)

# -- codes of a refused claim (InvalidValue; docs/admin.md "Validation" and docs/security.md) ----
CONSUMER = "domain_consumer"
VERIFIED_ELSEWHERE = "domain_verified_elsewhere"
CLAIMED_ELSEWHERE = "domain_claimed_elsewhere"
#: Outcomes of a claim written to the audit log (with the codes above when refused).
CLAIMED = "domain_claimed"
CLAIM_CODES = (CLAIMED, CONSUMER, VERIFIED_ELSEWHERE, CLAIMED_ELSEWHERE)


@dataclass(frozen=True)
class DomainCheck:
    """The outcome of one check: ``ok``, a stable reason ``code``, a ``message`` for the customer."""

    ok: bool
    code: str
    message: str
    #: What was asked and seen, for the audit log and the admin (no secrets: the token is public).
    detail: dict[str, Any] = field(default_factory=dict, compare=False)


# -- tokens and records ----------------------------------------------------------------------
def new_token() -> str:
    """An unguessable token: 256 random bits, URL-safe (43 characters)."""
    return new_verification_token()


def record_name(domain: str) -> str:
    return f"{RECORD_LABEL}.{domain}"


def txt_record(row: OrganizationDomain) -> tuple[str, str]:
    """The record the customer publishes: (name, value), e.g. ``("_tenant-sso.acme.com",
    "tenant-sso-verification=Yx...")``. The value is what goes between the quotes."""
    return record_name(row.domain), f"{TXT_PREFIX}{row.verification_token}"


# -- claiming --------------------------------------------------------------------------------
def claim_domain(
    organization: Organization, raw: str, *, request: HttpRequest | None = None, actor: str = ""
) -> OrganizationDomain:
    """The organization's row for the domain ``raw`` (created unverified with a new token, or the
    existing one of this organization, given a token if it had none).

    Raises :class:`~tenant_sso.validation.InvalidValue` (``field="domain"``):
    the codes of :func:`~tenant_sso.validation.clean_email_domain` when malformed;
    ``domain_consumer`` for a consumer mail domain; ``domain_verified_elsewhere`` when another
    organization verified it; ``domain_claimed_elsewhere`` when another organization holds it
    unverified (docs/domain-verification.md, "A domain another organization has"). The message
    never names the other organization: the person asking is not trusted.
    """
    domain = clean_email_domain(raw)
    if is_consumer_domain(domain, app_settings.EXTRA_CONSUMER_DOMAINS):
        _audit_claim(organization, domain, CONSUMER, request, actor)
        raise InvalidValue(
            CONSUMER,
            f"{domain} is a public mail service anyone can get an address at: enter your "
            "organization's own email domain.",
            field="domain",
        )
    for _attempt in range(2):  # a concurrent claim of the same domain: the second reads the first
        try:
            with transaction.atomic():
                row = OrganizationDomain.objects.select_for_update().filter(domain=domain).first()
                if row is None:
                    row = OrganizationDomain.objects.create(
                        organization=organization, domain=domain, verification_token=new_token()
                    )
                    _audit_claim(organization, domain, CLAIMED, request, actor)
                    return row
                if row.organization_id == organization.pk:
                    if not row.verification_token:
                        row.verification_token = new_token()
                        row.save(update_fields=["verification_token"])
                    return row
        except IntegrityError:
            continue
        code = VERIFIED_ELSEWHERE if row.verified_at else CLAIMED_ELSEWHERE
        _audit_claim(organization, domain, code, request, actor, owner=row.organization_id)
        if code == VERIFIED_ELSEWHERE:
            message = (
                f"{domain} is already verified by another organization. If it is yours, contact "
                "us: an operator can check who owns it."
            )
        else:
            message = (
                f"{domain} is already registered for another organization. If it is yours, "
                "contact us: an operator can move it to you."
            )
        raise InvalidValue(code, message, field="domain")
    raise InvalidValue(CLAIMED_ELSEWHERE, f"{domain} is being registered by someone else.", field="domain")


# -- checking --------------------------------------------------------------------------------
def resolver() -> dns.resolver.Resolver:
    """A resolver for the configured servers (``TENANT_SSO_DNS_RESOLVERS``) or the system's;
    no cache (a check reads what is published now). Raises ``dns.resolver.NoResolverConfiguration``
    without any."""
    configured = app_settings.DNS_RESOLVERS
    res = dns.resolver.Resolver(configure=not configured)
    if configured:
        res.nameservers = [_nameserver(value) for value in configured]
    res.cache = None
    res.search = []
    res.use_search_by_default = False
    return res


def _nameserver(value: str) -> dns.nameserver.Nameserver:
    host, port = parse_resolver(value)
    return dns.nameserver.Do53Nameserver(host, port)


def parse_resolver(value: str) -> tuple[str, int]:
    """``"192.0.2.53"``, ``"192.0.2.53:5353"``, ``"2001:db8::53"`` or ``"[2001:db8::53]:5353"``
    -> (IP address, port); ``ValueError`` for anything else (a host name: a resolver is asked by
    address, it cannot itself be looked up)."""
    value = str(value).strip()
    port = "53"
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(value)
            port = rest[1:]
    elif value.count(":") == 1:
        host, _, port = value.partition(":")
    else:
        host = value
    address = ipaddress.ip_address(host)  # ValueError when not an address
    number = int(port)
    if not 0 < number < 65536:
        raise ValueError(value)
    return str(address), number


def _txt_values(answer: dns.resolver.Answer | None) -> list[str]:
    """The TXT records of an answer, each record's strings joined (RFC 7208 3.3), bounded."""
    if answer is None or answer.rrset is None:
        return []
    values = []
    for rdata in list(answer.rrset)[:MAX_RECORDS]:
        if rdata.rdtype != dns.rdatatype.TXT:
            continue
        raw = b"".join(rdata.strings)[:MAX_RECORD_LENGTH]
        values.append(raw.decode("ascii", errors="replace").strip())
    return values


@dataclass
class _Lookup:
    name: str
    values: list[str] = field(default_factory=list)
    error: str = ""  # "", NXDOMAIN, TIMEOUT, RESOLVER_ERROR


def _lookup(res: dns.resolver.Resolver, name: str, deadline: float) -> _Lookup:
    seen = _Lookup(name)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        seen.error = TIMEOUT
        return seen
    try:
        answer = res.resolve(
            dns.name.from_text(name), "TXT", lifetime=remaining, raise_on_no_answer=False, search=False
        )
    except dns.resolver.NXDOMAIN:
        seen.error = NXDOMAIN
    except dns.exception.Timeout:
        seen.error = TIMEOUT
    except (dns.resolver.NoNameservers, dns.resolver.NoResolverConfiguration, dns.exception.DNSException):
        seen.error = RESOLVER_ERROR
    except (OSError, ValueError):  # unreachable resolver address, malformed configuration
        seen.error = RESOLVER_ERROR
    else:
        seen.values = _txt_values(answer)
    return seen


def check_domain(domain: str, token: str) -> DomainCheck:
    """Read the TXT records of ``_tenant-sso.<domain>`` then ``<domain>``; no database access."""
    if not token:
        return DomainCheck(False, NO_TOKEN, "This domain has no verification token yet: claim it again.")
    name, expected = record_name(domain), f"{TXT_PREFIX}{token}"
    try:
        res = resolver()
    except (dns.exception.DNSException, OSError, ValueError) as exc:
        return DomainCheck(
            False, RESOLVER_ERROR, "Our DNS resolver is not configured; please contact us.",
            {"error": type(exc).__name__},
        )  # fmt: skip
    deadline = time.monotonic() + app_settings.DNS_TIMEOUT
    lookups = []
    for asked in (name, domain):
        seen = _lookup(res, asked, deadline)
        lookups.append(seen)
        if any(hmac.compare_digest(value.encode(), expected.encode()) for value in seen.values):
            return DomainCheck(True, VERIFIED, f"{domain} is verified.", _detail(lookups, asked))
    detail = _detail(lookups, "")
    ours = [v for seen in lookups for v in seen.values if v.startswith(TXT_PREFIX)]
    under, apex = lookups
    if ours:
        return DomainCheck(
            False, TOKEN_MISMATCH,
            f"A tenant-sso-verification record was found for {domain}, but its token is not the "
            f"one we gave: publish exactly {expected!r} at {name} (an old token no longer counts).",
            detail,
        )  # fmt: skip
    if apex.error == NXDOMAIN:
        return DomainCheck(
            False, NXDOMAIN,
            f"{domain} does not exist in DNS (NXDOMAIN): check its spelling, or wait until the "
            "domain is registered and published.",
            detail,
        )  # fmt: skip
    if TIMEOUT in (under.error, apex.error):
        return DomainCheck(
            False, TIMEOUT,
            f"The DNS lookup for {domain} did not finish within {app_settings.DNS_TIMEOUT:g} seconds: "
            "your DNS servers may be slow or unreachable. Try again in a few minutes.",
            detail,
        )  # fmt: skip
    if RESOLVER_ERROR in (under.error, apex.error):
        return DomainCheck(
            False, RESOLVER_ERROR,
            f"The DNS servers of {domain} did not answer properly (SERVFAIL or refused): check the "
            "domain's DNS delegation, then try again.",
            detail,
        )  # fmt: skip
    return DomainCheck(
        False, RECORD_MISSING,
        f"No tenant-sso-verification record was found: add a TXT record named {name} with the "
        f"value {expected!r}. New records can take a few minutes to appear (up to the TTL of your "
        "DNS provider).",
        detail,
    )  # fmt: skip


def _detail(lookups: list[_Lookup], matched: str) -> dict[str, Any]:
    return {
        "names": {seen.name: (seen.error or f"{len(seen.values)} TXT") for seen in lookups},
        **({"matched": matched} if matched else {}),
    }


def verify_domain(
    row: OrganizationDomain, *, request: HttpRequest | None = None, actor: str = ""
) -> DomainCheck:
    """Check the row's TXT record now; on success set ``verified_at`` (saved). A failed check
    never clears an earlier verification (docs/domain-verification.md, "Re-checks"). Audited."""
    check = check_domain(row.domain, row.verification_token)
    if check.ok:
        row.verified_at = timezone.now()
        row.save(update_fields=["verified_at"])
    _audit(row.organization_id, check.code, {"domain": row.domain, **check.detail}, request, actor)
    return check


# -- audit -----------------------------------------------------------------------------------
def _audit_claim(
    organization: Organization,
    domain: str,
    code: str,
    request: HttpRequest | None,
    actor: str,
    owner: int | None = None,
) -> None:
    detail: dict[str, Any] = {"domain": domain, "claim": True}
    if owner is not None:
        detail["owner_organization_id"] = owner  # for the operator; never shown to the customer
    _audit(organization.pk, code, detail, request, actor)


def _audit(
    organization_id: int | None, code: str, detail: dict[str, Any], request: HttpRequest | None, actor: str
) -> None:
    """One LoginEvent (outcome ``domain``) and one ``tenant_sso.audit`` log line."""
    if actor:
        detail = {**detail, "by": actor[:100]}
    LoginEvent.objects.create(
        outcome=LoginEvent.Outcome.DOMAIN,
        reason=code[:64],
        organization_id=organization_id,
        ip_address=client_ip(request) if request is not None else None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else "",
        detail=detail,
    )
    logger.info("sso domain reason=%s org=%s domain=%s", code, organization_id, detail.get("domain", "-"))

"""``manage.py sso_domain list|claim|verify``: verified email domains from a shell (docs/domain-verification.md)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ... import domains
from ...models import Organization, OrganizationDomain
from ...validation import InvalidValue, canonical_domain

ACTOR = "command:sso_domain"


class Command(BaseCommand):
    help = "List, claim or verify (DNS TXT) the email domains of organizations."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Domains with their verification state and the record to publish.")
        listing.add_argument("--org", metavar="SLUG", help="Only this organization's domains.")
        listing.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
        claim = sub.add_parser(
            "claim",
            help="Add a domain to an organization (refused: consumer mail domains, other organizations' "
            "domains) and print the TXT record to publish.",
        )
        claim.add_argument("--org", required=True, metavar="SLUG")
        claim.add_argument("domain", metavar="DOMAIN")
        verify = sub.add_parser(
            "verify",
            help="Read the TXT record of the organization's domains now; exit 1 when one is not verified.",
        )
        verify.add_argument("--org", required=True, metavar="SLUG")
        verify.add_argument("--domain", metavar="DOMAIN", help="Only this domain (default: every domain of --org).")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"handle_{options['action']}")(options)

    def _organization(self, slug: str) -> Organization:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"[unknown_organization] No organization with slug {slug!r}.")
        return organization

    def handle_list(self, options: dict[str, Any]) -> None:
        rows = OrganizationDomain.objects.select_related("organization").order_by("organization__slug", "domain")
        if options["org"]:
            rows = rows.filter(organization=self._organization(options["org"]))
        data = []
        for row in rows:
            name, value = domains.txt_record(row)
            data.append(
                {
                    "org": row.organization.slug,
                    "domain": row.domain,
                    "verified_at": row.verified_at.isoformat() if row.verified_at else None,
                    "required": row.organization.require_verified_domains,
                    "record_name": name,
                    "record_value": value,
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        if not data:
            self.stdout.write("No email domains.")
            return
        for item in data:
            state = f"verified {item['verified_at']}" if item["verified_at"] else "NOT VERIFIED"
            if not item["required"]:
                state += " (not required)"
            self.stdout.write(f"{item['org']}  {item['domain']}  {state}  TXT {item['record_name']} \"{item['record_value']}\"")

    def handle_claim(self, options: dict[str, Any]) -> None:
        organization = self._organization(options["org"])
        try:
            row = domains.claim_domain(organization, options["domain"], actor=ACTOR)
        except InvalidValue as error:
            raise CommandError(f"[{error.code}] {error.message}") from error
        name, value = domains.txt_record(row)
        state = "already verified" if row.verified_at else "not verified yet"
        self.stdout.write(f"{row.domain} belongs to {organization.slug} ({state}). Publish:")
        self.stdout.write(f'{name}. TXT "{value}"')

    def handle_verify(self, options: dict[str, Any]) -> None:
        organization = self._organization(options["org"])
        rows = list(organization.domains.select_related("organization").order_by("domain"))
        if options["domain"]:
            wanted = canonical_domain(options["domain"])
            rows = [row for row in rows if row.domain == wanted]
            if not rows:
                raise CommandError(f"[unknown_domain] {options['domain']!r} is not a domain of {organization.slug}.")
        if not rows:
            raise CommandError(f"[unknown_domain] {organization.slug} has no email domain.")
        failed = 0
        for row in rows:
            check = domains.verify_domain(row, actor=ACTOR)
            line = f"{row.domain}: [{check.code}] {check.message}"
            if check.ok:
                self.stdout.write(self.style.SUCCESS(line))
            else:
                failed += 1
                self.stderr.write(line)
        if failed:
            raise CommandError(f"{failed} of {len(rows)} domains not verified.")

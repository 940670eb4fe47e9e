"""``manage.py sso_setup_link create|list|revoke``: setup links for the self-service portal
(docs/setup-portal.md). ``create`` prints the link's URL on its last line (only then: only its
digest is stored)."""

from __future__ import annotations

import getpass
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...conf import app_settings
from ...models import Organization, SetupLink
from ...setup import links


class Command(BaseCommand):
    help = "Create, list and revoke self-service setup links for organizations."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a link; its URL is the last line printed.")
        create.add_argument("--org", required=True, help="The organization's slug.")
        create.add_argument("--expires-in", default="", help="e.g. 7d, 12h, 30m (default TENANT_SSO_SETUP_LINK_TTL).")
        create.add_argument("--note", default="", help="Shown in the admin and in list (e.g. who it was sent to).")
        listing = sub.add_parser("list", help="Links and their state.")
        listing.add_argument("--org", default="", help="Only this organization.")
        revoke = sub.add_parser("revoke", help="Revoke every live link of an organization.")
        revoke.add_argument("--org", required=True)

    def _org(self, slug: str) -> Organization:
        org = Organization.objects.filter(slug=slug[:100]).first()
        if org is None:
            raise CommandError(f"[unknown_organization] No organization {slug[:100]!r}.")
        return org

    def handle(self, *args: Any, **options: Any) -> None:
        actor = f"manage.py ({_user()})"
        if options["action"] == "create":
            org = self._org(options["org"])
            try:
                expires_in = links.parse_duration(options["expires_in"]) if options["expires_in"] else None
            except ValueError as error:
                raise CommandError(str(error)) from error
            new = links.create_link(org, expires_in=expires_in, note=options["note"], created_by=actor)
            self.stdout.write(f"Setup link for {org.slug}, valid until {new.link.expires_at:%Y-%m-%d %H:%M %Z}.")
            self.stdout.write("Send it to the customer's IT admin; it is shown only now.")
            if not app_settings.BASE_URL:
                self.stderr.write("TENANT_SSO_BASE_URL is not set: the link below is a path; prefix it with your site's origin.")
            self.stdout.write(links.link_url(new.token))
        elif options["action"] == "list":
            rows = SetupLink.objects.select_related("organization").order_by("organization__slug", "-created_at")
            if options["org"]:
                rows = rows.filter(organization__slug=options["org"][:100])
            now = timezone.now()
            for link in rows:
                status = "revoked" if link.revoked_at else ("expired" if link.expires_at <= now else "live")
                self.stdout.write(
                    f"{link.organization.slug}\t#{link.pk}\t{status}\texpires {link.expires_at:%Y-%m-%d %H:%M}"
                    f"\tuses {link.uses}\t{link.note}"
                )
        else:
            org = self._org(options["org"])
            count = links.revoke_links(org, actor=actor)
            self.stdout.write(f"Revoked {count} setup link(s) of {org.slug}.")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"

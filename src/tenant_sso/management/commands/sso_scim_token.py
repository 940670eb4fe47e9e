"""``manage.py sso_scim_token create|rotate|revoke --org SLUG``: the organization's SCIM token.

``create`` and ``rotate`` print the organization's SCIM base URL on one line and the token on the
next, once (only its digest is stored); paste both into the IdP's provisioning settings.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ...conf import app_settings
from ...models import Organization, ScimToken
from ...scim import tokens
from ...scim.views import base_url_for


class Command(BaseCommand):
    help = "Create, rotate or revoke an organization's SCIM bearer token (docs/scim.md)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["create", "rotate", "revoke"])
        parser.add_argument("--org", required=True, metavar="SLUG", help="The organization's slug.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"[organization_unknown] No organization with the slug {options['org']!r}.")
        action = options["action"]
        exists = ScimToken.objects.filter(organization=organization).exists()
        if action == "revoke":
            if not tokens.revoke(organization):
                raise CommandError(f"[scim_token_missing] {organization.slug} has no SCIM token.")
            self.stderr.write(f"SCIM token of {organization.slug} revoked: its SCIM requests are refused.")
            return
        if action == "create" and exists:
            raise CommandError(f"[scim_token_exists] {organization.slug} has a SCIM token; use rotate.")
        if action == "rotate" and not exists:
            raise CommandError(f"[scim_token_missing] {organization.slug} has no SCIM token; use create.")
        token, _ = tokens.issue(organization)
        if not app_settings.BASE_URL:
            self.stderr.write("TENANT_SSO_BASE_URL is not set: the base URL below is a path; prefix it with your site's origin.")
        self.stdout.write(base_url_for(organization.slug))
        self.stdout.write(token)

"""``manage.py sso_connection create|list|disable``: connections from scripts and infrastructure code."""

from __future__ import annotations

import json
import os
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ...connections import ConnectionSpec, upsert_connection, validation_message
from ...models import Connection
from ...sessions import disable_connections


class Command(BaseCommand):
    help = "Create, list or disable SSO connections. Secrets are read from environment variables."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create or update an organization's connection.")
        create.add_argument("--org", required=True, help="Organization slug.")
        create.add_argument("--org-name", default="")
        create.add_argument("--email-domain", action="append", default=[], dest="email_domains")
        create.add_argument("--kind", choices=["cognito", "oidc"], required=True)
        create.add_argument("--issuer", required=True)
        create.add_argument("--cognito-domain", default="")
        create.add_argument("--identity-provider", default="")
        create.add_argument("--client-id", required=True)
        create.add_argument(
            "--client-secret-env",
            required=True,
            help="Name of the environment variable holding the client secret.",
        )
        create.add_argument("--allowed-group", action="append", required=True, dest="allowed_groups")
        create.add_argument("--groups-claim", default="")
        create.add_argument("--roles-claim", default="")
        create.add_argument("--group-map", action="append", default=[], metavar="IDP_GROUP=DJANGO_GROUP")
        create.add_argument("--logout-redirect", default="")
        create.add_argument("--upstream-logout-url", default="",
                            help="Cognito: the customer IdP's end-session URL (second logout hop).")
        create.add_argument("--token-auth-method", default="auto",
                            choices=["auto", "client_secret_basic", "client_secret_post"])
        create.add_argument("--use-userinfo", action="store_true", help="Also call the userinfo endpoint.")
        create.add_argument("--link-by-email", action="store_true",
                            help="Link a first login to an existing account by verified email of an org domain.")
        create.add_argument("--max-session-age", type=int, default=None, metavar="SECONDS")
        listing = sub.add_parser("list", help="List connections.")
        listing.add_argument("--json", action="store_true")
        disable = sub.add_parser("disable", help="Disable an organization's connection.")
        disable.add_argument("--org", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"handle_{options['action']}")(options)

    def handle_create(self, options: dict[str, Any]) -> None:
        secret = os.environ.get(options["client_secret_env"])
        if not secret:
            raise CommandError(f"Environment variable {options['client_secret_env']} is not set or empty.")
        mapping: dict[str, str] = {}
        for item in options["group_map"]:
            idp_group, sep, django_group = item.partition("=")
            if not sep or not idp_group.strip() or not django_group.strip():
                raise CommandError(f"--group-map {item!r}: expected IDP_GROUP=DJANGO_GROUP.")
            mapping[idp_group.strip()] = django_group.strip()
        spec = ConnectionSpec(
            org_slug=options["org"],
            org_name=options["org_name"],
            kind=options["kind"],
            issuer=options["issuer"],
            client_id=options["client_id"],
            client_secret=secret,
            email_domains=options["email_domains"],
            cognito_domain=options["cognito_domain"],
            identity_provider=options["identity_provider"],
            allowed_groups=options["allowed_groups"],
            groups_claim=options["groups_claim"],
            roles_claim=options["roles_claim"],
            group_mapping=mapping,
            logout_redirect_url=options["logout_redirect"],
            extra={
                "upstream_logout_url": options["upstream_logout_url"],
                "token_auth_method": options["token_auth_method"],
                "use_userinfo": options["use_userinfo"],
                "link_by_email": options["link_by_email"],
                **({"max_session_age": options["max_session_age"]} if options["max_session_age"] else {}),
            },
        )
        try:
            connection, created = upsert_connection(spec)
        except ValidationError as error:
            raise CommandError(validation_message(error)) from error
        verb = "Created" if created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {connection.kind} connection for {options['org']} (id {connection.pk})."
            )
        )

    def handle_list(self, options: dict[str, Any]) -> None:
        rows = [
            {
                "org": c.organization.slug,
                "id": c.pk,
                "kind": c.kind,
                "enabled": c.enabled,
                "issuer": c.issuer,
                "client_id": c.client_id,
                "cognito_domain": c.cognito_domain,
                "email_domains": [d.domain for d in c.organization.domains.all()],
                "allowed_groups": c.allowed_groups,
                "group_mapping": c.group_mapping,
            }
            for c in Connection.objects.select_related("organization").prefetch_related(
                "organization__domains"
            )
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            state = "enabled" if row["enabled"] else "disabled"
            self.stdout.write(
                f"{row['org']:<20} {row['kind']:<8} {state:<9} {row['client_id']:<28} {row['issuer']}"
            )

    def handle_disable(self, options: dict[str, Any]) -> None:
        # Disabled, and every session made through it ended now (sessions.disable_connections).
        count = disable_connections(Connection.objects.filter(organization__slug=options["org"]))
        if not count:
            raise CommandError(f"No enabled connection for organization {options['org']!r}.")
        self.stdout.write(self.style.SUCCESS(f"Disabled the connection of {options['org']}."))

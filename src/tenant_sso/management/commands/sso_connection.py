"""``manage.py sso_connection create|list|disable``: connections from scripts and infrastructure code."""

from __future__ import annotations

import json
import os
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ...connections import ConnectionSpec, upsert_connection, validation_message
from ...models import Connection
from ...session_index import disable_connections


def secret_expiry(value: str | None) -> tuple[bool, date | None]:
    """``--secret-expires``: (given, the day); ``none`` forgets a stored day."""
    if value is None:
        return False, None
    if value.strip().lower() == "none":
        return True, None
    try:
        return True, date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"[secret_expires_invalid] --secret-expires {value[:40]!r}: expected a date as YYYY-MM-DD, or none."
        ) from None


class Command(BaseCommand):
    help = "Create, list or disable SSO connections. Secrets are read from environment variables."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create",
            help="Create or update an organization's connection (validated like the admin).",
            description="Create the organization if new, then create or update its enabled connection. "
            "Values follow the admin's rules (docs/admin.md, Validation); a refused value stops with "
            "[code] message and saves nothing.",
        )
        create.add_argument("--org", required=True, metavar="SLUG",
                            help="Organization slug: lower-case letters, digits, '-' and '_' (created if new).")
        create.add_argument("--org-name", default="", metavar="NAME",
                            help="Organization display name (default: the slug; given: renames it).")
        create.add_argument("--email-domain", action="append", default=[], dest="email_domains", metavar="DOMAIN",
                            help="Email domain of the organization, for home-realm discovery (e.g. acme.com; "
                            "no @, scheme, path or port). Repeatable: one per domain.")
        create.add_argument("--kind", choices=["cognito", "oidc"], required=True,
                            help="cognito: an AWS Cognito app client; oidc: an OpenID Provider directly.")
        create.add_argument("--issuer", required=True, metavar="URL_OR_POOL_ID",
                            help="The issuer URL; for Cognito also just the pool ID (eu-west-1_AbC123), "
                            "expanded to https://cognito-idp.<region>.amazonaws.com/<poolId>.")
        create.add_argument("--cognito-domain", default="", metavar="DOMAIN",
                            help="Cognito: the pool's domain (prefix.auth.<region>.amazoncognito.com or a "
                            "custom domain), not the issuer's cognito-idp host.")
        create.add_argument("--identity-provider", default="", metavar="NAME",
                            help="Cognito: the customer IdP's name in the pool (skips Cognito's own page).")
        create.add_argument("--client-id", required=True, metavar="ID", help="The app client's Client ID.")
        create.add_argument(
            "--client-secret-env",
            required=True,
            metavar="VAR",
            help="Name of the environment variable holding the client secret (never on the command line).",
        )
        create.add_argument("--allowed-group", action="append", required=True, dest="allowed_groups", metavar="GROUP",
                            help="IdP group whose members may sign in (a name or an Entra object ID). "
                            "Repeatable: one per group; at least one.")
        create.add_argument("--groups-claim", default="", metavar="CLAIM",
                            help="Claim holding the groups (default: custom:groups for Cognito, groups for OIDC).")
        create.add_argument("--roles-claim", default="", metavar="CLAIM",
                            help="Optional claim holding roles, e.g. custom:roles.")
        create.add_argument("--group-map", action="append", default=[], metavar="IDP_GROUP=DJANGO_GROUP",
                            help="Give members of an IdP group a Django group at each login. Repeatable: one per mapping.")
        create.add_argument("--logout-redirect", default="", metavar="URL",
                            help="Where the IdP sends the user after logout: a path here or an https URL "
                            "registered as a sign-out URL (default: TENANT_SSO_LOGOUT_REDIRECT_URL).")
        create.add_argument("--upstream-logout-url", default="", metavar="URL",
                            help="Cognito: the customer IdP's end-session URL (second logout hop).")
        create.add_argument("--token-auth-method", default="auto",
                            choices=["auto", "client_secret_basic", "client_secret_post"],
                            help="How the client authenticates at the token endpoint (auto: basic when offered).")
        create.add_argument("--use-userinfo", action="store_true", help="Also call the userinfo endpoint.")
        create.add_argument("--link-by-email", action="store_true",
                            help="Link a first login to an existing account by verified email of an org domain.")
        create.add_argument("--max-session-age", type=int, default=None, metavar="SECONDS",
                            help="The Django session ends this long after login at the latest "
                            "(default: TENANT_SSO_DEFAULT_MAX_SESSION_AGE).")
        create.add_argument(
            "--scope", action="append", default=[], dest="extra_scopes", metavar="SCOPE",
            help="Extra scope always requested besides openid (e.g. a custom scope releasing groups). "
            "Repeatable. Not given: none.",
        )
        create.add_argument(
            "--signing-alg", action="append", default=[], dest="signing_algorithms", metavar="ALG",
            help="ID token signing algorithm accepted for this connection (RS256, ES256, PS256...). "
            "Repeatable. Not given: TENANT_SSO_ALLOWED_ALGORITHMS.",
        )
        create.add_argument(
            "--secret-expires", default=None, metavar="YYYY-MM-DD",
            help="The day the client secret stops working, when the IdP says (Entra ID: at most 2 years): "
            "warned about at 30, 14 and 7 days and after (docs/saml.md, 'Expiry tracking'). "
            "Not given: keep the stored date; 'none': forget it.",
        )
        listing = sub.add_parser("list", help="List connections with their organization and email domains.")
        listing.add_argument("--json", action="store_true",
                             help="Print JSON (one object per connection, no secrets) instead of a table.")
        disable = sub.add_parser("disable", help="Disable an organization's connection (logins stop).")
        disable.add_argument("--org", required=True, metavar="SLUG", help="Slug of the organization.")

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
        expiry = secret_expiry(options["secret_expires"])
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
            extra_scopes=[scope for item in options["extra_scopes"] for scope in item.split()],
            signing_algorithms=options["signing_algorithms"],
            extra={
                "upstream_logout_url": options["upstream_logout_url"],
                "token_auth_method": options["token_auth_method"],
                "use_userinfo": options["use_userinfo"],
                "link_by_email": options["link_by_email"],
                **({"max_session_age": options["max_session_age"]} if options["max_session_age"] else {}),
                **({"client_secret_expires_on": expiry[1]} if expiry[0] else {}),
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
                "secret_expires_on": c.client_secret_expires_on.isoformat() if c.client_secret_expires_on else None,
            }
            for c in Connection.objects.select_related("organization").prefetch_related(
                "organization__domains"
            )
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No connections.")
            return
        table = [("ORGANIZATION", "KIND", "STATE", "CLIENT ID", "EMAIL DOMAINS", "ISSUER")] + [
            (
                str(row["org"]),
                str(row["kind"]),
                "enabled" if row["enabled"] else "disabled",
                str(row["client_id"]),
                ",".join(row["email_domains"]) or "-",
                str(row["issuer"]),
            )
            for row in rows
        ]
        widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
        for line in table:
            self.stdout.write("  ".join([*(cell.ljust(w) for cell, w in zip(line, widths, strict=False)), line[-1]]))

    def handle_disable(self, options: dict[str, Any]) -> None:
        # Disabled, and every session made through it ended now (session_index.disable_connections).
        count = disable_connections(Connection.objects.filter(organization__slug=options["org"]))
        if not count:
            raise CommandError(f"No enabled connection for organization {options['org']!r}.")
        self.stdout.write(self.style.SUCCESS(f"Disabled the connection of {options['org']}."))

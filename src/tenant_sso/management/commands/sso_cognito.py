"""``manage.py sso_cognito onboard|onboard-bulk|offboard|status``: Cognito's console steps, automated.

See docs/cognito-onboarding.md. Every AWS or configuration error ends as a ``CommandError`` whose
message starts with a stable code in brackets (``[cognito_pool_not_found] ...``), never a traceback.
Upstream client secrets are read from environment variables, never from the command line or a CSV.
"""

from __future__ import annotations

import csv
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ...cognito.plan import DEFAULT_SCOPES, TenantSpec, Upstream
from ...cognito.plan.names import pool_of_issuer
from ...exceptions import SSOError
from ...oidc.client import is_scope_token
from ...validation import plural

BULK_COLUMNS = (
    "org",
    "org_name",
    "user_pool_id",
    "issuer",
    "upstream_client_id",
    "upstream_client_secret_env",
    "email_domains",
    "allowed_groups",
    "groups_claim",
    "roles_claim",
    "groups_scope",
)


def _split(value: str | None) -> list[str]:
    """A CSV cell holding several values, separated by ``;`` (group names may contain spaces)."""
    return [item.strip() for item in (value or "").split(";") if item.strip()]


def upstream_from(
    issuer: str | None, client_id: str | None, secret_env: str | None, groups_scopes: list[str], where: str = ""
) -> Upstream | None:
    """The customer's IdP from the given values; ``None`` when none is given (keep what Cognito has)."""
    given = [bool(issuer), bool(client_id), bool(secret_env)]
    if not any(given):
        return None
    if not all(given):
        raise CommandError(
            f"[upstream_incomplete] {where}give the upstream issuer, client ID and client secret "
            "environment variable together (or none of them, to keep the current ones)."
        )
    bad = [scope for scope in groups_scopes if not is_scope_token(scope)]
    if bad:
        raise CommandError(
            f"[scope_invalid] {where}{bad[0][:50]!r} is not a scope name: printable ASCII without spaces, "
            "quotes or backslashes (RFC 6749 3.3)."
        )
    secret = os.environ.get(str(secret_env), "")
    if not secret:
        raise CommandError(f"[upstream_secret_missing] {where}environment variable {secret_env} is not set or empty.")
    return Upstream(str(issuer), str(client_id), secret, scopes=(*DEFAULT_SCOPES, *groups_scopes))


class Command(BaseCommand):
    help = "Onboard, offboard and check tenants in Amazon Cognito (identity provider + app client per tenant)."
    # Not on the command line: tests and scripts pass a ready Provisioner (e.g. a boto3 client
    # pointed at a local endpoint) through call_command(..., provisioner=...).
    stealth_options = ("provisioner",)

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        onboard = sub.add_parser("onboard", help="Create or update one tenant's IdP, app client and connection.")
        onboard.add_argument("--org", required=True, metavar="SLUG",
                             help="Organization slug: lower-case letters, digits, '-' and '_' (created if new).")
        onboard.add_argument("--org-name", default="", metavar="NAME",
                             help="Organization display name (default: the slug).")
        onboard.add_argument("--user-pool-id", default=None, metavar="POOL_ID_OR_ISSUER",
                             help="The user pool, as its ID (us-east-1_AbC123) or its issuer URL. "
                             "Default: the tenant's pool, or a pool of TENANT_SSO_COGNITO_POOLS with room.")
        onboard.add_argument("--issuer", default=None, metavar="URL",
                             help="The customer's IdP issuer (Okta, Entra ID...); with --upstream-client-id and "
                             "--upstream-client-secret-env, or none of them to keep the current IdP.")
        onboard.add_argument("--upstream-client-id", default=None, metavar="ID",
                             help="Client ID of the app registered at the customer's IdP for Cognito.")
        onboard.add_argument("--upstream-client-secret-env", default=None, metavar="VAR",
                             help="Environment variable holding the upstream client secret.")
        onboard.add_argument("--email-domain", action="append", default=[], dest="email_domains", metavar="DOMAIN",
                             help="Email domain of the tenant (home-realm discovery and the IdP's identifiers), "
                             "e.g. acme.com. Repeatable: one per domain; added to the stored ones.")
        onboard.add_argument("--allowed-group", action="append", default=None, dest="allowed_groups", metavar="GROUP",
                             help="IdP group whose members may sign in. Repeatable: one per group; "
                             "omitted: keep the stored ones.")
        onboard.add_argument("--groups-claim", default=None, metavar="CLAIM",
                             help="Upstream claim mapped to custom:groups [groups].")
        onboard.add_argument("--roles-claim", default=None, metavar="CLAIM",
                             help="Upstream claim mapped to custom:roles [none].")
        onboard.add_argument("--groups-scope", action="append", default=[], dest="groups_scopes", metavar="SCOPE",
                             help="Extra upstream scope that releases the groups claim (Okta custom server). "
                             "Repeatable: one per scope.")
        onboard.add_argument("--dry-run", action="store_true", help="Print the plan; change nothing.")

        bulk = sub.add_parser("onboard-bulk", help="Onboard every row of a CSV file (resumable).")
        bulk.add_argument("file", type=Path, help=f"CSV with a header row; columns: {', '.join(BULK_COLUMNS)}.")
        bulk.add_argument("--dry-run", action="store_true", help="Print each row's plan; change nothing.")

        offboard = sub.add_parser("offboard", help="Delete the tenant's app client and IdP; disable its connection.")
        offboard.add_argument("--org", required=True, metavar="SLUG", help="Slug of the organization to offboard.")
        offboard.add_argument("--dry-run", action="store_true", help="Print what would be deleted; change nothing.")

        status = sub.add_parser("status", help="Drift between Cognito and the database, for every tenant.")
        status.add_argument("--org", action="append", default=None, dest="orgs", metavar="SLUG",
                            help="Only this organization. Repeatable: one per organization; default: all.")
        status.add_argument("--check", action="store_true", help="Exit non-zero when a tenant drifted.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.provisioner: Any = options.get("provisioner")
        try:
            if self.provisioner is None:
                from ...cognito.aws import require_boto3
                from ...cognito.onboarding import Provisioner

                require_boto3()  # once, before any tenant: not one "drift" per tenant
                self.provisioner = Provisioner()
            getattr(self, "handle_" + options["action"].replace("-", "_"))(options)
        except SSOError as exc:
            raise CommandError(f"[{exc.code}] {exc.message}") from exc

    # -- onboard ------------------------------------------------------------------------------
    def handle_onboard(self, options: dict[str, Any]) -> None:
        upstream = upstream_from(
            options["issuer"], options["upstream_client_id"], options["upstream_client_secret_env"],
            options["groups_scopes"],
        )
        spec = TenantSpec(
            org_slug=options["org"],
            org_name=options["org_name"],
            upstream=upstream,
            user_pool_id=options["user_pool_id"],
            email_domains=tuple(options["email_domains"]),
            allowed_groups=tuple(options["allowed_groups"]) if options["allowed_groups"] is not None else None,
            groups_claim=options["groups_claim"],
            roles_claim=options["roles_claim"],
        )
        outcome = self.provisioner.onboard(spec, dry_run=options["dry_run"])
        self._print_plan(outcome.plan, dry_run=options["dry_run"])
        self.stdout.write(self._summary(outcome))

    def _print_plan(self, plan: Any, *, dry_run: bool) -> None:
        lines = plan.describe()
        if dry_run:
            lines[0] = "Plan for " + lines[0] + " (dry run: nothing changed)"
        for line in lines:
            self.stdout.write(line)

    def _summary(self, outcome: Any) -> str:
        slug, pool = outcome.plan.org_slug, outcome.plan.pool.user_pool_id
        if outcome.status == "planned":
            n = len(outcome.plan.steps)
            return f"{slug}: {plural(n, 'step')} would run." if n else f"{slug}: no changes needed."
        if outcome.status == "unchanged":
            return self.style.SUCCESS(f"No changes: {slug} is already onboarded in pool {pool}.")
        return self.style.SUCCESS(f"{outcome.status.capitalize()} {slug} in pool {pool} ({plural(len(outcome.plan.steps), 'step')}).")

    # -- onboard-bulk ----------------------------------------------------------------------------
    def handle_onboard_bulk(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as exc:
            raise CommandError(f"[bulk_file_unreadable] {path}: {exc.strerror}.") from exc
        if rows and "org" not in rows[0]:
            raise CommandError(f"[bulk_bad_header] {path}: the header must name the columns ({', '.join(BULK_COLUMNS)}).")
        counts = {"ok": 0, "unchanged": 0, "failed": 0}
        total = len(rows)
        for index, row in enumerate(rows, start=1):
            slug = (row.get("org") or "").strip()
            where = f"row {index + 1} ({slug or 'no org'}): "
            try:
                if not slug:
                    raise CommandError("[bulk_row_invalid] the org column is empty.")
                spec = TenantSpec(
                    org_slug=slug,
                    org_name=(row.get("org_name") or "").strip(),
                    upstream=upstream_from(
                        (row.get("issuer") or "").strip(),
                        (row.get("upstream_client_id") or "").strip(),
                        (row.get("upstream_client_secret_env") or "").strip(),
                        _split(row.get("groups_scope")),
                    ),
                    user_pool_id=(row.get("user_pool_id") or "").strip() or None,
                    email_domains=tuple(_split(row.get("email_domains"))),
                    allowed_groups=tuple(_split(row.get("allowed_groups"))) if _split(row.get("allowed_groups")) else None,
                    groups_claim=(row.get("groups_claim") or "").strip() or None,
                    roles_claim=(row.get("roles_claim") or "").strip() or None,
                )
                outcome = self.provisioner.onboard(spec, dry_run=options["dry_run"])
            except (SSOError, CommandError) as exc:
                reason = f"[{exc.code}] {exc.message}" if isinstance(exc, SSOError) else str(exc)
                counts["failed"] += 1
                result = f"failed: {reason}"
            else:
                if outcome.status in ("unchanged",) or (outcome.status == "planned" and not outcome.changed):
                    counts["unchanged"] += 1
                    result = "unchanged"
                else:
                    counts["ok"] += 1
                    result = "ok" if outcome.status != "planned" else f"ok (dry run: {plural(len(outcome.plan.steps), 'step')})"
            # Progress on stderr, the per-row report on stdout (so it can be redirected to a file).
            self.stderr.write(f"[{index}/{total}] {slug or '?'}", ending="\n")
            self.stdout.write(f"{where}{result}")
        summary = f"{counts['ok']} ok, {counts['unchanged']} unchanged, {counts['failed']} failed, of {total} rows."
        if counts["failed"]:
            raise CommandError(f"[bulk_failed] {summary} Fix the failed rows and re-run: finished rows report unchanged.")
        self.stdout.write(self.style.SUCCESS(summary))

    # -- offboard -------------------------------------------------------------------------------
    def handle_offboard(self, options: dict[str, Any]) -> None:
        outcome = self.provisioner.offboard(options["org"], dry_run=options["dry_run"])
        self._print_plan(outcome.plan, dry_run=options["dry_run"])
        if outcome.status == "unchanged":
            self.stdout.write(self.style.SUCCESS(f"No changes: {options['org']} is already offboarded."))
        elif outcome.status == "offboarded":
            self.stdout.write(self.style.SUCCESS(f"Offboarded {options['org']}."))

    # -- status ---------------------------------------------------------------------------------
    def _check_permissions(self, orgs: list[str] | None) -> int:
        """The IAM permissions deprovisioning needs, per pool in use (docs/deprovisioning.md):
        probes on a user that does not exist (nothing changes). How many pools lack one."""
        from ...cognito.users import check_permissions
        from ...models import Connection

        pools: set[str] = set()
        connections = Connection.objects.filter(enabled=True, kind="cognito")
        if orgs is not None:
            connections = connections.filter(organization__slug__in=orgs)
        for issuer in connections.values_list("issuer", flat=True):
            found = pool_of_issuer(issuer)
            if found is not None:
                pools.add(found.user_pool_id)
        lacking = 0
        for pool in sorted(pools):
            result = check_permissions(self.provisioner.api, pool)
            missing = {action: code for action, code in result.items() if code != "ok"}
            if missing:
                lacking += 1
                for action, code in missing.items():
                    self.stdout.write(f"{pool}: {code}: {action} refused (deprovisioning needs it: docs/deprovisioning.md)")
            else:
                self.stdout.write(f"{pool}: deprovisioning permissions ok ({', '.join(result)})")
        return lacking


    def handle_status(self, options: dict[str, Any]) -> None:
        rows = self.provisioner.status(options["orgs"])
        drifted = 0
        for row in rows:
            if row.problem:
                if row.code != "not_managed":
                    drifted += 1
                self.stdout.write(f"{row.org_slug}: {row.code}: {row.problem}")
            elif row.plan is not None and row.plan.changed:
                drifted += 1
                self.stdout.write(f"{row.org_slug}: DRIFT (re-run onboard to fix)")
                for line in row.plan.describe()[1:]:
                    self.stdout.write(line)
            else:
                self.stdout.write(f"{row.org_slug}: in sync")
        lacking = self._check_permissions(options["orgs"])
        summary = f"{plural(len(rows), 'tenant')}, {drifted} drifted."
        if lacking:
            summary += f" {plural(lacking, 'pool')} lacking deprovisioning permissions."
        if (drifted or lacking) and options["check"]:
            raise CommandError(f"[cognito_drift] {summary}")
        self.stdout.write(summary)

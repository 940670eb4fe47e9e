"""``manage.py sso_cognito onboard|onboard-bulk|offboard|status``: Cognito's console steps, automated.

See docs/cognito-onboarding.md. Every AWS or configuration error ends as a ``CommandError`` whose
message starts with a stable code in brackets (``[cognito_pool_not_found] ...``), never a traceback.
Upstream client secrets are read from environment variables, never from the command line or a CSV.
A SAML upstream is given by its metadata (``--saml-metadata-url`` or ``--saml-metadata-file``),
read and checked before any AWS call.
"""

from __future__ import annotations

import csv
import json
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ...cognito.plan import DEFAULT_SCOPES, AnyUpstream, SAMLIdP, TenantSpec, Upstream
from ...cognito.plan.names import pool_of_issuer
from ...exceptions import SSOError
from ...oidc.client import is_scope_token
from ...saml.presets import PRESETS
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
    "saml_metadata_url",
    "saml_metadata_file",
    "idp_preset",
    "saml_groups_attribute",
    "saml_email_attribute",
    "idp_initiated",
    "sign_requests",
    "encrypted_responses",
)
#: ``--idp-preset`` choices.
IDP_PRESETS = tuple(PRESETS)
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"", "0", "false", "no", "n", "off"}


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


def saml_upstream_from(
    *,
    metadata_url: str | None,
    metadata_file: str | Path | None,
    preset: str | None,
    groups_attribute: str | None,
    email_attribute: str | None,
    idp_initiated: bool,
    sign_requests: bool,
    encrypted_responses: bool,
    groups_claim: str | None = None,
    where: str = "",
) -> SAMLIdP | None:
    """The customer's SAML IdP from the given values; ``None`` when no metadata and no SAML option
    is given (keep what Cognito has). Attribute names default to the preset's. The file is read
    here (bounded); the document is parsed and checked by onboarding, before any AWS call.
    ``groups_claim`` (``--groups-claim``, shared with OIDC) stands in for ``groups_attribute``."""
    options = [bool(preset), bool(groups_attribute), bool(email_attribute), idp_initiated, sign_requests,
               encrypted_responses]
    if metadata_url and metadata_file:
        raise CommandError(f"[saml_metadata_conflict] {where}give --saml-metadata-url or --saml-metadata-file, not both.")
    if not metadata_url and not metadata_file:
        if any(options):
            raise CommandError(
                f"[saml_metadata_required] {where}the SAML options (--idp-preset, --saml-*-attribute, "
                "--idp-initiated, --sign-requests, --encrypted-responses) go with the IdP's metadata: "
                "give --saml-metadata-url or --saml-metadata-file too."
            )
        return None
    from ...saml.metadata import MAX_METADATA_BYTES
    from ...saml.presets import DEFAULT_PRESET

    groups_attribute = groups_attribute or groups_claim
    name = preset or DEFAULT_PRESET
    if name not in PRESETS:
        raise CommandError(f"[saml_preset_unknown] {where}unknown IdP preset {name!r}: choose among {', '.join(PRESETS)}.")
    chosen = PRESETS[name]
    xml = b""
    if metadata_file:
        path = Path(metadata_file)
        try:
            with path.open("rb") as handle:
                xml = handle.read(MAX_METADATA_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"[saml_metadata_file_unreadable] {where}{path}: {exc.strerror}.") from exc
        if len(xml) > MAX_METADATA_BYTES:
            raise CommandError(
                f"[saml_metadata_too_large] {where}{path} is larger than {MAX_METADATA_BYTES} bytes: not SAML metadata."
            )
    return SAMLIdP(
        metadata_url=(metadata_url or "").strip(),
        metadata_xml=xml,
        preset=name,
        email_attribute=(email_attribute or "").strip() or chosen.email_attribute,
        groups_attribute=(groups_attribute or "").strip() or chosen.groups_attribute,
        idp_initiated=idp_initiated,
        sign_requests=sign_requests,
        encrypted_responses=encrypted_responses,
    )


def one_upstream(oidc: Upstream | None, saml: SAMLIdP | None, where: str = "") -> AnyUpstream | None:
    if oidc is not None and saml is not None:
        raise CommandError(
            f"[upstream_conflict] {where}give the OIDC upstream (issuer, client ID, secret) or the SAML "
            "metadata, not both."
        )
    return oidc or saml


def _flag(row: dict[str, Any], column: str, where: str) -> bool:
    value = (row.get(column) or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CommandError(f"[bulk_row_invalid] {where}column {column} must be true or false, not {value[:20]!r}.")


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
        saml = onboard.add_argument_group(
            "SAML upstream", "A SAML 2.0 IdP instead of an OIDC one (docs/cognito-onboarding.md, \"SAML identity providers\"). "
            "Given, these are the whole SAML setting: an option left out is off."
        )
        saml.add_argument("--saml-metadata-url", default=None, metavar="URL",
                          help="The IdP's metadata URL (https, public): read and checked now, then given to Cognito.")
        saml.add_argument("--saml-metadata-file", default=None, metavar="PATH",
                          help="The IdP's metadata as a file (sent to Cognito as MetadataFile).")
        saml.add_argument("--idp-preset", default=None, choices=IDP_PRESETS,
                          help="The IdP vendor: the default attribute names [generic].")
        saml.add_argument("--saml-groups-attribute", default=None, metavar="NAME",
                          help="SAML attribute mapped to custom:groups [the preset's, e.g. Entra's "
                          "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups].")
        saml.add_argument("--saml-email-attribute", default=None, metavar="NAME",
                          help="SAML attribute mapped to email [the preset's].")
        saml.add_argument("--idp-initiated", action="store_true",
                          help="Accept sign-in from the IdP's app tile (it starts a fresh sign-in here).")
        saml.add_argument("--sign-requests", action="store_true",
                          help="Cognito signs its AuthnRequests (rsa-sha256); the IdP needs Cognito's certificate.")
        saml.add_argument("--encrypted-responses", action="store_true",
                          help="The IdP encrypts its assertions to Cognito's encryption certificate.")
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
        add_sp_metadata_parser(sub)

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
        upstream = one_upstream(
            upstream_from(
                options["issuer"], options["upstream_client_id"], options["upstream_client_secret_env"],
                options["groups_scopes"],
            ),
            saml_upstream_from(
                metadata_url=options["saml_metadata_url"],
                metadata_file=options["saml_metadata_file"],
                preset=options["idp_preset"],
                groups_attribute=options["saml_groups_attribute"],
                groups_claim=options["groups_claim"],
                email_attribute=options["saml_email_attribute"],
                idp_initiated=options["idp_initiated"],
                sign_requests=options["sign_requests"],
                encrypted_responses=options["encrypted_responses"],
            ),
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
                metadata_file = (row.get("saml_metadata_file") or "").strip()
                spec = TenantSpec(
                    org_slug=slug,
                    org_name=(row.get("org_name") or "").strip(),
                    upstream=one_upstream(
                        upstream_from(
                            (row.get("issuer") or "").strip(),
                            (row.get("upstream_client_id") or "").strip(),
                            (row.get("upstream_client_secret_env") or "").strip(),
                            _split(row.get("groups_scope")),
                        ),
                        saml_upstream_from(
                            metadata_url=(row.get("saml_metadata_url") or "").strip(),
                            # A relative path is relative to the CSV file.
                            metadata_file=path.parent / metadata_file if metadata_file else None,
                            preset=(row.get("idp_preset") or "").strip(),
                            groups_attribute=(row.get("saml_groups_attribute") or "").strip(),
                            groups_claim=(row.get("groups_claim") or "").strip(),
                            email_attribute=(row.get("saml_email_attribute") or "").strip(),
                            idp_initiated=_flag(row, "idp_initiated", ""),
                            sign_requests=_flag(row, "sign_requests", ""),
                            encrypted_responses=_flag(row, "encrypted_responses", ""),
                        ),
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
        self._print_expiry(rows)
        lacking = self._check_permissions(options["orgs"])
        summary = f"{plural(len(rows), 'tenant')}, {drifted} drifted."
        if lacking:
            summary += f" {plural(lacking, 'pool')} lacking deprovisioning permissions."
        if (drifted or lacking) and options["check"]:
            raise CommandError(f"[cognito_drift] {summary}")
        self.stdout.write(summary)

    # -- sp-metadata, and expiry in status (issue 14, points 2 and 4: docs/saml.md) -------------------
    def handle_sp_metadata(self, options: dict[str, Any]) -> None:
        from ...saml_store import sp_values_for

        connection = _cognito_connection(options["org"], options["user_pool_id"])
        if connection is None:  # before onboarding: what the pool alone decides
            values = self._pool_sp_values(options["user_pool_id"], options["preset"])
        else:
            self._fetch_sp_certificates(connection)
            values = sp_values_for(connection, base_url=_our_base_url(), preset=options["preset"])
        if options["json"]:
            self.stdout.write(json.dumps([{"key": v.key, "label": v.label, "value": v.value} for v in values], indent=2))
            return
        self.stdout.write(f"Values for {options['org']}'s SAML identity provider (paste them into the IdP's app):")
        for value in values:
            if "\n" in value.value:
                self.stdout.write(f"\n{value.label}:\n{value.value.rstrip()}")
            else:
                self.stdout.write(f"\n{value.label}: {value.value}")
            self.stdout.write(f"  ({value.help})")

    def _pool_sp_values(self, pool_id_or_issuer: str, preset: str | None) -> list[Any]:
        from ...cognito.identifiers import pool_of_issuer
        from ...cognito.plan import PoolRef, region_of_pool
        from ...saml.sp import sp_values

        pool = pool_of_issuer(pool_id_or_issuer)
        pool_id, region = pool if pool else (pool_id_or_issuer, region_of_pool(pool_id_or_issuer))
        domain = self.provisioner.observer.pool(PoolRef(pool_id, region)).domain
        if not domain:
            raise CommandError(f"[cognito_pool_no_domain] Pool {pool_id} has no domain: create one (managed login) first.")
        return sp_values(
            user_pool_id=pool_id, cognito_domain=domain, client_id="", idp_initiated_url="",
            preset=preset or "generic", sign_requests=False,
        )

    def _fetch_sp_certificates(self, connection: Any) -> None:
        """Cognito's signing / encryption certificates, when the upstream uses them (kept for the admin)."""
        from ...cognito.identifiers import pool_of_issuer
        from ...models import SAMLUpstream
        from ...saml_store import record_sp_certificates

        upstream = SAMLUpstream.objects.filter(connection=connection).first()
        pool = pool_of_issuer(connection.issuer)
        if upstream is None or pool is None or not (upstream.sign_requests or upstream.slo_url or upstream.encrypted_responses):
            return
        pool_id, region = pool
        try:
            signing = encryption = None
            if upstream.sign_requests or upstream.slo_url:
                signing = self.provisioner.api.call(region, "get_signing_certificate", UserPoolId=pool_id).get("Certificate")
            if upstream.encrypted_responses:
                described = self.provisioner.api.call(
                    region, "describe_identity_provider", UserPoolId=pool_id, ProviderName=connection.identity_provider
                )
                details = (described or {}).get("IdentityProvider", {}).get("ProviderDetails", {})
                encryption = details.get("ActiveEncryptionCertificate")
        except SSOError as exc:
            self.stderr.write(f"Cognito's certificates not read: [{exc.code}] {exc.message}")
            return
        record_sp_certificates(connection, signing_certificate=signing, encryption_certificate=encryption)

    def _print_expiry(self, rows: list[Any]) -> None:
        """Days left of each tenant's certificates and secrets; Cognito's copy of SAML metadata recorded."""
        from django.utils import timezone

        from ...expiry import credentials_of
        from ...models import Connection

        now = timezone.now()
        slugs = [row.org_slug for row in rows]
        connections = Connection.objects.filter(enabled=True, organization__slug__in=slugs).select_related("organization")
        for connection in connections.order_by("organization__slug"):
            self._record_cognito_copy(connection)
            for credential in credentials_of(connection):
                flag = "WARNING " if credential.warned(now) else ""
                self.stdout.write(f"{connection.organization.slug}: {flag}{credential.describe(now)}")

    def _record_cognito_copy(self, connection: Any) -> None:
        """The signing certificates Cognito holds (DescribeIdentityProvider's MetadataFile; with a
        MetadataURL Cognito reads the URL itself, which sso_check_expiry re-reads too)."""
        from ...cognito.identifiers import pool_of_issuer
        from ...models import SAMLUpstream
        from ...saml_store import record_cognito_certificates

        pool = pool_of_issuer(connection.issuer)
        if pool is None or not SAMLUpstream.objects.filter(connection=connection).exists():
            return
        try:
            described = self.provisioner.api.call(
                pool[1], "describe_identity_provider", missing_ok=True,
                UserPoolId=pool[0], ProviderName=connection.identity_provider,
            )
            details = ((described or {}).get("IdentityProvider") or {}).get("ProviderDetails") or {}
            if details.get("MetadataFile"):
                record_cognito_certificates(connection, details["MetadataFile"])
        except SSOError as exc:
            self.stdout.write(f"{connection.organization.slug}: Cognito's certificates not read: [{exc.code}] {exc.message}")


def add_sp_metadata_parser(sub: Any) -> None:
    from ...saml.presets import PRESETS

    sp = sub.add_parser(
        "sp-metadata",
        help="The values the customer's IT admin pastes into their SAML IdP (entity ID, ACS URL...).",
        description="Print the SP entity ID, ACS URL, sign-out URL, attribute statements, Cognito's "
        "certificates (when requests are signed / responses encrypted) and the RelayState for IdP-initiated "
        "sign-in, for the organization's Cognito connection (docs/saml.md).",
    )
    sp.add_argument("--org", required=True, metavar="SLUG", help="Organization slug.")
    sp.add_argument("--preset", choices=sorted(PRESETS), default=None,
                    help="The IdP vendor whose attribute names to show (default: the one onboarded, else generic).")
    sp.add_argument("--user-pool-id", default=None, metavar="POOL_ID_OR_ISSUER",
                    help="Before onboarding (no connection yet): the pool the tenant will be onboarded into; "
                    "gives the entity ID, ACS and sign-out URLs so the customer can create the SAML app first.")
    sp.add_argument("--json", action="store_true", help="Print JSON (key, label, value) instead of text.")


def _cognito_connection(org_slug: str, user_pool_id: str | None) -> Any:
    """The organization's enabled connection; ``None`` before onboarding when a pool is given."""
    from ...models import Connection

    connection = (
        Connection.objects.filter(organization__slug=org_slug, enabled=True).select_related("organization").first()
    )
    if connection is None and not user_pool_id:
        raise CommandError(
            f"[saml_not_onboarded] {org_slug} has no enabled connection: give --user-pool-id (the values the "
            "pool decides), or run sso_cognito onboard first (then the RelayState and certificates too)."
        )
    return connection


def _our_base_url() -> str:
    """Our origin, for the IdP-initiated redirect URI: TENANT_SSO_BASE_URL, else the Cognito callback's."""
    from urllib.parse import urlsplit

    from ...conf import app_settings

    if app_settings.BASE_URL:
        return app_settings.BASE_URL
    parts = urlsplit(app_settings.COGNITO_CALLBACK_URL or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""

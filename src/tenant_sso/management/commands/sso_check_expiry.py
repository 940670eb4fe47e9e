"""``manage.py sso_check_expiry``: the expiry sweep, for hosts without a task scheduler (cron it daily).

Re-reads every SAML metadata URL (a rolled certificate clears its warning), sends the warnings due
at 30, 14 and 7 days and after expiry (once each: the signal and an audit event), and lists every
tracked certificate and secret with its days left. See docs/saml.md, "Expiry tracking".
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...exceptions import SSOError
from ...expiry import WARN_DAYS, all_credentials, sweep
from ...models import SAMLUpstream
from ...saml_store import refresh_metadata
from ...validation import plural


class Command(BaseCommand):
    help = (
        "Re-read SAML metadata URLs, send due expiry warnings, list certificates and secrets with days left."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-refresh", action="store_true", help="Do not re-read the SAML metadata URLs."
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help=f"Exit non-zero when a credential expires within {WARN_DAYS} days or has expired (for monitoring).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if not options["no_refresh"]:
            upstreams = SAMLUpstream.objects.filter(connection__enabled=True).exclude(metadata_url="")
            for upstream in upstreams.select_related("connection__organization"):
                slug = upstream.connection.organization.slug
                try:
                    refresh_metadata(upstream, now=now)
                except SSOError as exc:
                    self.stderr.write(f"{slug}: metadata not re-read: [{exc.code}] {exc.message}")
        for warned in sweep(now=now):
            self.stdout.write(
                f"{warned.credential.org_slug}: warning sent ({warned.event.reason}): {warned.credential.describe(now)}"
            )
        credentials = all_credentials()
        due = [c for c in credentials if c.warned(now)]
        for credential in credentials:
            flag = "WARNING " if credential.warned(now) else ""
            self.stdout.write(f"{credential.org_slug}: {flag}{credential.describe(now)}")
        summary = f"{plural(len(credentials), 'tracked credential')}, {len(due)} within {WARN_DAYS} days or expired."
        if due and options["check"]:
            raise CommandError(f"[credential_expiring] {summary}")
        self.stdout.write(summary)

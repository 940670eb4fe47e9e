"""``manage.py sso_rotate_secrets``: re-encrypt every client secret with the newest key.

Rotation (docs/security.md): put a new Fernet key first in ``TENANT_SSO_ENCRYPTION_KEYS`` and keep
the old ones after it, deploy, run this command, then drop the old keys. ``MultiFernet`` decrypts
with any listed key and encrypts with the first, so logins keep working at every step.

All or nothing: if any secret cannot be decrypted with the configured keys, nothing is changed
and the command names the connections concerned (never the secrets).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ... import crypto
from ...conf import app_settings
from ...exceptions import ConfigurationError
from ...models import Connection


def _under_newest_key(stored: str) -> bool:
    keys = app_settings.ENCRYPTION_KEYS
    if len(keys) < 2:
        return True  # one key (or the SECRET_KEY-derived one): nothing older to move away from
    try:
        Fernet(keys[0].encode()).decrypt(stored[len(crypto.PREFIX) :].encode())
    except (InvalidToken, ValueError):
        return False
    return True


class Command(BaseCommand):
    help = (
        "Re-encrypt every connection's client secret with the newest key of "
        "TENANT_SSO_ENCRYPTION_KEYS (the first one). Changes nothing if any secret is unreadable."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Check that every secret can be decrypted; change nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        try:
            crypto.encrypt("probe")
        except ConfigurationError as exc:
            raise CommandError("TENANT_SSO_ENCRYPTION_KEYS holds a malformed Fernet key.") from exc
        if not app_settings.ENCRYPTION_KEYS:
            self.stderr.write(
                "TENANT_SSO_ENCRYPTION_KEYS is not set: secrets stay under the key derived from "
                "SECRET_KEY (check tenant_sso.W002)."
            )
        connections = list(
            Connection.objects.select_related("organization")
            .exclude(client_secret_encrypted="")
            .order_by("pk")
        )
        empty = Connection.objects.filter(client_secret_encrypted="").count()
        unreadable: list[str] = []
        older = 0
        for connection in connections:
            try:
                crypto.decrypt(connection.client_secret_encrypted)
            except ConfigurationError:
                unreadable.append(f"{connection.pk} ({connection.organization.slug})")
                continue
            older += not _under_newest_key(connection.client_secret_encrypted)
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} client secret(s) cannot be decrypted with the configured keys: "
                f"connection {', '.join(unreadable)}. Nothing was changed. Put the key they were "
                "encrypted with back into TENANT_SSO_ENCRYPTION_KEYS (after the newest) and run "
                "again, or set those secrets anew in the admin or with sso_connection."
            )
        if dry_run:
            self.stdout.write(
                f"{len(connections)} client secret(s) readable, {older} under an older key; "
                f"{empty} connection(s) without a secret. Dry run: nothing changed."
            )
            return
        with transaction.atomic():
            # Rows locked and re-read: a secret replaced in the admin meanwhile is rotated as stored.
            rows = Connection.objects.select_for_update().filter(pk__in=[c.pk for c in connections])
            for pk, stored in rows.values_list("pk", "client_secret_encrypted"):
                if stored:
                    # update(): only the secret column (no updated_at change, no signals).
                    Connection.objects.filter(pk=pk).update(client_secret_encrypted=crypto.rotate(stored))
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {len(connections)} client secret(s) with the newest key "
                f"({older} were under an older key); {empty} connection(s) without a secret."
            )
        )

"""``manage.py sso_prune_events --older-than DAYS``: retention for the login audit log."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...models import LoginEvent


class Command(BaseCommand):
    help = "Delete login events older than a number of days (the admin keeps them read-only)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS",
                            help="Delete events created more than this many days ago.")
        parser.add_argument("--dry-run", action="store_true", help="Count only; delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than"]
        if days < 1:
            raise CommandError("--older-than must be at least 1 day.")
        cutoff = timezone.now() - timedelta(days=days)
        old = LoginEvent.objects.filter(created_at__lt=cutoff)
        if options["dry_run"]:
            self.stdout.write(f"{old.count()} login event(s) older than {days} day(s) would be deleted.")
            return
        deleted, _ = old.delete()
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} login event(s) older than {days} day(s)."))

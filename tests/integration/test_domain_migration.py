"""Migration 0002: stored email domains in mixed spellings become canonical, with Django's own
migration executor on a real database (rolled back to 0001, rows written, migrated forward)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("tenant_sso", "0001_initial")]
AFTER = [("tenant_sso", "0002_normalise_domains")]


@pytest.fixture
def old_schema() -> Iterator[Any]:
    """The app at 0001 (the models of that time), then forward to the newest migration."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    yield old_apps
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate_forward() -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    return executor.loader.project_state(AFTER).apps


def _orgs(apps: Any) -> tuple[Any, Any]:
    return apps.get_model("tenant_sso", "Organization"), apps.get_model("tenant_sso", "OrganizationDomain")


def test_mixed_spellings_become_canonical_and_one_orgs_duplicates_merge(old_schema: Any, capsys: Any) -> None:
    Organization, Domain = _orgs(old_schema)
    acme = Organization.objects.create(name="Acme", slug="acme")
    globex = Organization.objects.create(name="Globex", slug="globex")
    # The old model's save() lower-cased, but bulk writes and older versions did not.
    Domain.objects.bulk_create([
        Domain(organization=acme, domain="Acme.COM."),
        Domain(organization=acme, domain="acme.com"),
        Domain(organization=acme, domain="ACME.com"),
        Domain(organization=globex, domain="Bücher.Example"),
        Domain(organization=globex, domain="GLOBEX.test"),
        Domain(organization=globex, domain="peter@globex.test"),
    ])
    kept_acme = Domain.objects.get(domain="acme.com").pk

    new_apps = migrate_forward()

    _, Domain = _orgs(new_apps)
    rows = {d.domain: d.organization.slug for d in Domain.objects.select_related("organization")}
    assert rows == {
        "acme.com": "acme",
        "xn--bcher-kva.example": "globex",
        "globex.test": "globex",
        "peter@globex.test": "globex",  # not a domain: left for a person to fix, and said so
    }
    assert Domain.objects.get(domain="acme.com").pk == kept_acme  # the row logins already matched
    out = capsys.readouterr().out
    assert "acme.com: merged 3 spellings of organization acme" in out
    assert "'peter@globex.test' of globex is not a domain name" in out


def test_spellings_owned_by_two_organizations_stop_the_migration_unchanged(old_schema: Any) -> None:
    Organization, Domain = _orgs(old_schema)
    acme = Organization.objects.create(name="Acme", slug="acme")
    evil = Organization.objects.create(name="Evil", slug="evil")
    Domain.objects.bulk_create([
        Domain(organization=acme, domain="acme.com"),
        Domain(organization=evil, domain="ACME.com."),
        Domain(organization=evil, domain="Evil.test"),
    ])

    with pytest.raises(RuntimeError) as caught:
        migrate_forward()

    message = str(caught.value)
    assert "acme.com: 'acme.com' of acme" in message and "'ACME.com.' of evil" in message
    assert "Delete the wrong row" in message
    assert sorted(Domain.objects.values_list("domain", flat=True)) == ["ACME.com.", "Evil.test", "acme.com"]
    Domain.objects.filter(domain="ACME.com.").delete()  # what the message says to do
    _, Domain = _orgs(migrate_forward())
    assert sorted(Domain.objects.values_list("domain", flat=True)) == ["acme.com", "evil.test"]


def test_the_models_need_no_migration_beyond_the_ones_shipped() -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "tenant_sso", "--check", "--dry-run", stdout=out)  # SystemExit(1) if not
    assert "No changes detected" in out.getvalue()

"""Many tenants fast, and the query plans of home-realm discovery (PostgreSQL).

Run inside a Django process configured for PostgreSQL (the example project's settings with
``DATABASE_URL``), as ``python -m tests.services.tenants_bulk load 100000 --issuer ... --domain ...``
or ``... explain --email alice@acme.test``; prints JSON. The service tests and the benchmarks both
use it.

``load`` writes organizations, their email domains and their connections with ``COPY`` (100,000
tenants take seconds, where ``bulk_create`` would take a minute on a small machine); the row
values come from real model instances (``get_db_prep_save``), so they match the schema whatever
the migrations say, and ``ANALYZE`` runs afterwards so the planner knows the tables' sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def _copy(model: Any, fields: list[Any], rows: Any) -> None:
    from django.db import connection

    table = model._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return int(model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _reset_sequence(model: Any) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")


def load(count: int, *, issuer: str, domain: str, identity_provider: str = "AcmeOkta",
         client_id: str = "acme-client", client_secret: str = "acme-secret") -> dict[str, Any]:
    """``count`` organizations ``org-<i>`` with domain ``org-<i>.example`` and a Cognito connection."""
    from django.db import connection, transaction
    from django.utils import timezone

    from tenant_sso.models import Connection, Organization, OrganizationDomain

    now = timezone.now()
    template = Connection(
        kind="cognito", issuer=issuer, cognito_domain=domain, identity_provider=identity_provider,
        client_id=client_id, allowed_groups=["engineering", "sso-admins"],
        group_mapping={"engineering": "Engineers", "sso-admins": "Administrators"},
        created_at=now, updated_at=now,
    )
    template.set_client_secret(client_secret)  # one ciphertext for all: the cost is in the rows

    def rows(instance: Any, count: int, **varying: Any) -> tuple[list[Any], Any]:
        """The model's fields, and ``count`` rows of ``instance`` prepared once (not 100,000
        times) where each field in ``varying`` takes ``value(n)`` for row ``n``."""
        fields = list(type(instance)._meta.concrete_fields)
        row = [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields]
        positions = [(i, varying[f.attname]) for i, f in enumerate(fields) if f.attname in varying]

        def generate() -> Any:
            for n in range(count):
                for position, value in positions:
                    row[position] = value(n)
                yield row

        return fields, generate()

    with transaction.atomic():
        org, dom, con = (_next_id(m) for m in (Organization, OrganizationDomain, Connection))
        _copy(Organization, *rows(
            Organization(name="", slug="", created_at=now), count,
            id=lambda n: org + n, name=lambda n: f"Org {n}", slug=lambda n: f"org-{n}",
        ))
        _copy(OrganizationDomain, *rows(
            OrganizationDomain(organization_id=0, domain=""), count,
            id=lambda n: dom + n, organization_id=lambda n: org + n, domain=lambda n: f"org-{n}.example",
        ))
        _copy(Connection, *rows(template, count, id=lambda n: con + n, organization_id=lambda n: org + n))
        for model in (Organization, OrganizationDomain, Connection):
            _reset_sequence(model)
    with connection.cursor() as cursor:
        for model in (Organization, OrganizationDomain, Connection):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return {"organizations": Organization.objects.count()}


def explain(**lookup: str) -> list[dict[str, Any]]:
    """The queries ``flows.find_connection(**lookup)`` runs, each with its PostgreSQL plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenant_sso import flows

    with CaptureQueriesContext(connection) as captured:
        flows.find_connection(**lookup)
    results = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {query['sql']}")
            results.append({"sql": query["sql"], "plan": cursor.fetchone()[0][0]["Plan"]})
    return results


def scans(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (node type, relation) of a plan that reads a table."""
    found = [(plan["Node Type"], plan["Relation Name"])] if "Relation Name" in plan else []
    for child in plan.get("Plans", []):
        found += scans(child)
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    loader = sub.add_parser("load")
    loader.add_argument("count", type=int)
    loader.add_argument("--issuer", required=True)
    loader.add_argument("--domain", required=True)
    explainer = sub.add_parser("explain")
    explainer.add_argument("--email")
    explainer.add_argument("--org")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    import django

    django.setup()
    if args.command == "load":
        result: Any = load(args.count, issuer=args.issuer, domain=args.domain)
    else:
        result = explain(**{k: v for k, v in (("email", args.email), ("org", args.org)) if v})
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

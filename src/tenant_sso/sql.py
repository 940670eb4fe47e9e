"""The identity lock of a login, written as SQL: the one statement whose ORM form costs more to
build than to run (docs/performance.md, "The identity lock as SQL").

Django built and compiled the lock query (``select_for_update().select_related("user")`` with an
``Exists`` and two ``Subquery`` counts) in about 3.5 ms of Python per login: a sixth of a
worker's CPU per login, while PostgreSQL answers it in a fraction of a millisecond. The statement
here is the same query, its text made once per shape and database (an LRU of 64), the table and
column names from the models' ``_meta`` and quoted by the database's own ``quote_name``, values
always bound as parameters. The rows are turned into model instances the way the ORM does it:
each column through the converters of its field and of the database backend, then
``Model.from_db``, so custom user models and custom fields read back as they would through a
queryset.

Portable SQL only: a ``CASE WHEN EXISTS`` and scalar ``COUNT`` subqueries, no ``LIMIT`` (the
lookup is the unique (connection, issuer, subject)), and ``FOR UPDATE`` where the database has
it (``features.has_select_for_update``; SQLite serializes writers instead), locking the identity
and its user as ``select_for_update()`` over the join did.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connections
from django.db.models import Model

from .models import FederatedIdentity, OrganizationDomain


@dataclass(frozen=True)
class LockedIdentity:
    identity: FederatedIdentity
    domain_known: bool  # the email's domain is the organization's (a verified one if required)
    managed_count: int  # how many of the mapping's Django groups the user is in
    target_count: int  # how many of this login's mapped groups the user is in


def _converters(db: Any, model: type[Model]) -> list[tuple[str, list[Any], Any]]:
    """(attname, converters, column expression) per concrete field, in ``_meta`` order."""
    found = []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        found.append((field.attname, db.ops.get_db_converters(column) + field.get_db_converters(db), column))
    return found


@lru_cache(maxsize=64)
def _statement(alias: str, user_model: type[Model], domain: bool, verified_only: bool, managed: int,
               target: int) -> tuple[str, list[tuple[str, list[Any], Any]], list[tuple[str, list[Any], Any]]]:
    """The lock's SQL for one shape, and the converters of the identity's and the user's columns.

    ``managed`` / ``target``: how many group names each count takes (-1: no counts)."""
    db = connections[alias]
    q = db.ops.quote_name

    def c(meta: Any, name: str) -> str:
        return str(q(meta.get_field(name).column))

    identities, users = FederatedIdentity._meta, user_model._meta
    fi, u = q(identities.db_table), q(users.db_table)
    user_fk = c(identities, "user")
    columns = [f"{fi}.{q(str(f.column))}" for f in identities.concrete_fields]
    columns += [f"{u}.{q(str(f.column))}" for f in users.concrete_fields]
    if domain:
        domains = OrganizationDomain._meta
        known = (
            f"SELECT 1 FROM {q(domains.db_table)} d WHERE d.{c(domains, 'organization')} = %s"
            f" AND d.{c(domains, 'domain')} = %s"
        )
        if verified_only:
            known += f" AND d.{c(domains, 'verified_at')} IS NOT NULL"
        columns.append(f"CASE WHEN EXISTS ({known}) THEN 1 ELSE 0 END")
    if managed >= 0:
        field: Any = users.get_field("groups")
        through, group = field.remote_field.through._meta, field.related_model._meta
        for count in (managed, target):
            if count == 0:
                columns.append("0")
                continue
            columns.append(
                f"(SELECT COUNT(*) FROM {q(through.db_table)} m"
                f" INNER JOIN {q(group.db_table)} g ON m.{q(field.m2m_reverse_name())} = g.{q(str(group.pk.column))}"
                f" WHERE m.{q(field.m2m_column_name())} = {fi}.{user_fk}"
                f" AND g.{c(group, 'name')} IN ({', '.join(['%s'] * count)}))"
            )
    sql = (
        f"SELECT {', '.join(columns)} FROM {fi} INNER JOIN {u} ON {fi}.{user_fk} = {u}.{q(str(users.pk.column))}"
        f" WHERE {fi}.{c(identities, 'connection')} = %s"
        f" AND {fi}.{c(identities, 'issuer')} = %s"
        f" AND {fi}.{c(identities, 'subject')} = %s"
    )
    if db.features.has_select_for_update:
        sql += " " + db.ops.for_update_sql()
    return sql, _converters(db, FederatedIdentity), _converters(db, user_model)


def _instance(db: Any, model: type[Model], converters: list[tuple[str, list[Any], Any]], row: Any) -> Any:
    values = []
    for value, (_, functions, column) in zip(row, converters, strict=False):
        for convert in functions:
            value = convert(value, column, db)
        values.append(value)
    return model.from_db(db.alias, [name for name, _, _ in converters], values)


def lock_identity(
    alias: str,
    user_model: type[Model],
    *,
    connection_id: Any,
    issuer: str,
    subject: str,
    organization_id: Any,
    domain: str | None,
    verified_only: bool,
    managed: set[str] | None,
    target: set[str],
) -> LockedIdentity | None:
    """``SELECT ... FOR UPDATE`` of the identity (connection, issuer, subject) and its user, with
    the trusted-email and group-sync answers; None when there is no such identity.

    ``managed``: the mapping's Django groups (None: the user model has no groups to count)."""
    managed_names = sorted(managed) if managed else []
    target_names = sorted(target) if managed else []
    sql, identity_columns, user_columns = _statement(
        alias, user_model, domain is not None, verified_only,
        len(managed_names) if managed else -1, len(target_names),
    )
    params: list[Any] = []
    if domain is not None:
        params += [organization_id, domain]
    params += managed_names + target_names + [connection_id, issuer, subject]
    db = connections[alias]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(identity_columns)
    identity = _instance(db, FederatedIdentity, identity_columns, row[:split])
    user = _instance(db, user_model, user_columns, row[split:split + len(user_columns)])
    identity.user = user
    extra = list(row[split + len(user_columns):])
    known = bool(extra.pop(0)) if domain is not None else False
    counts = (int(extra[0]), int(extra[1])) if managed else (0, 0)
    return LockedIdentity(identity, known, *counts)

"""The login path's statements whose ORM form costs more to build than to run, written as SQL
(docs/performance.md, "Statements written as SQL").

Django built and compiled the identity lock (``select_for_update()`` over the join with the
user, an ``Exists`` and two ``Subquery`` counts) in about 3.5 ms of Python per login and the
callback's connection read (``select_related("organization")`` and ``.first()``) in about
1.3 ms, while PostgreSQL answers each in a fraction of a millisecond; the per-login INSERTs and
UPDATEs (audit row, session index row, the identity, ``tenant_sso.dbsession``'s session row)
cost a few hundred microseconds each the same way. One mechanism serves them all: the
statement's text is made once per shape and database (an LRU), table and column names come from
the models' ``_meta`` and are quoted by the database's own ``quote_name``, and every value is a
bound parameter, prepared by its field as the ORM prepares it (``get_db_prep_value`` /
``get_db_prep_save``, ``pre_save`` for an insert). Rows become model instances the way the ORM
makes them: each column through the converters of its field and of the database backend, then
``Model.from_db``, the related rows attached as ``select_related`` does, so custom user models
and custom fields read back as they would through a queryset.

Portable SQL only: inner joins on non-null foreign keys, ``CASE WHEN EXISTS`` and scalar
``COUNT`` subqueries, no ``LIMIT`` (every read is by a unique key), and ``FOR UPDATE`` where the
database has it (``features.has_select_for_update``; SQLite serializes writers instead), which
locks the rows of every joined table as ``select_for_update()`` over a join does. The writes send
no model signals and read nothing back (an inserted row's automatic key stays None).

This module executes; it decides nothing. ``provisioning.py`` is still the only module that
decides what a user, an identity or a group membership becomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connections
from django.db.models import Model

from .models import Connection, FederatedIdentity, OrganizationDomain

Converters = list[tuple[str, list[Any], Any]]  # (attname, converters, column) per concrete field


def _converters(db: Any, model: type[Model]) -> Converters:
    found = []
    for field in model._meta.concrete_fields:
        column = field.get_col(model._meta.db_table)
        found.append((field.attname, db.ops.get_db_converters(column) + field.get_db_converters(db), column))
    return found


def _name(db: Any, model: type[Model], name: str) -> str:
    field: Any = model._meta.get_field(name)
    return str(db.ops.quote_name(field.column))


@lru_cache(maxsize=64)
def _statement(alias: str, model: type[Model], related: tuple[str, ...], where: tuple[str, ...],
               extras: tuple[str, ...], lock: bool) -> tuple[str, list[tuple[str | None, type[Model], Converters]]]:
    """The SELECT of ``model`` (alias ``t0``) joined to its foreign keys ``related`` (``t1``...),
    ``where`` fields equal to parameters, then ``extras`` (SQL expressions over ``t0``); and how
    to read each model's columns of the row."""
    db = connections[alias]
    q = db.ops.quote_name
    parts: list[tuple[str | None, type[Model], Converters]] = [(None, model, _converters(db, model))]
    columns = [f"t0.{q(str(f.column))}" for f in model._meta.concrete_fields]
    joins = [f"{q(model._meta.db_table)} t0"]
    for index, name in enumerate(related, 1):
        field: Any = model._meta.get_field(name)
        target = field.related_model
        assert not field.null, "inner joins only: a nullable foreign key would drop rows"
        joins.append(f"INNER JOIN {q(target._meta.db_table)} t{index}"
                     f" ON t0.{q(field.column)} = t{index}.{q(str(field.target_field.column))}")
        columns += [f"t{index}.{q(str(f.column))}" for f in target._meta.concrete_fields]
        parts.append((name, target, _converters(db, target)))
    sql = (f"SELECT {', '.join([*columns, *extras])} FROM {' '.join(joins)} WHERE "
           + " AND ".join(f"t0.{_name(db, model, name)} = %s" for name in where))
    if lock and db.features.has_select_for_update:
        sql += " " + db.ops.for_update_sql()
    return sql, parts


def _instance(db: Any, model: type[Model], converters: Converters, row: Any) -> Any:
    values = []
    for value, (_, functions, column) in zip(row, converters, strict=True):
        for convert in functions:
            value = convert(value, column, db)
        values.append(value)
    return model.from_db(db.alias, [name for name, _, _ in converters], values)


def select(alias: str, model: type[Model], *, where: dict[str, Any], related: tuple[str, ...] = (),
           extras: tuple[str, ...] = (), extra_params: list[Any] | None = None,
           lock: bool = False) -> tuple[Any, list[Any]] | None:
    """The one row of ``model`` whose ``where`` fields equal the values given (a unique key), with
    its ``related`` foreign keys loaded, and the values of ``extras``; None when there is none.

    ``extras``: SQL expressions over the row (``t0``), their parameters in ``extra_params``.
    ``lock``: ``FOR UPDATE`` of the row and its related rows (inside a transaction)."""
    sql, parts = _statement(alias, model, related, tuple(where), extras, lock)
    db = connections[alias]
    with db.cursor() as cursor:
        cursor.execute(sql, [*(extra_params or []), *_keys(db, model, where)])
        row = cursor.fetchone()
    if row is None:
        return None
    start, instances = 0, []
    for _, part_model, converters in parts:
        instances.append(_instance(db, part_model, converters, row[start:start + len(converters)]))
        start += len(converters)
    for (name, _, _), instance in zip(parts[1:], instances[1:], strict=True):
        setattr(instances[0], str(name), instance)
    return instances[0], list(row[start:])


@lru_cache(maxsize=64)
def _write(alias: str, model: type[Model], kind: str, names: tuple[str, ...], where: tuple[str, ...]) -> str:
    db = connections[alias]
    table = db.ops.quote_name(model._meta.db_table)
    columns = [_name(db, model, name) for name in names]
    if kind == "insert":
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    return (f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE "
            + " AND ".join(f"{_name(db, model, name)} = %s" for name in where))


def _keys(db: Any, model: type[Model], where: dict[str, Any]) -> list[Any]:
    """``where``'s values as the ORM's filter would send them (an integer key given as text, say)."""
    fields: list[Any] = [model._meta.get_field(name) for name in where]
    return [field.get_db_prep_value(value, db) for field, value in zip(fields, where.values(), strict=True)]


def _saved(db: Any, model: type[Model], values: dict[str, Any]) -> list[Any]:
    fields: list[Any] = [model._meta.get_field(name) for name in values]
    return [field.get_db_prep_save(value, db) for field, value in zip(fields, values.values(), strict=True)]


def insert(alias: str, obj: Model) -> None:
    """``INSERT`` of the unsaved instance ``obj``: every concrete field as ``save()`` would write
    it (``auto_now_add`` and the like through ``pre_save``), except an automatic key, which is not
    read back (``obj.pk`` stays None). Like every write here, it sends no model signals."""
    model = type(obj)
    values = {
        field.name: field.pre_save(obj, True)
        for field in model._meta.concrete_fields
        if not (field.primary_key and getattr(obj, field.attname) is None)
    }
    db = connections[alias]
    with db.cursor() as cursor:
        cursor.execute(_write(alias, model, "insert", tuple(values), ()), _saved(db, model, values))


def update(alias: str, model: type[Model], where: dict[str, Any], values: dict[str, Any]) -> int:
    """``UPDATE`` of ``model``'s rows whose ``where`` fields equal the values given; the count."""
    db = connections[alias]
    params = _saved(db, model, values) + _keys(db, model, where)
    with db.cursor() as cursor:
        cursor.execute(_write(alias, model, "update", tuple(values), tuple(where)), params)
        return int(cursor.rowcount)


def connection(alias: str, pk: Any) -> Connection | None:
    """The connection ``pk`` with its organization (the callback's read)."""
    found = select(alias, Connection, where={"id": pk}, related=("organization",))
    return found[0] if found else None


@dataclass(frozen=True)
class LockedIdentity:
    identity: FederatedIdentity  # its user loaded
    domain_known: bool  # the email's domain is the organization's (a verified one if required)
    managed_count: int  # how many of the mapping's Django groups the user is in
    target_count: int  # how many of this login's mapped groups the user is in


@lru_cache(maxsize=64)
def _lock_extras(alias: str, user_model: type[Model], domain: bool, verified_only: bool, managed: int,
                 target: int) -> tuple[str, ...]:
    """The identity lock's extra columns: whether the domain is the organization's (when
    ``domain``), and how many of ``managed`` and ``target`` group names the user has (when
    ``managed`` >= 0)."""
    db = connections[alias]
    q = db.ops.quote_name
    extras = []
    if domain:
        known = (f"SELECT 1 FROM {q(OrganizationDomain._meta.db_table)} d"
                 f" WHERE d.{_name(db, OrganizationDomain, 'organization')} = %s"
                 f" AND d.{_name(db, OrganizationDomain, 'domain')} = %s")
        if verified_only:
            known += f" AND d.{_name(db, OrganizationDomain, 'verified_at')} IS NOT NULL"
        extras.append(f"CASE WHEN EXISTS ({known}) THEN 1 ELSE 0 END")
    if managed >= 0:
        field: Any = user_model._meta.get_field("groups")
        through, group = field.remote_field.through, field.related_model
        user_fk = _name(db, FederatedIdentity, "user")
        for count in (managed, target):
            extras.append("0" if count == 0 else (
                f"(SELECT COUNT(*) FROM {q(through._meta.db_table)} m"
                f" INNER JOIN {q(group._meta.db_table)} g"
                f" ON m.{q(field.m2m_reverse_name())} = g.{q(str(group._meta.pk.column))}"
                f" WHERE m.{q(field.m2m_column_name())} = t0.{user_fk}"
                f" AND g.{_name(db, group, 'name')} IN ({', '.join(['%s'] * count)}))"))
    return tuple(extras)


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

    ``managed``: the mapping's Django groups (None or empty: no groups to count)."""
    managed_names = sorted(managed) if managed else []
    target_names = sorted(target) if managed else []
    extras = _lock_extras(alias, user_model, domain is not None, verified_only,
                          len(managed_names) if managed else -1, len(target_names))
    params: list[Any] = [organization_id, domain] if domain is not None else []
    found = select(alias, FederatedIdentity, related=("user",), lock=True, extras=extras,
                   extra_params=params + managed_names + target_names,
                   where={"connection": connection_id, "issuer": issuer, "subject": subject})
    if found is None:
        return None
    identity, values = found
    known = bool(values.pop(0)) if domain is not None else False
    counts = (int(values[0]), int(values[1])) if managed else (0, 0)
    return LockedIdentity(identity, known, *counts)

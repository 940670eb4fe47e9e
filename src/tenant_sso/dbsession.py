"""A database session engine that writes a session in one round trip: ``SESSION_ENGINE =
"tenant_sso.dbsession"``.

The same table, the same rows and the same encoding as ``django.contrib.sessions.backends.db``
(switching either way keeps every session), with fewer statements per write. Django's engine
spends four round trips on a new session (an ``EXISTS`` query for the random key, then
``BEGIN``, ``INSERT``, ``COMMIT``), three on an update (``BEGIN``, ``UPDATE``, ``COMMIT``) and two
on a delete (``SELECT``, ``DELETE``); ``login()`` cycles the key, which costs a new session and
a delete, and the response then saves the logged-in session once more. Here:

- a new key is not checked with a query first: 32 characters of ``[a-z0-9]`` are 165 random
  bits, and the primary key still refuses a duplicate (``CreateError``, a new key is drawn);
- a single ``INSERT``, ``UPDATE`` or ``DELETE`` needs no transaction of its own outside one
  (one statement is atomic); inside a transaction (``ATOMIC_REQUESTS``) the ``INSERT`` keeps
  Django's savepoint, so a key collision cannot spoil the caller's transaction;
- :meth:`SessionStore.cycle_key` (what ``login()`` calls) draws the new key and writes nothing:
  the save at the end of the request moves the row to the new key with one
  ``UPDATE ... SET session_key = <new>`` (the old key stops working in the same statement), or
  inserts it when the old row is gone.

A login through tenant_sso therefore makes one session write at the login start and one at the
callback (docs/performance.md, "Database round trips").
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import IntegrityError, connections, router
from django.utils import timezone
from django.utils.crypto import get_random_string

from . import sql


class SessionStore(DBStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        #: The key ``cycle_key`` replaced and whose row the next save moves to the new key.
        self._replaces: str | None = None
        #: ``cycle_key`` drew a key for a session that had no row yet: the next save inserts it.
        self._unsaved_key = False

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    def cycle_key(self) -> None:
        data = self._get_session()  # type: ignore[attr-defined]  # loads the current key's row, if any
        old = self.session_key
        self._session_key = self._get_new_session_key()
        self._session_cache = data
        if old and self._replaces is None and not self._unsaved_key:
            self._replaces = old
        elif not old:
            self._unsaved_key = True
        self.modified = True

    def _get_session_from_db(self) -> Any:
        # One read of the row by its key, written as SQL (tenant_sso.sql; the ORM's get() cost
        # more to build than to run); an expired row is no session, as in Django's engine.
        using = router.db_for_read(self.model)
        found = sql.select(using, self.model, where={"session_key": self.session_key})
        if found is None or found[0].expire_date <= timezone.now():
            self._session_key = None
            return None
        return found[0]

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)  # type: ignore[attr-defined]
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        model: Any = self.model
        # Every column of the row (a custom session model's too), as Django's engine saves them.
        values = {f.name: getattr(obj, f.attname) for f in model._meta.concrete_fields}
        replaces, self._replaces = self._replaces, None
        if self._unsaved_key:
            self._unsaved_key, must_create = False, True
        if replaces and not must_create:
            if sql.update(using, model, {"session_key": replaces}, values):
                return
            must_create = True  # the old row expired or was deleted meanwhile: a new row
        if must_create:
            if connections[using].in_atomic_block:
                return super().save(must_create=True)  # a savepoint keeps the caller's transaction
            try:
                sql.insert(using, obj)
            except IntegrityError as error:
                raise CreateError from error
            return
        key = values.pop("session_key")
        if not sql.update(using, model, {"session_key": key}, values):
            raise UpdateError  # the session was deleted meanwhile (Django's engine does the same)

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            # This session: its current key and, after cycle_key, the row not yet moved to it.
            keys = [key for key in (self.session_key, self._replaces) if key]
            self._replaces, self._unsaved_key = None, False
        else:
            keys = [session_key]
            if session_key == self._replaces:
                self._replaces = None
        if keys:
            # One DELETE (Django's engine reads the row first); sessions have no relations.
            self.model.objects.filter(session_key__in=keys)._raw_delete(
                router.db_for_write(self.model)
            )

"""Routes every query to the database a benchmark round selected (``ACTIVE``), else ``default``."""

from __future__ import annotations

from typing import Any

ACTIVE: str | None = None


class ActiveDatabase:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return ACTIVE

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return ACTIVE

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

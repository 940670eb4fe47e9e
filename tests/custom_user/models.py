"""Custom user models for the identity lock's SQL (``tenant_sso.sql``), each the project's
``AUTH_USER_MODEL`` in a run of its own (``test_custom_user_models.py``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AbstractUser, BaseUserManager
from django.db import models


class Badge(str):
    """What ``BadgeField`` reads back: proves the field's own converter ran."""


class BadgeField(models.CharField):  # type: ignore[type-arg]
    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else Badge(value)


class MemberManager(BaseUserManager["Member"]):
    pass


class Member(AbstractBaseUser):
    """No groups, a UUID primary key, the email as the username, a field with a converter."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    email = models.EmailField(unique=True)
    badge = BadgeField(max_length=20, default="plain")
    is_active = models.BooleanField(default=True)
    joined = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "email"
    objects = MemberManager()


class Person(AbstractUser):
    """Django's groups, in tables and columns that are not Django's default names."""

    person_no = models.BigAutoField(primary_key=True, db_column="person_number")
    badge = BadgeField(max_length=20, default="plain")

    class Meta:
        db_table = "people_of_the_app"

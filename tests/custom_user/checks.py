"""Run by ``test_custom_user_models.py`` under ``settings_member`` or ``settings_person``: a
returning login's identity lock (``tenant_sso.sql``) reads a custom user model as the ORM would."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from tenant_sso.adapter import SSOAdapter
from tenant_sso.provisioning import provision
from tests.custom_user.models import Badge

CLAIMS = {"iss": "https://acme.idp.example", "sub": "00u-ann", "email": "ann@acme.test", "email_verified": True}


def test_a_returning_login_reads_the_custom_user(make_connection: Any) -> None:
    connection = make_connection("acme", kind="oidc", group_mapping={"engineering": "Engineers"})
    first = provision(SSOAdapter(), connection, CLAIMS, ["engineering"])
    assert first.created
    user_model = get_user_model()
    user_model.objects.filter(pk=first.user.pk).update(badge="gold")

    again = provision(SSOAdapter(), connection, CLAIMS, ["engineering"])

    assert not again.created and again.user.pk == first.user.pk
    assert type(again.user.pk) is type(first.user.pk)  # a UUID stays a UUID, an integer an integer
    assert isinstance(again.user.badge, Badge) and again.user.badge == "gold"  # the field's converter
    assert again.user.email == "ann@acme.test"  # the trusted-email check answered in the lock
    assert again.identity.user is again.user and again.identity.idp_groups == ["engineering"]
    assert again.user.is_active is True  # a boolean, on SQLite too


def test_groups_in_their_own_tables_are_counted_and_synced(make_connection: Any) -> None:
    if not hasattr(get_user_model(), "groups"):
        return  # settings_member: no groups to sync
    connection = make_connection("acme", kind="oidc",
                                 group_mapping={"engineering": "Engineers", "admins": "Administrators"})
    first = provision(SSOAdapter(), connection, CLAIMS, ["engineering"])
    assert [g.name for g in first.user.groups.all()] == ["Engineers"]
    with CaptureQueriesContext(db) as in_sync:
        provision(SSOAdapter(), connection, CLAIMS, ["engineering"])
    assert not any("auth_group" in q["sql"] and "COUNT" not in q["sql"] for q in in_sync.captured_queries)
    changed = provision(SSOAdapter(), connection, CLAIMS, ["admins"])
    assert sorted(changed.user.groups.values_list("name", flat=True)) == ["Administrators"]
    assert Group.objects.filter(name="Engineers").exists()  # the group stays; the user left it

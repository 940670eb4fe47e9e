"""``tenant_sso.sql``: the login path's statements written as SQL read and write what the ORM would."""

from __future__ import annotations

from typing import Any

from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from tenant_sso import sql
from tenant_sso.models import Connection, FederatedIdentity, LoginEvent


def test_the_callbacks_connection_read_is_one_query_with_its_organization(make_connection: Any) -> None:
    made = make_connection("acme", kind="oidc", group_mapping={"engineering": "Engineers"})
    with CaptureQueriesContext(db) as queries:
        found = sql.connection("default", made.pk)
        assert found is not None
        assert found.organization.slug == "acme"  # joined: no second query
        assert found.get_client_secret() == "acme-secret"  # the encrypted field reads back
        assert found.group_mapping == {"engineering": "Engineers"}  # JSON decoded
    assert len(queries) == 1
    assert sql.connection("default", str(made.pk)).pk == made.pk  # a key given as text, as filter() takes it
    assert sql.connection("default", made.pk + 1000) is None


def test_update_and_insert_write_what_save_would(make_connection: Any, make_identity: Any) -> None:
    connection = make_connection("acme", kind="oidc")
    identity = make_identity(connection, email="old@acme.test", idp_groups=["a"])
    assert sql.update("default", FederatedIdentity, {"id": identity.pk},
                      {"email": "new@acme.test", "idp_groups": ["b", "c"]}) == 1
    identity.refresh_from_db()
    assert (identity.email, identity.idp_groups) == ("new@acme.test", ["b", "c"])
    assert sql.update("default", FederatedIdentity, {"id": identity.pk + 1000}, {"email": "x@y.z"}) == 0

    sql.insert("default", LoginEvent(outcome="success", connection=connection, user=identity.user,
                                     organization_id=connection.organization_id, ip_address="2001:db8::1",
                                     detail={"groups": ["b"]}))
    event = LoginEvent.objects.get()
    assert event.created_at is not None  # auto_now_add, through pre_save
    assert (event.user, event.ip_address, event.detail) == (identity.user, "2001:db8::1", {"groups": ["b"]})


def test_the_kill_switch_is_read_from_the_row(make_connection: Any) -> None:
    # The callback reads the connection from the database, so a disabled one admits nobody.
    made = make_connection("acme", kind="oidc")
    Connection.objects.filter(pk=made.pk).update(enabled=False)
    assert sql.connection("default", made.pk).enabled is False

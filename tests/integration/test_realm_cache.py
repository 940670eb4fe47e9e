"""Home-realm discovery's cache (issue 17, login start): a known domain or slug costs no query,
and every change an admin or the kill switch makes is seen by the next login start."""

from __future__ import annotations

import pickle
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection as db
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from tenant_sso import realm_cache, session_index
from tenant_sso.models import Connection, Organization, OrganizationDomain
from tests.support import urls

pytestmark = pytest.mark.django_db(transaction=True)

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate"}


def start(client: Any, **params: str) -> Any:
    client.cookies.clear()
    return client.get(urls.login(), params, headers=SAME_ORIGIN)


def client_id_of(response: Any) -> str:
    assert response.status_code == 302, response.content[:300]
    return parse_qs(urlsplit(response["Location"]).query)["client_id"][0]


def discovery_queries(client: Any, **params: str) -> list[str]:
    with CaptureQueriesContext(db) as queries:
        response = start(client, **params)
    assert response.status_code == 302, response.content[:300]
    return [q["sql"] for q in queries.captured_queries if "tenant_sso_connection" in q["sql"]]


def test_a_known_domain_or_slug_is_found_without_a_query(client: Any, make_connection: Any) -> None:
    make_connection("acme")
    assert discovery_queries(client, email="alice@acme.test")  # the first one asks the database
    assert discovery_queries(client, email="bob@ACME.test") == []  # the same domain: the cache
    assert discovery_queries(client, org="acme")
    assert discovery_queries(client, org="acme") == []


def test_a_per_process_cache_is_not_used_by_default(client: Any, make_connection: Any, settings: Any) -> None:
    """With LocMemCache (Django's default), a save in another process (the admin, a command)
    could not forget this process's copy: every login start asks the database."""
    settings.TENANT_SSO_REALM_CACHE = None  # the default: decide by the cache backend
    make_connection("acme")
    assert discovery_queries(client, email="alice@acme.test")
    assert discovery_queries(client, email="alice@acme.test")  # asked again: nothing kept
    assert cache.get(realm_cache._key("domain", "acme.test")) is None


def test_the_cached_copy_holds_no_client_secret(client: Any, make_connection: Any) -> None:
    connection = make_connection("acme", client_secret="a-very-secret-value")
    start(client, email="alice@acme.test")
    cached = cache.get(realm_cache._key("domain", "acme.test"))
    assert isinstance(cached, Connection) and cached.pk == connection.pk
    assert "client_secret_encrypted" not in cached.__dict__
    stored = Connection.objects.get(pk=connection.pk).client_secret_encrypted
    assert stored and stored.encode() not in pickle.dumps(cached)


def test_a_disabled_connection_is_no_longer_found(client: Any, make_connection: Any) -> None:
    connection = make_connection("acme")
    assert start(client, email="alice@acme.test").status_code == 302
    connection.enabled = False
    connection.save()
    assert start(client, email="alice@acme.test").status_code == 404
    assert start(client, org="acme").status_code == 404


def test_the_kill_switch_disabling_by_update_is_seen(client: Any, make_connection: Any) -> None:
    make_connection("acme")
    assert start(client, email="alice@acme.test").status_code == 302
    assert start(client, org="acme").status_code == 302
    assert session_index.disable_connections(Connection.objects.filter(organization__slug="acme")) == 1
    assert start(client, email="alice@acme.test").status_code == 404
    assert start(client, org="acme").status_code == 404


def test_changed_settings_removed_and_moved_domains_and_renamed_slugs(client: Any, make_connection: Any) -> None:
    acme = make_connection("acme")
    make_connection("globex")
    assert client_id_of(start(client, email="alice@acme.test")) == "acme-client"
    acme.client_id = "acme-client-2"
    acme.save()
    assert client_id_of(start(client, email="alice@acme.test")) == "acme-client-2"

    # The domain moves to globex: its users now go to globex's connection.
    domain = OrganizationDomain.objects.get(domain="acme.test")
    domain.organization = Organization.objects.get(slug="globex")
    domain.save()
    assert client_id_of(start(client, email="alice@acme.test")) == "globex-client"

    # Renamed: the domain's new spelling is found, the old one no longer.
    domain.domain = "acme-corp.test"
    domain.save()
    assert start(client, email="alice@acme.test").status_code == 404
    assert client_id_of(start(client, email="alice@acme-corp.test")) == "globex-client"
    domain.delete()
    assert start(client, email="alice@acme-corp.test").status_code == 404

    assert client_id_of(start(client, org="acme")) == "acme-client-2"
    organization = Organization.objects.get(slug="acme")
    organization.slug = "acme-inc"
    organization.save()
    assert start(client, org="acme").status_code == 404
    assert client_id_of(start(client, org="acme-inc")) == "acme-client-2"
    organization.delete()
    assert start(client, org="acme-inc").status_code == 404


def test_a_lookup_racing_a_transaction_is_forgotten_at_commit(client: Any, make_connection: Any) -> None:
    """A login start that read the old row while an admin's transaction was open cannot leave it
    cached after the commit (the keys are forgotten again on commit)."""
    connection = make_connection("acme")
    assert start(client, email="alice@acme.test").status_code == 302
    stale = cache.get(realm_cache._key("domain", "acme.test"))
    with transaction.atomic():
        connection.enabled = False
        connection.save()
        cache.set(realm_cache._key("domain", "acme.test"), stale)  # what the racing reader stored
    assert start(client, email="alice@acme.test").status_code == 404

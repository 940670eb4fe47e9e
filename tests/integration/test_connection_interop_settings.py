"""Per-connection settings for the OpenID Providers customers run (issue 18): issuers kept exactly as
configured (and stripped ones corrected by discovery), extra scopes, signing algorithms, literal
OIDC groups; through ``upsert_connection``, ``manage.py sso_connection`` and the admin form."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from tenant_sso import wiring
from tenant_sso.adapter import SSOAdapter
from tenant_sso.connections import ConnectionSpec, upsert_connection
from tenant_sso.exceptions import ProviderError
from tenant_sso.models import Connection
from tenant_sso.oidc.http import ProviderHTTP, make_client

pytestmark = pytest.mark.django_db

AUTH0 = "https://initech.eu.auth0.example/"
POOL_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf"


def spec(**overrides: Any) -> ConnectionSpec:
    values: dict[str, Any] = {
        "org_slug": "initech", "kind": "oidc", "issuer": AUTH0, "client_id": "c1", "client_secret": "s",
        "allowed_groups": ["R+D"],
    }
    values.update(overrides)
    return ConnectionSpec(**values)


def test_an_oidc_issuer_keeps_its_trailing_slash_and_a_cognito_pool_issuer_loses_it() -> None:
    connection, _ = upsert_connection(spec())
    assert connection.issuer == AUTH0
    other, _ = upsert_connection(spec(org_slug="umbrella", kind="cognito", issuer=POOL_ISSUER + "/",
                                      cognito_domain="auth.umbrella.example"))
    assert other.issuer == POOL_ISSUER


def test_extra_scopes_and_algorithms_are_validated_and_kept_when_not_given() -> None:
    connection, _ = upsert_connection(spec(extra_scopes=["groups", "groups", "api://x/read"],
                                           signing_algorithms=["ES256"]))
    assert connection.extra_scopes == ["groups", "api://x/read"]
    assert connection.effective_algorithms == ["ES256"]
    again, _ = upsert_connection(spec())  # e.g. onboarding, which does not manage them
    assert again.extra_scopes == ["groups", "api://x/read"] and again.signing_algorithms == ["ES256"]
    with pytest.raises(ValidationError) as info:
        upsert_connection(spec(extra_scopes=["two words"]))
    assert "RFC 6749 3.3" in str(info.value)
    with pytest.raises(ValidationError) as info:
        upsert_connection(spec(signing_algorithms=["HS256"]))
    assert "never accepted" in str(info.value)
    assert Connection.objects.get().extra_scopes == ["groups", "api://x/read"]  # nothing saved


def test_the_default_algorithms_come_from_the_setting(settings: Any) -> None:
    settings.TENANT_SSO_ALLOWED_ALGORITHMS = ["RS256", "PS256"]
    connection, _ = upsert_connection(spec())
    assert connection.effective_algorithms == ["RS256", "PS256"]


def test_the_command_sets_scopes_and_algorithms(monkeypatch: Any) -> None:
    monkeypatch.setenv("INITECH_SECRET", "s3cret+/=:")
    out = StringIO()
    call_command(
        "sso_connection", "create", "--org", "initech", "--kind", "oidc", "--issuer", AUTH0, "--client-id", "c1",
        "--client-secret-env", "INITECH_SECRET", "--allowed-group", "R+D", "--scope", "groups",
        "--scope", "offline_access okta.groups", "--signing-alg", "ES256", "--signing-alg", "RS256", stdout=out,
    )
    connection = Connection.objects.get()
    assert connection.issuer == AUTH0
    assert connection.extra_scopes == ["groups", "offline_access", "okta.groups"]
    assert connection.signing_algorithms == ["ES256", "RS256"]
    with pytest.raises(CommandError, match="not a scope name"):
        call_command(
            "sso_connection", "create", "--org", "initech", "--kind", "oidc", "--issuer", AUTH0, "--client-id",
            "c1", "--client-secret-env", "INITECH_SECRET", "--allowed-group", "g", "--scope", 'a"b', stdout=out,
        )


def test_an_oidc_connection_reads_group_names_literally() -> None:
    connection, _ = upsert_connection(spec())
    adapter = SSOAdapter()
    assert adapter.groups_from_claims(connection, {"groups": "R+D"}) == ["R+D"]
    assert adapter.check_access(connection, {}, adapter.groups_from_claims(connection, {"groups": "R+D"})) == ["R+D"]
    connection.roles_claim = "roles"
    assert adapter.groups_from_claims(connection, {"groups": ["C++"], "roles": "a%2Fb"}) == ["C++", "a%2Fb"]


# -- stripped issuers corrected by discovery -------------------------------------------------------
def serve_discovery(monkeypatch: Any, published: str) -> list[str]:
    fetched: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, json={
            "issuer": published, "authorization_endpoint": "https://initech.eu.auth0.example/authorize",
            "token_endpoint": "https://initech.eu.auth0.example/oauth/token",
            "jwks_uri": "https://initech.eu.auth0.example/.well-known/jwks.json",
        })

    http = ProviderHTTP(make_client(5.0, transport=httpx.MockTransport(handle)))
    monkeypatch.setattr(wiring, "http", lambda: http)
    return fetched


def stripped_row() -> Connection:
    """A row saved by an earlier version, which stripped every issuer's trailing slash."""
    connection, _ = upsert_connection(spec())
    Connection.objects.filter(pk=connection.pk).update(issuer=AUTH0.rstrip("/"))
    return Connection.objects.get(pk=connection.pk)


def test_a_stripped_issuer_is_stored_as_discovery_publishes_it(monkeypatch: Any) -> None:
    fetched = serve_discovery(monkeypatch, AUTH0)
    connection = stripped_row()
    metadata = wiring.metadata_for(connection)
    assert fetched == [AUTH0 + ".well-known/openid-configuration"]
    assert metadata.issuer == connection.issuer == AUTH0
    assert Connection.objects.get(pk=connection.pk).issuer == AUTH0


def test_discovery_naming_another_issuer_changes_nothing(monkeypatch: Any) -> None:
    serve_discovery(monkeypatch, AUTH0 + "tenant/")
    connection = stripped_row()
    with pytest.raises(ProviderError) as info:
        wiring.metadata_for(connection)
    assert info.value.code == "discovery_issuer_mismatch"
    assert Connection.objects.get(pk=connection.pk).issuer == AUTH0.rstrip("/")


# -- the admin form -----------------------------------------------------------------------------
def test_the_admin_keeps_the_slash_and_edits_scopes_and_algorithms(admin_client: Any, make_organization: Any) -> None:
    org = make_organization("initech")
    data = {
        "organization": str(org.pk), "name": "", "kind": "oidc", "enabled": "on", "client_id": "c1",
        "client_secret": "s", "token_auth_method": "auto", "issuer": AUTH0, "cognito_domain": "",
        "identity_provider": "", "allowed_groups": "R+D", "group_mapping": "", "groups_claim": "",
        "roles_claim": "", "max_session_age": "28800", "logout_redirect_url": "", "upstream_logout_url": "",
        "extra_scopes": "groups\noffline_access  okta.groups", "signing_algorithms": ["ES256", "PS256"],
    }
    response = admin_client.post("/admin/tenant_sso/connection/add/", {**data, "extra_scopes": "bad\\scope"})
    assert response.status_code == 200 and "is not a scope name" in response.content.decode()
    response = admin_client.post("/admin/tenant_sso/connection/add/", {**data, "signing_algorithms": ["HS256"]})
    assert response.status_code == 200 and "HS256 is not one of the available choices" in response.content.decode()
    assert not Connection.objects.exists()
    response = admin_client.post("/admin/tenant_sso/connection/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    connection = Connection.objects.get()
    assert connection.issuer == AUTH0
    assert connection.extra_scopes == ["groups", "offline_access", "okta.groups"]
    assert connection.signing_algorithms == ["ES256", "PS256"]
    page = admin_client.get(f"/admin/tenant_sso/connection/{connection.pk}/change/").content.decode()
    assert "offline_access" in page
    checked = re.findall(r'<input type="checkbox" name="signing_algorithms" value="(\w+)"[^>]*checked', page)
    assert checked == ["ES256", "PS256"]


def test_a_connection_that_already_admitted_users_is_not_changed(monkeypatch: Any, make_identity: Any) -> None:
    """Identities exist under the stored issuer: it was right once, so the provider changed its
    issuer; adopting it would give every user a second account."""
    serve_discovery(monkeypatch, AUTH0)
    connection = stripped_row()
    make_identity(connection, subject="s1")
    with pytest.raises(ProviderError) as info:
        wiring.metadata_for(connection)
    assert info.value.code == "discovery_issuer_mismatch" and "identities exist" in info.value.detail
    assert Connection.objects.get(pk=connection.pk).issuer == AUTH0.rstrip("/")

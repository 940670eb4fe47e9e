"""Onboarding against moto's Cognito: what an operator sees from ``manage.py sso_cognito``."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tenant_sso import crypto
from tenant_sso.models import Connection, LoginEvent, SSOSession
from tenant_sso.session_index import key_digest
from tests.support import urls
from tests.support.cognito import onboard_args

pytestmark = pytest.mark.django_db


def live_sso_session(connection: Connection) -> str:
    """A signed-in browser's session made through ``connection``, indexed as a login indexes it."""
    store = SessionStore()
    store["signed_in"] = True
    store.create()
    user = get_user_model().objects.create(username="alice")
    SSOSession.objects.create(
        user=user, connection=connection, session_key_digest=key_digest(store.session_key or ""),
        session_key_encrypted=crypto.encrypt(store.session_key or ""), last_seen_at=timezone.now(),
        expires_at=store.get_expiry_date(),
    )
    assert SessionStore().exists(store.session_key)
    return str(store.session_key)


def run(provisioner: Any, *args: str) -> str:
    out = StringIO()
    call_command("sso_cognito", *args, provisioner=provisioner, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_onboard_creates_identity_provider_app_client_and_connection(
    provisioner: Any, cognito: Any, pool: str, upstream_secret: str
) -> None:
    output = run(provisioner, *onboard_args(pool, "--roles-claim", "roles"))
    assert "Created acme" in output

    described = cognito.describe_user_pool(UserPoolId=pool)["UserPool"]
    custom = {a["Name"]: a for a in described["SchemaAttributes"] if a["Name"].startswith("custom:")}
    assert set(custom) == {"custom:groups", "custom:roles"}
    assert custom["custom:groups"]["Mutable"] is True
    assert custom["custom:groups"]["StringAttributeConstraints"]["MaxLength"] == "2048"

    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"]
    assert idp["ProviderDetails"]["oidc_issuer"] == "https://acme.okta.test"
    assert idp["ProviderDetails"]["client_id"] == "acme-okta-client"
    assert idp["ProviderDetails"]["authorize_scopes"] == "openid email profile"
    assert idp["AttributeMapping"] == {
        "email": "email", "username": "sub", "custom:groups": "groups", "custom:roles": "roles",
    }
    assert idp["IdpIdentifiers"] == ["acme.test"]

    connection = Connection.objects.get(organization__slug="acme", enabled=True)
    client = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=connection.client_id)["UserPoolClient"]
    assert client["ClientName"] == "tenant-sso-acme"
    assert client["SupportedIdentityProviders"] == ["acme"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthScopes"] == ["openid"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["CallbackURLs"] == [urls.callback_url()]
    assert client["LogoutURLs"] == ["http://testserver/login/?logged_out=1"]
    assert {"custom:groups", "custom:roles"} <= set(client["WriteAttributes"]) & set(client["ReadAttributes"])

    assert connection.kind == "cognito"
    assert connection.issuer == f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    assert connection.cognito_domain == f"{described['Domain']}.auth.us-east-1.amazoncognito.com"
    assert connection.identity_provider == "acme"
    assert connection.get_client_secret() == client["ClientSecret"]
    assert connection.allowed_groups == ["engineering"]
    assert connection.roles_claim == "custom:roles"
    assert connection.organization.domain_names == ["acme.test"]
    # Secrets reach the encrypted column, never the operator's terminal.
    assert client["ClientSecret"] not in output and "okta-secret-1" not in output


def test_rerun_changes_nothing_and_says_so(
    provisioner: Any, call_log: Any, pool: str, upstream_secret: str
) -> None:
    run(provisioner, *onboard_args(pool))
    call_log.clear()

    output = run(provisioner, *onboard_args(pool))

    assert "No changes: acme is already onboarded" in output
    assert call_log.writes() == []


def test_dry_run_prints_the_calls_and_writes_nothing(
    provisioner: Any, call_log: Any, pool: str, upstream_secret: str
) -> None:
    output = run(provisioner, *onboard_args(pool, "--dry-run"))

    assert "dry run" in output
    for action in ("add_custom_attributes", "create_identity_provider", "create_user_pool_client", "store_connection"):
        assert action in output
    assert "IdpIdentifiers: (none) -> [acme.test]" in output
    assert "okta-secret-1" not in output
    assert call_log.writes() == []
    assert not Connection.objects.exists()


def test_new_domain_and_group_update_the_identity_provider_and_the_database_only(
    provisioner: Any, cognito: Any, call_log: Any, pool: str, upstream_secret: str
) -> None:
    run(provisioner, *onboard_args(pool))
    call_log.clear()

    dry = run(provisioner, *onboard_args(pool, "--email-domain", "acme-corp.test", "--allowed-group", "sso-admins",
                                     "--dry-run"))
    assert "IdpIdentifiers: [acme.test] -> [acme-corp.test, acme.test]" in dry
    assert "allowed_groups: [engineering] -> [engineering, sso-admins]" in dry
    assert call_log.writes() == []

    output = run(provisioner, *onboard_args(pool, "--email-domain", "acme-corp.test", "--allowed-group", "sso-admins"))

    assert "Updated acme" in output
    assert call_log.writes() == ["UpdateIdentityProvider"]
    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"]
    assert sorted(idp["IdpIdentifiers"]) == ["acme-corp.test", "acme.test"]
    connection = Connection.objects.get(organization__slug="acme", enabled=True)
    assert connection.allowed_groups == ["engineering", "sso-admins"]
    assert sorted(connection.organization.domain_names) == ["acme-corp.test", "acme.test"]


def test_status_shows_a_change_made_behind_our_back_and_onboard_repairs_it(
    provisioner: Any, cognito: Any, pool: str, upstream_secret: str
) -> None:
    run(provisioner, *onboard_args(pool))
    assert "acme: in sync" in run(provisioner, "status")
    client_id = Connection.objects.get(organization__slug="acme").client_id
    current = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)["UserPoolClient"]
    # Someone adds a callback and an OAuth scope in the console, and sets a token lifetime.
    cognito.update_user_pool_client(
        UserPoolId=pool, ClientId=client_id, ClientName=current["ClientName"],
        CallbackURLs=[*current["CallbackURLs"], "https://evil.test/cb"], LogoutURLs=current["LogoutURLs"],
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email"], AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=current["SupportedIdentityProviders"], IdTokenValidity=15,
        TokenValidityUnits={"IdToken": "minutes"},
        ReadAttributes=current["ReadAttributes"], WriteAttributes=current["WriteAttributes"],
    )

    status = run(provisioner, "status")
    assert "acme: DRIFT" in status
    assert "https://evil.test/cb" in status
    assert "AllowedOAuthScopes: [email, openid] -> [openid]" in status
    with pytest.raises(CommandError, match=r"\[cognito_drift\] 1 tenant, 1 drifted"):
        run(provisioner, "status", "--check")

    assert "Updated acme" in run(provisioner, *onboard_args(pool))
    repaired = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)["UserPoolClient"]
    assert repaired["CallbackURLs"] == [urls.callback_url()]
    assert repaired["AllowedOAuthScopes"] == ["openid"]
    # The fields we do not manage survive the update (update_user_pool_client resets omitted ones).
    assert repaired["IdTokenValidity"] == 15
    assert "acme: in sync" in run(provisioner, "status")


def test_status_reports_a_deleted_app_client_and_a_stale_secret(
    provisioner: Any, cognito: Any, pool: str, upstream_secret: str
) -> None:
    run(provisioner, *onboard_args(pool))
    connection = Connection.objects.get(organization__slug="acme")
    connection.set_client_secret("rotated-by-hand")
    connection.save()

    status = run(provisioner, "status")
    assert "client_secret: (secret) -> (new secret)" in status
    assert "rotated-by-hand" not in status

    cognito.delete_user_pool_client(UserPoolId=pool, ClientId=connection.client_id)
    status = run(provisioner, "status")
    assert "create_user_pool_client tenant-sso-acme" in status


def test_offboard_deletes_the_app_client_and_identity_provider_and_disables_the_connection(
    provisioner: Any, cognito: Any, settings: Any, pool: str, upstream_secret: str
) -> None:
    settings.TENANT_SSO_COGNITO_POOLS = [{"user_pool_id": pool}]
    run(provisioner, *onboard_args(None))
    client_id = Connection.objects.get(organization__slug="acme").client_id
    session_key = live_sso_session(Connection.objects.get(organization__slug="acme"))

    output = run(provisioner, "offboard", "--org", "acme")

    assert "Offboarded acme" in output
    assert cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"] == []
    assert cognito.list_identity_providers(UserPoolId=pool, MaxResults=60)["Providers"] == []
    assert not Connection.objects.filter(organization__slug="acme", enabled=True).exists()
    assert Connection.objects.get(client_id=client_id).enabled is False
    # The kill switch: the session made through the connection is gone from the store.
    assert not SessionStore().exists(session_key)
    assert list(LoginEvent.objects.filter(outcome="revoked").values_list("reason", flat=True)) == [
        "connection_disabled"
    ]
    with pytest.raises(CommandError, match=r"\[cognito_not_onboarded\]"):
        run(provisioner, "offboard", "--org", "acme")


def test_a_run_that_stopped_before_the_database_write_is_finished_by_the_next(
    provisioner: Any, cognito: Any, settings: Any, pool: str, upstream_secret: str
) -> None:
    settings.TENANT_SSO_COGNITO_POOLS = [{"user_pool_id": pool}]
    run(provisioner, *onboard_args(None))
    client_id = Connection.objects.get(organization__slug="acme").client_id
    Connection.objects.all().delete()  # as if the run had died right after creating the app client

    output = run(provisioner, *onboard_args(None))

    assert "Created acme" in output
    clients = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    assert [c["ClientId"] for c in clients] == [client_id]  # found again by name, not duplicated
    assert Connection.objects.get(organization__slug="acme").client_id == client_id


@pytest.mark.parametrize(
    ("pool_id", "code"),
    [("us-east-1_DoesNotExist", "cognito_pool_not_found"), ("not-a-pool", "cognito_bad_pool_id")],
)
def test_a_wrong_pool_is_a_clear_error(provisioner: Any, pool_id: str, code: str, upstream_secret: str) -> None:
    with pytest.raises(CommandError, match=rf"^\[{code}\] ") as caught:
        run(provisioner, *onboard_args(pool_id))
    assert "Traceback" not in str(caught.value)
    assert not Connection.objects.exists()


def test_a_domain_of_another_tenant_is_refused_before_any_aws_write(
    provisioner: Any, call_log: Any, pool: str, upstream_secret: str
) -> None:
    run(provisioner, *onboard_args(pool, org="globex"))
    call_log.clear()
    with pytest.raises(CommandError, match=r"\[email_domain_taken\] globex.test already belongs to globex"):
        run(provisioner, *onboard_args(pool, "--email-domain", "globex.test"))
    assert call_log.writes() == []


def test_an_unknown_tenant_without_upstream_details_is_told_what_to_give(provisioner: Any, pool: str) -> None:
    with pytest.raises(CommandError, match=r"\[cognito_upstream_required\]"):
        run(provisioner, "onboard", "--org", "newco", "--user-pool-id", pool)
    with pytest.raises(CommandError, match=r"\[upstream_incomplete\]"):
        run(provisioner, "onboard", "--org", "newco", "--user-pool-id", pool, "--issuer", "https://x.test")


def test_status_finds_what_a_connection_disabled_by_hand_left_in_cognito(
    provisioner: Any, settings: Any, pool: str, upstream_secret: str
) -> None:
    settings.TENANT_SSO_COGNITO_POOLS = [{"user_pool_id": pool}]
    run(provisioner, *onboard_args(None))
    call_command("sso_connection", "disable", "--org", "acme", stdout=StringIO())

    status = run(provisioner, "status")

    assert f"acme: cognito_leftover: identity provider acme is still in pool {pool}" in status
    run(provisioner, "offboard", "--org", "acme")
    assert "cognito_leftover" not in run(provisioner, "status")


def test_an_invalid_upstream_groups_scope_is_refused_before_any_call(
    provisioner: Any, call_log: Any, pool: str, upstream_secret: str
) -> None:
    with pytest.raises(CommandError, match=r"\[scope_invalid\] 'okta groups\\\\' is not a scope name"):
        call_command("sso_cognito", *onboard_args(pool, "--groups-scope", "okta groups\\"),
                     provisioner=provisioner, stdout=StringIO())
    assert call_log.operations == []

"""``manage.py sso_connection``: connections from scripts, validated like the admin."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tenant_sso.models import Connection, Organization

pytestmark = pytest.mark.django_db

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf"


def create(*extra: str, **env: str) -> str:
    out = StringIO()
    call_command(
        "sso_connection", "create", "--org", "acme", "--org-name", "Acme Corp", "--email-domain", "Acme.COM",
        "--kind", "cognito", "--issuer", ISSUER, "--cognito-domain", "auth.acme-app.com",
        "--identity-provider", "AcmeOkta", "--client-id", "1example", "--client-secret-env", "ACME_SECRET",
        "--allowed-group", "engineering", "--allowed-group", "sso-admins",
        "--group-map", "sso-admins=Administrators", *extra, stdout=out,
    )
    return out.getvalue()


def test_create_then_update_then_list_then_disable(monkeypatch: Any) -> None:
    monkeypatch.setenv("ACME_SECRET", "s3cr3t-value")
    assert "Created cognito connection for acme" in create()
    connection = Connection.objects.get()
    assert connection.get_client_secret() == "s3cr3t-value"
    assert "s3cr3t-value" not in connection.client_secret_encrypted
    assert connection.organization.domain_names == ["acme.com"]
    assert connection.allowed_groups == ["engineering", "sso-admins"]
    assert connection.group_mapping == {"sso-admins": "Administrators"}
    assert connection.effective_groups_claim == "custom:groups"

    assert "Updated cognito connection for acme" in create("--groups-claim", "custom:roles")
    assert Connection.objects.get().groups_claim == "custom:roles"
    assert Connection.objects.count() == 1

    out = StringIO()
    call_command("sso_connection", "list", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert rows[0]["org"] == "acme" and rows[0]["enabled"] is True and "client_secret" not in json.dumps(rows)
    assert "s3cr3t" not in out.getvalue()

    call_command("sso_connection", "disable", "--org", "acme", stdout=StringIO())
    assert Connection.objects.get().enabled is False
    with pytest.raises(CommandError, match="No enabled connection"):
        call_command("sso_connection", "disable", "--org", "acme", stdout=StringIO())


def test_missing_secret_env_is_a_clear_error(monkeypatch: Any) -> None:
    monkeypatch.delenv("ACME_SECRET", raising=False)
    with pytest.raises(CommandError, match="ACME_SECRET is not set"):
        create()
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--issuer", "http://idp.example.com/pool", "issuer"),
        ("--cognito-domain", "http://auth.example.com", "cognito_domain"),
        ("--group-map", "no-equals-sign", "IDP_GROUP=DJANGO_GROUP"),
    ],
)
def test_http_outside_loopback_and_bad_mappings_are_refused(monkeypatch: Any, flag: str, value: str, message: str) -> None:
    monkeypatch.setenv("ACME_SECRET", "x")
    with pytest.raises(CommandError, match=message):
        create(flag, value)
    assert not Connection.objects.exists()


@pytest.mark.parametrize("host", ["127.0.0.1:9000", "localhost:9000", "[::1]:9000"])
def test_http_is_accepted_on_loopback(monkeypatch: Any, host: str) -> None:
    monkeypatch.setenv("ACME_SECRET", "x")
    create("--issuer", f"http://{host}/pool", "--cognito-domain", f"http://{host}")
    assert Connection.objects.get().issuer == f"http://{host}/pool"


def test_email_domain_of_another_org_is_refused(monkeypatch: Any) -> None:
    monkeypatch.setenv("ACME_SECRET", "x")
    create()
    with pytest.raises(CommandError, match=r"acme\.com already belongs to acme"):
        call_command(
            "sso_connection", "create", "--org", "evil", "--email-domain", "acme.com", "--kind", "oidc",
            "--issuer", "https://evil.example", "--client-id", "e", "--client-secret-env", "ACME_SECRET",
            "--allowed-group", "x", stdout=StringIO(),
        )
    assert not Organization.objects.filter(slug="evil").exists()


def test_optional_connection_settings(monkeypatch: Any) -> None:
    monkeypatch.setenv("ACME_SECRET", "x")
    create("--upstream-logout-url", "https://acme.okta.example/oauth2/v1/logout", "--token-auth-method",
           "client_secret_post", "--use-userinfo", "--link-by-email", "--max-session-age", "900")
    connection = Connection.objects.get()
    assert connection.upstream_logout_url == "https://acme.okta.example/oauth2/v1/logout"
    assert connection.token_auth_method == "client_secret_post"
    assert connection.use_userinfo and connection.link_by_email and connection.max_session_age == 900
    create()  # flags left out are turned off again (--max-session-age left out keeps the current value)
    connection.refresh_from_db()
    assert not connection.use_userinfo and not connection.link_by_email and connection.upstream_logout_url == ""
    with pytest.raises(CommandError, match="upstream_logout_url"):
        create("--upstream-logout-url", "http://acme.okta.example/logout")


def test_prune_events_keeps_recent_ones() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from tenant_sso.models import LoginEvent

    old = LoginEvent.objects.create(outcome="success")
    LoginEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=100))
    recent = LoginEvent.objects.create(outcome="denied", reason="not_in_allowed_group")
    out = StringIO()
    call_command("sso_prune_events", "--older-than", "90", "--dry-run", stdout=out)
    assert "1 login event(s) older than 90 day(s) would be deleted" in out.getvalue()
    assert LoginEvent.objects.count() == 2
    call_command("sso_prune_events", "--older-than", "90", stdout=StringIO())
    assert list(LoginEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    with pytest.raises(CommandError, match="at least 1 day"):
        call_command("sso_prune_events", "--older-than", "0", stdout=StringIO())

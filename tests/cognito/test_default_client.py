"""The production path: no injected client; boto3 finds its endpoint and credentials in the environment."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tenant_sso.models import Connection
from tests.support.cognito import onboard_args

pytestmark = pytest.mark.django_db


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str, settings: Any) -> None:
    # boto3 reads AWS_ENDPOINT_URL like any other AWS configuration (a VPC endpoint, LocalStack...).
    for name, value in {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.TENANT_SSO_COGNITO_CALLS_PER_SECOND = 200.0


def test_managed_login_branding_is_never_skipped_silently(
    aws_env: None, cognito: Any, pool: str, upstream_secret: str
) -> None:
    # moto has no managed login API: in production that failure must stop onboarding, loudly.
    for _ in range(2):  # and a re-run reaches the same point without duplicating anything
        with pytest.raises(CommandError, match=r"^\[cognito_managed_login_failed\] (Creating|Reading) the managed login"):
            call_command("sso_cognito", *onboard_args(pool), stdout=StringIO())
    clients = cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    assert [c["ClientName"] for c in clients] == ["tenant-sso-acme"]
    assert not Connection.objects.exists()  # the connection is stored only once Cognito is complete


def test_a_missing_pool_through_the_default_client_is_a_clear_error(aws_env: None, upstream_secret: str) -> None:
    with pytest.raises(CommandError, match=r"^\[cognito_pool_not_found\] User pool us-east-1_Missing1 does not exist"):
        call_command("sso_cognito", *onboard_args("us-east-1_Missing1"), stdout=StringIO())

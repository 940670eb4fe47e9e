"""Onboarding against moto's Cognito: what an operator sees from ``manage.py sso_cognito``."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tenant_sso.models import Connection

from .conftest import onboard_args

pytestmark = pytest.mark.django_db


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
    assert client["CallbackURLs"] == ["http://testserver/api/oidc/cognito/callback/"]
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

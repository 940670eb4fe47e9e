"""End to end: the connection that onboarding stores logs a real user in.

moto holds the control plane (IdP, app client, secret) but serves no ``/oauth2/*``; the local
identity provider (``tenant_sso.devidp``) plays the pool's hosted domain, configured from what
onboarding created in moto: the generated client ID and secret, the callback and sign-out URLs,
the IdP name, and the IdP's attribute mapping of ``groups``.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tenant_sso.models import Connection
from tests.support.cognito import onboard_args
from tests.support.driver import IdPBrowser, sso_login

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_onboarded_connection_logs_a_user_in(
    provisioner: Any, cognito: Any, pool: str, upstream_secret: str, devidp_factory: Any, browser: Any, client: Any
) -> None:
    call_command("sso_cognito", *onboard_args(pool), provisioner=provisioner, stdout=StringIO())
    connection = Connection.objects.get(organization__slug="acme", enabled=True)
    app_client = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=connection.client_id)["UserPoolClient"]
    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName=connection.identity_provider)
    assert idp["IdentityProvider"]["AttributeMapping"]["custom:groups"] == "groups"

    server = devidp_factory({
        "region": "us-east-1",
        "user_pool_id": pool,
        "clients": [{
            "client_id": app_client["ClientId"],
            "client_secret": app_client["ClientSecret"],
            "callback_urls": app_client["CallbackURLs"],
            "logout_urls": app_client["LogoutURLs"],
            "identity_providers": app_client["SupportedIdentityProviders"],
        }],
        "identity_providers": [{
            "name": connection.identity_provider,
            "groups_format": "bracketed",
            "users": [
                {"sub": "00u-alice", "email": "alice@acme.test", "email_verified": True, "groups": ["engineering"]},
                {"sub": "00u-bob", "email": "bob@acme.test", "email_verified": True, "groups": ["sales"]},
            ],
        }],
    })
    # moto serves no hosted domain: point the stored connection at the local one (same pool ID).
    connection.issuer = server.issuer
    connection.cognito_domain = server.base_url
    connection.save()

    response = sso_login(client, browser, email="alice@acme.test", org="acme")

    assert response.status_code == 302, response.content[:300]
    me = client.get("/api/me/").json()
    assert me["authenticated"] is True
    assert me["email"] == "alice@acme.test"
    assert me["idp_groups"] == ["engineering"]

    # The allowed groups given at onboarding are the policy: bob (sales) is refused.
    client.logout()
    other_browser = IdPBrowser.new()  # bob, on his own machine (no IdP session of alice's)
    try:
        refused = sso_login(client, other_browser, email="bob@acme.test", org="acme")
    finally:
        other_browser.http.close()
    assert refused.status_code == 403
    assert client.get("/api/me/").status_code == 401

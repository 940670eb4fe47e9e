"""The setup portal's tests' helpers: a link opened by the test client, the customer's IdP for
the direct OIDC route (the local IdP playing Okta), the wizard's URLs from ``reverse()``."""

from __future__ import annotations

from io import StringIO
from typing import Any

from django.core.management import call_command
from django.urls import reverse

from tests.support import urls

PORTAL_CLIENT = {"client_id": "acme-portal", "client_secret": "acme-portal-secret"}
USERS = [
    {"sub": "00u-alice", "email": "alice@acme.test", "email_verified": True, "given_name": "Alice",
     "extra_claims": {"groups": ["engineering", "sso-admins"]}},
    {"sub": "00u-bob", "email": "bob@acme.test", "email_verified": True, "extra_claims": {"groups": ["sales"]}},
]


def okta_config(base: str = urls.APP, org: str = "acme") -> dict[str, Any]:
    """The customer's IdP as a plain OpenID Provider: an app registered with our callback/<org>/."""
    return {
        "region": "us-east-1",
        "user_pool_id": "us-east-1_AcmeOkta1",
        "clients": [{**PORTAL_CLIENT, "callback_urls": [urls.callback_url(base, org)],
                     "logout_urls": [urls.logged_out_url(base)], "identity_providers": ["AcmeOkta"]}],
        "identity_providers": [{"name": "AcmeOkta", "users": USERS}],
    }


def new_link(org: str = "acme", *extra: str) -> str:
    """``sso_setup_link create``'s last line: the link's URL."""
    out = StringIO()
    call_command("sso_setup_link", "create", "--org", org, *extra, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def url(name: str, org: str = "acme", **kwargs: str) -> str:
    return reverse(f"tenant_sso:setup_{name}", kwargs={"org": org, **kwargs})


def values(issuer_url: str, **overrides: str) -> dict[str, str]:
    return {"issuer": issuer_url, **PORTAL_CLIENT, **overrides}


#: The Cognito route's provisioner for ``TENANT_SSO_SETUP_PROVISIONER`` (a test puts one here).
PROVISIONERS: list[Any] = []


def provisioner() -> Any:
    """``TENANT_SSO_SETUP_PROVISIONER = "tests.support.setup.provisioner"``: the one on moto."""
    return PROVISIONERS[-1]


def hosted_domain_config(cognito: Any, pool: str, connection: Any, users: list[dict[str, Any]]) -> dict[str, Any]:
    """The local IdP as the pool's hosted domain, from what onboarding created in moto (moto
    serves no ``/oauth2/*``; see tests/cognito/test_end_to_end.py)."""
    app = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=connection.client_id)["UserPoolClient"]
    return {
        "region": "us-east-1",
        "user_pool_id": pool,
        "clients": [{
            "client_id": app["ClientId"], "client_secret": app["ClientSecret"],
            "callback_urls": app["CallbackURLs"], "logout_urls": app["LogoutURLs"],
            "identity_providers": app["SupportedIdentityProviders"],
        }],
        "identity_providers": [{"name": connection.identity_provider, "groups_format": "bracketed", "users": users}],
    }

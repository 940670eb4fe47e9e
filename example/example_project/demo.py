"""The demo's tenants, users and identity provider: used by ``manage.py demo`` and the browser tests.

Three tenants, as a SaaS would have them:

``acme``     Okta-like: group names, Cognito's bracketed ``custom:groups``.
``globex``   Entra-ID-like: group object IDs (GUIDs) in a JSON array string, mapped to Django groups.
``initech``  SAML: the pool brokers a real third-party SAML IdP (npm ``saml-idp``, started by the
             demo when Node.js is there; see :mod:`example_project.saml_idp`), IdP-initiated on.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

ACME_GROUPS = {"engineering": "Engineers", "sso-admins": "Administrators"}
GLOBEX_ENGINEERS = "6f1b1c8e-2a9d-4c57-9a3e-0b7c4d2e8f11"
GLOBEX_ADMINS = "a3c9e2d4-5b6f-47a8-9c0d-1e2f3a4b5c6d"
GLOBEX_FINANCE = "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a"
POOL_ID = "us-east-1_DemoPool1"
SAML_IDP = "InitechSAML"
SAML_CLIENT = "initech-demo-client"
INITECH_GROUPS = {"engineering": "Engineers", "sso-admins": "Administrators"}
#: The user saml-idp's page starts with (a single-user test IdP: edit the fields to be someone else).
SAML_USER = {"userName": "peter@initech.test", "email": "peter@initech.test", "firstName": "Peter",
             "lastName": "Gibbons", "groups": "engineering,sso-admins"}

USERS = [
    # (tenant, email, groups, what to expect)
    ("acme", "alice@acme.test", ["engineering", "sso-admins"], "allowed; Django groups Engineers + Administrators"),
    ("acme", "erin@acme.test", ["engineering"], "allowed; Django group Engineers"),
    ("acme", "bob@acme.test", ["sales"], "refused: not in an allowed group"),
    ("globex", "carol@globex.test", [GLOBEX_ENGINEERS, GLOBEX_ADMINS], "allowed; Entra object IDs mapped"),
    ("globex", "dave@globex.test", [GLOBEX_FINANCE], "refused: not in an allowed group"),
]
SAML_USERS = [
    ("initech", "peter@initech.test", ["engineering", "sso-admins"], "allowed (SAML); saml-idp's default user"),
    ("initech", "milton@initech.test", ["sales"], "refused: type this email and group on saml-idp's page"),
]


def idp_initiated_url(app_url: str, org: str = "initech") -> str:
    """Where Cognito sends the tenant's IdP-initiated SAML sign-ins (the app client's callback too)."""
    from django.urls import reverse

    return f"{app_url}{reverse('tenant_sso:idp_initiated', args=[org])}"


def saml_relay_state(app_url: str) -> str:
    """The RelayState the SAML IdP's tile sends: the authorize parameters, as Cognito reads them."""
    return urlencode({"response_type": "code", "client_id": SAML_CLIENT,
                      "redirect_uri": idp_initiated_url(app_url), "identity_provider": SAML_IDP,
                      "scope": "openid"})


def idp_config(app_url: str, saml_metadata_url: str | None = None) -> dict[str, Any]:
    """The local identity provider's configuration for an app served at ``app_url``; with the
    SAML IdP's metadata URL, the ``initech`` client and its SAML provider too."""
    callback = f"{app_url}/api/oidc/cognito/callback/"
    logged_out = f"{app_url}/login/?logged_out=1"

    def users(tenant: str) -> list[dict[str, Any]]:
        out = []
        for t, email, groups, _ in USERS:
            if t == tenant:
                name = email.split("@")[0]
                out.append({"sub": f"{tenant}-{name}", "email": email, "email_verified": True,
                            "given_name": name.title(), "family_name": tenant.title(), "groups": groups})
        return out

    config: dict[str, Any] = {
        "region": "us-east-1",
        "user_pool_id": POOL_ID,
        "clients": [
            {"client_id": "acme-demo-client", "client_secret": "acme-demo-secret",
             "callback_urls": [callback], "logout_urls": [logged_out], "identity_providers": ["AcmeOkta"]},
            {"client_id": "globex-demo-client", "client_secret": "globex-demo-secret",
             "callback_urls": [callback], "logout_urls": [logged_out], "identity_providers": ["GlobexEntra"]},
        ],
        "identity_providers": [
            # keep_stale_attributes: like Cognito, a groups claim the IdP stops sending keeps its old
            # value in the pool, unless the app clears it after each login (the worker does).
            {"name": "AcmeOkta", "groups_format": "bracketed", "users": users("acme"), "keep_stale_attributes": True},
            {"name": "GlobexEntra", "groups_format": "json", "users": users("globex"), "keep_stale_attributes": True},
        ],
    }
    if saml_metadata_url:
        from .saml_idp import devidp_provider

        config["clients"].append(
            {"client_id": SAML_CLIENT, "client_secret": "initech-demo-secret",
             "callback_urls": [callback, idp_initiated_url(app_url)], "logout_urls": [logged_out],
             "identity_providers": [SAML_IDP]})
        config["identity_providers"].append(devidp_provider(SAML_IDP, saml_metadata_url, idp_initiated=True))
    return config


def seed(idp_issuer: str, idp_base_url: str, app_url: str, *, saml: bool = False) -> None:
    """Create or update the tenants' connections (idempotent); ``saml``: ``initech`` too."""
    from tenant_sso.connections import ConnectionSpec, upsert_connection

    logged_out = f"{app_url}/login/?logged_out=1"
    common = {"kind": "cognito", "issuer": idp_issuer, "cognito_domain": idp_base_url,
              "logout_redirect_url": logged_out}
    upsert_connection(ConnectionSpec(
        org_slug="acme", org_name="Acme Corp (Okta)", email_domains=["acme.test"],
        identity_provider="AcmeOkta", client_id="acme-demo-client", client_secret="acme-demo-secret",
        allowed_groups=list(ACME_GROUPS), group_mapping=ACME_GROUPS, **common,
    ))
    upsert_connection(ConnectionSpec(
        org_slug="globex", org_name="Globex (Entra ID)", email_domains=["globex.test"],
        identity_provider="GlobexEntra", client_id="globex-demo-client", client_secret="globex-demo-secret",
        allowed_groups=[GLOBEX_ENGINEERS, GLOBEX_ADMINS],
        group_mapping={GLOBEX_ENGINEERS: "Engineers", GLOBEX_ADMINS: "Administrators"}, **common,
    ))
    if saml:
        upsert_connection(ConnectionSpec(
            org_slug="initech", org_name="Initech (SAML)", email_domains=["initech.test"],
            identity_provider=SAML_IDP, client_id=SAML_CLIENT, client_secret="initech-demo-secret",
            allowed_groups=list(INITECH_GROUPS), group_mapping=INITECH_GROUPS,
            extra={"idp_initiated": True}, **common,
        ))

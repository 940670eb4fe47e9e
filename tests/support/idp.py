"""The local identity provider's two tenants, as the shared ``idp`` and ``tenants`` fixtures run them.

``acme``   Okta-like, group names, Cognito's bracketed ``custom:groups``.
``globex`` Entra-like, group object IDs (GUIDs) as a JSON array in a string, mapped in the DB.
"""

from __future__ import annotations

from typing import Any

from tests.support import urls

POOL = "us-east-1_TestPool1"
GLOBEX_ENGINEERS = "8d3c2a6b-1f2e-4c5d-9e8f-0a1b2c3d4e5f"
GLOBEX_ADMINS = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
GLOBEX_SALES = "99999999-aaaa-4bbb-8ccc-dddddddddddd"


def idp_config() -> dict[str, Any]:
    return {
        "region": "us-east-1",
        "user_pool_id": POOL,
        "clients": [
            {"client_id": "acme-client", "client_secret": "acme-secret", "callback_urls": [urls.callback_url()],
             "logout_urls": [urls.logged_out_url()], "identity_providers": ["AcmeOkta"]},
            {"client_id": "globex-client", "client_secret": "globex-secret", "callback_urls": [urls.callback_url()],
             "logout_urls": [urls.logged_out_url()], "identity_providers": ["GlobexEntra"]},
        ],
        "identity_providers": [
            {"name": "AcmeOkta", "groups_format": "bracketed", "users": [
                {"sub": "00u-alice", "email": "alice@acme.test", "email_verified": True, "given_name": "Alice",
                 "family_name": "Anders", "groups": ["engineering", "sso-admins"]},
                {"sub": "00u-bob", "email": "bob@acme.test", "email_verified": True, "given_name": "Bob",
                 "family_name": "Baker", "groups": ["sales"]},
                {"sub": "00u-nogroups", "email": "nogroups@acme.test", "email_verified": True, "groups": []},
            ]},
            {"name": "GlobexEntra", "groups_format": "json", "users": [
                {"sub": "entra-carol", "email": "carol@globex.test", "email_verified": True, "given_name": "Carol",
                 "groups": [GLOBEX_ENGINEERS.upper(), GLOBEX_ADMINS]},
                {"sub": "entra-dave", "email": "dave@globex.test", "email_verified": True, "groups": [GLOBEX_SALES]},
            ]},
        ],
    }

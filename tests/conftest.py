"""Shared fixtures: a running local identity provider with two tenants, and their connections.

``acme``   Okta-like, group names, Cognito's bracketed ``custom:groups``.
``globex`` Entra-like, group object IDs (GUIDs) as a JSON array in a string, mapped in the DB.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from tests.sso import CALLBACK, LOGGED_OUT, IdPBrowser

# No hypothesis deadline: it is an absolute-time assertion, and on a loaded 2-core CI machine a
# first example (imports, cold caches) can take 400 ms. Property tests look for wrong answers.
hypothesis_settings.register_profile("tenant_sso", deadline=None)
hypothesis_settings.load_profile("tenant_sso")

POOL = "us-east-1_TestPool1"
GLOBEX_ENGINEERS = "8d3c2a6b-1f2e-4c5d-9e8f-0a1b2c3d4e5f"
GLOBEX_ADMINS = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
GLOBEX_SALES = "99999999-aaaa-4bbb-8ccc-dddddddddddd"


def idp_config() -> dict[str, Any]:
    return {
        "region": "us-east-1",
        "user_pool_id": POOL,
        "clients": [
            {"client_id": "acme-client", "client_secret": "acme-secret", "callback_urls": [CALLBACK],
             "logout_urls": [LOGGED_OUT], "identity_providers": ["AcmeOkta"]},
            {"client_id": "globex-client", "client_secret": "globex-secret", "callback_urls": [CALLBACK],
             "logout_urls": [LOGGED_OUT], "identity_providers": ["GlobexEntra"]},
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


@pytest.fixture
def idp(devidp_factory: Any) -> Any:
    """The local identity provider, started on 127.0.0.1 for this test."""
    return devidp_factory(idp_config())


@pytest.fixture
def tenants(db: Any, idp: Any) -> dict[str, Any]:
    """Organizations ``acme`` and ``globex`` with Cognito connections to ``idp``."""
    from tenant_sso.connections import ConnectionSpec, upsert_connection

    acme, _ = upsert_connection(ConnectionSpec(
        org_slug="acme", org_name="Acme Corp", kind="cognito", issuer=idp.issuer, cognito_domain=idp.base_url,
        identity_provider="AcmeOkta", client_id="acme-client", client_secret="acme-secret",
        email_domains=["acme.test"], allowed_groups=["engineering", "sso-admins"],
        group_mapping={"engineering": "Engineers", "sso-admins": "Administrators"},
        logout_redirect_url="/login/?logged_out=1",
    ))
    globex, _ = upsert_connection(ConnectionSpec(
        org_slug="globex", org_name="Globex", kind="cognito", issuer=idp.issuer, cognito_domain=idp.base_url,
        identity_provider="GlobexEntra", client_id="globex-client", client_secret="globex-secret",
        email_domains=["globex.test"], allowed_groups=[GLOBEX_ENGINEERS, GLOBEX_ADMINS],
        group_mapping={GLOBEX_ENGINEERS: "Engineers", GLOBEX_ADMINS: "Administrators"},
        logout_redirect_url="/login/?logged_out=1",
    ))
    return {"acme": acme, "globex": globex}


@pytest.fixture
def browser() -> Iterator[IdPBrowser]:
    b = IdPBrowser.new()
    yield b
    b.http.close()


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield


# Playwright fixtures for tests/browser and tests/admin; a hostile OpenID Provider
# (tests/security/test_boundary.py); the local identity provider's fixtures (an opt-in plugin:
# installing tenant-sso registers nothing in other projects' pytest runs).
pytest_plugins = ["tests.browser_fixtures", "tests.security.hostile", "tenant_sso.devidp.pytest_plugin"]

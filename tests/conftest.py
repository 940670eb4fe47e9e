"""Shared fixtures: a running local identity provider with two tenants (:mod:`tests.support.idp`),
their connections, and the factories of :mod:`tests.support.factories`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.driver import IdPBrowser
from tests.support.idp import GLOBEX_ADMINS, GLOBEX_ENGINEERS, idp_config


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

"""Shared fixtures: a running local identity provider with two tenants (:mod:`tests.support.idp`),
their connections, and the factories of :mod:`tests.support.factories`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from hypothesis import settings as hypothesis_settings

from tests.support.cognito import CREDENTIALS
from tests.support.dns import TEST_TIMEOUT, DNSTestServer
from tests.support.driver import IdPBrowser
from tests.support.idp import GLOBEX_ADMINS, GLOBEX_ENGINEERS, idp_config

# No hypothesis deadline: it is an absolute-time assertion, and on a loaded 2-core CI machine a
# first example (imports, cold caches) can take 400 ms. Property tests look for wrong answers.
hypothesis_settings.register_profile("tenant_sso", deadline=None)
hypothesis_settings.load_profile("tenant_sso")


@pytest.fixture
def idp(devidp_factory: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The local identity provider, started on 127.0.0.1 for this test.

    It also answers the Cognito admin API calls a login queues (clearing the pool user's groups:
    docs/deprovisioning.md), so boto3 is pointed at it, with dummy credentials.
    """
    server = devidp_factory(idp_config())
    settings.TENANT_SSO_COGNITO_ENDPOINT_URL = server.base_url
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name.upper(), value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return server


@pytest.fixture
def tenants(idp: Any, make_connection: Any) -> dict[str, Any]:
    """Organizations ``acme`` and ``globex`` with Cognito connections to ``idp``."""
    at_idp = {"issuer": idp.issuer, "cognito_domain": idp.base_url, "logout_redirect_url": "/login/?logged_out=1"}
    acme = make_connection(
        "acme", org_name="Acme Corp", identity_provider="AcmeOkta", allowed_groups=["engineering", "sso-admins"],
        group_mapping={"engineering": "Engineers", "sso-admins": "Administrators"}, **at_idp,
    )
    globex = make_connection(
        "globex", identity_provider="GlobexEntra", allowed_groups=[GLOBEX_ENGINEERS, GLOBEX_ADMINS],
        group_mapping={GLOBEX_ENGINEERS: "Engineers", GLOBEX_ADMINS: "Administrators"}, **at_idp,
    )
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


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DNSTestServer]:
    """A real DNS server on 127.0.0.1 (dnslib), for domain verification."""
    with DNSTestServer() as server:
        yield server


@pytest.fixture
def dns(dns_server: DNSTestServer) -> Iterator[DNSTestServer]:
    """The server, as the only resolver tenant_sso asks."""
    with override_settings(TENANT_SSO_DNS_RESOLVERS=[dns_server.address], TENANT_SSO_DNS_TIMEOUT=TEST_TIMEOUT):
        yield dns_server


# Playwright fixtures for tests/browser and tests/admin; a hostile OpenID Provider
# (tests/security/test_boundary.py); the local identity provider's fixtures (an opt-in plugin:
# installing tenant-sso registers nothing in other projects' pytest runs); the factories.
pytest_plugins = [
    "tests.browser_fixtures", "tests.security.hostile", "tenant_sso.devidp.pytest_plugin", "tests.support.factories",
]

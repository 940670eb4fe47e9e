"""Fixtures of the setup portal's tests: the real DNS server on 127.0.0.1 (tests/support/dns.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from tests.support.dns import DNSTestServer


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DNSTestServer]:
    with DNSTestServer() as server:
        yield server


@pytest.fixture
def dns(dns_server: DNSTestServer) -> Iterator[DNSTestServer]:
    """The server, as the only resolver tenant_sso asks."""
    with override_settings(TENANT_SSO_DNS_RESOLVERS=[dns_server.address], TENANT_SSO_DNS_TIMEOUT=0.5):
        yield dns_server

"""Discovery documents are cached per issuer for a bounded time: a stale one expires, a failure is
not cached. (The JWKS has its own cache and its own refetch on an unknown ``kid``; see
test_oidc_provider.py for rotation over real HTTP.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tenant_sso.exceptions import ProviderError
from tenant_sso.oidc.http import ProviderHTTP, make_client
from tenant_sso.oidc.metadata import discover

ISSUER = "https://idp.initech.test"


class ClockCache:
    """A cache honouring timeouts against a clock the test moves (the ``Cache`` protocol)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.items: dict[str, tuple[Any, float | None]] = {}

    def get(self, key: str, default: Any = None) -> Any:
        value, expires = self.items.get(key, (default, None))
        if expires is not None and self.now >= expires:
            del self.items[key]
            return default
        return value

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        self.items[key] = (value, None if timeout is None else self.now + timeout)

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        if self.get(key) is not None:
            return False
        self.set(key, value, timeout)
        return True

    def delete(self, key: str) -> None:
        self.items.pop(key, None)


class Provider:
    """The issuer's discovery endpoint; ``token_path`` is what it currently advertises."""

    def __init__(self) -> None:
        self.token_path = "/oauth2/v1/token"
        self.status = 200
        self.requests = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/.well-known/openid-configuration"
        self.requests += 1
        if self.status != 200:
            return httpx.Response(self.status, json={"error": "server_error"})
        return httpx.Response(200, json={
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/oauth2/v1/authorize",
            "token_endpoint": f"{ISSUER}{self.token_path}",
            "jwks_uri": f"{ISSUER}/oauth2/v1/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        })


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def http(provider: Provider) -> ProviderHTTP:
    return ProviderHTTP(make_client(5.0, transport=httpx.MockTransport(provider.handle)))


def test_a_stale_discovery_document_expires_after_the_ttl(provider: Provider, http: ProviderHTTP) -> None:
    cache = ClockCache()
    assert discover(http, cache, ISSUER, ttl=3600).token_endpoint.endswith("/oauth2/v1/token")

    provider.token_path = "/oauth2/v2/token"  # the provider moved an endpoint
    cache.now += 3599
    assert discover(http, cache, ISSUER, ttl=3600).token_endpoint.endswith("/v1/token")  # still cached
    assert provider.requests == 1

    cache.now += 2
    assert discover(http, cache, ISSUER, ttl=3600).token_endpoint.endswith("/v2/token")  # followed
    assert provider.requests == 2


def test_a_failed_fetch_is_not_cached(provider: Provider, http: ProviderHTTP) -> None:
    cache = ClockCache()
    provider.status = 503
    with pytest.raises(ProviderError):
        discover(http, cache, ISSUER, ttl=3600)

    provider.status = 200  # the provider is back: the next login does not wait for a TTL
    assert discover(http, cache, ISSUER, ttl=3600).issuer == ISSUER
    assert provider.requests == 2


def test_refresh_bypasses_the_cache(provider: Provider, http: ProviderHTTP) -> None:
    cache = ClockCache()
    discover(http, cache, ISSUER, ttl=3600)
    provider.token_path = "/oauth2/v2/token"

    assert discover(http, cache, ISSUER, ttl=3600, refresh=True).token_endpoint.endswith("/v2/token")
    assert discover(http, cache, ISSUER, ttl=3600).token_endpoint.endswith("/v2/token")  # and stored

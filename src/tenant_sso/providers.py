"""Wires the protocol layer to Django: the shared HTTP client, the cache, metadata per connection."""

from __future__ import annotations

import threading
from functools import lru_cache

import httpx
from django.core.cache import caches

from .conf import app_settings
from .models import Connection
from .oidc.client import ClientCredentials
from .oidc.http import ProviderHTTP, make_client
from .oidc.keys import JWKSResolver
from .oidc.metadata import Cache, ProviderMetadata, cognito_metadata, discover

_lock = threading.Lock()


@lru_cache(maxsize=8)
def _client(timeout: float) -> httpx.Client:
    # One pooled client per process (a connection pool, not state the flow depends on).
    return make_client(timeout)


def http() -> ProviderHTTP:
    return ProviderHTTP(_client(app_settings.HTTP_TIMEOUT))


def cache() -> Cache:
    return caches[app_settings.CACHE_ALIAS]  # type: ignore[return-value]


def metadata_for(connection: Connection, *, refresh: bool = False) -> ProviderMetadata:
    """Cognito: built from the pool issuer and domain. OIDC: the issuer's discovery document."""
    if connection.is_cognito:
        return cognito_metadata(connection.issuer, connection.cognito_domain)
    return discover(http(), cache(), connection.issuer, ttl=app_settings.METADATA_CACHE_TTL, refresh=refresh)


def key_resolver() -> JWKSResolver:
    return JWKSResolver(
        http(),
        cache(),
        ttl=app_settings.METADATA_CACHE_TTL,
        refetch_interval=app_settings.JWKS_REFETCH_INTERVAL,
    )


def credentials_for(connection: Connection, metadata: ProviderMetadata) -> ClientCredentials:
    method = connection.token_auth_method
    if method == Connection.AuthMethod.AUTO:
        supported = metadata.token_endpoint_auth_methods_supported
        method = (
            "client_secret_post"
            if "client_secret_basic" not in supported and "client_secret_post" in supported
            else "client_secret_basic"
        )
    return ClientCredentials(connection.client_id, connection.get_client_secret(), method)

"""Wires the protocol layer to Django: the shared HTTP client, the cache, metadata per connection."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import httpx
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT

from .conf import app_settings
from .exceptions import ProviderError
from .models import Connection
from .oidc.client import ClientCredentials, choose_auth_method
from .oidc.http import ProviderHTTP, make_client
from .oidc.keys import JWKSResolver
from .oidc.metadata import Cache, ProviderMetadata, check_endpoints, cognito_metadata, discover
from .oidc.netguard import NetworkPolicy


@lru_cache(maxsize=8)
def _client(timeout: float, policy: NetworkPolicy) -> httpx.Client:
    # One pooled client per process (a connection pool, not state the flow depends on); its
    # transport connects only to addresses the policy allows (oidc/netguard.py).
    return make_client(timeout, policy=policy)


def network_policy() -> NetworkPolicy:
    """Production: https to public addresses only; loopback too under TENANT_SSO_ALLOW_LOOPBACK_HTTP."""
    return NetworkPolicy(allow_loopback=app_settings.ALLOW_LOOPBACK_HTTP)


def http() -> ProviderHTTP:
    policy = network_policy()
    return ProviderHTTP(_client(app_settings.HTTP_TIMEOUT, policy), policy=policy)


logger = logging.getLogger("tenant_sso")


class TolerantCache:
    """Django's cache, where a cache server that cannot be reached counts as a miss.

    The cache holds derived data only (discovery documents, JWKS, the JWKS refetch rate limit),
    all of which can be fetched again from the identity provider, so a Redis outage must not
    turn logins into 500s: reads miss, writes are skipped, each with a logged warning, and the
    next call tries the server again (Django's Redis client reconnects by itself), so service
    resumes without a restart. ``add`` answers False: while the cache is down the JWKS was just
    fetched anyway, so a refetch on an unknown ``kid`` would learn nothing new.
    """

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def _failed(self, operation: str, key: str, error: Exception) -> None:
        logger.warning(
            "cache %s %s failed (%s: %s); continuing without the cache",
            operation,
            key,
            type(error).__name__,
            error,
        )

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self.backend.get(key, default)
        except Exception as error:  # any backend's connection error; the data is re-fetchable
            self._failed("get", key, error)
            return default

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> None:
        try:
            self.backend.set(key, value, timeout)
        except Exception as error:
            self._failed("set", key, error)

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT) -> bool:
        try:
            return bool(self.backend.add(key, value, timeout))
        except Exception as error:
            self._failed("add", key, error)
            return False

    def delete(self, key: str) -> Any:
        try:
            return self.backend.delete(key)
        except Exception as error:
            self._failed("delete", key, error)
            return False


def cache() -> Cache:
    return TolerantCache(caches[app_settings.CACHE_ALIAS])


def metadata_for(connection: Connection, *, refresh: bool = False) -> ProviderMetadata:
    """Cognito: built from the pool issuer and domain. OIDC: the issuer's discovery document."""
    if connection.is_cognito:
        return _checked_cognito_metadata(connection.issuer, connection.cognito_domain, network_policy())
    metadata = discover(
        http(),
        cache(),
        connection.issuer,
        ttl=app_settings.METADATA_CACHE_TTL,
        refresh=refresh,
        accept_added_slash=True,
    )
    if metadata.issuer != connection.issuer:
        adopt_published_issuer(connection, metadata.issuer)
    return metadata


@lru_cache(maxsize=256)
def _checked_cognito_metadata(issuer: str, domain: str, policy: NetworkPolicy) -> ProviderMetadata:
    """Built from the stored issuer and domain alone, so its URL checks give the same answer
    every time: made once per (issuer, domain, policy) and process (bounded); a refusal is not
    cached (the exception propagates)."""
    metadata = cognito_metadata(issuer, domain)
    check_endpoints(metadata, policy)  # the browser is sent to these too
    return metadata


class IssuerChanged(ProviderError):
    """Discovery publishes the issuer with a trailing slash, but users already signed in under the
    stored form: the provider changed its issuer, which an admin must confirm (identities are
    keyed by issuer, so adopting it silently would create second accounts)."""


def adopt_published_issuer(connection: Connection, published: str) -> None:
    """Store the issuer exactly as the provider publishes it (it differs by a trailing slash only).

    Rows saved before trailing slashes were kept lost the slash of issuers such as
    ``https://tenant.auth0.com/``; discovery proves the right form, so it is stored once
    (docs/providers.md, "Issuers with a trailing slash"). Such a row can never have admitted
    anyone, so a row with identities under its issuer is left alone (:class:`IssuerChanged`).
    Only the row still holding the old value is changed, so an admin's concurrent edit wins.
    """
    old = connection.issuer
    if connection.pk is not None and connection.identities.filter(issuer=old).exists():
        raise IssuerChanged(
            "discovery_issuer_mismatch",
            detail=f"discovery issuer {published!r} != configured {old!r}, and identities exist under "
            "the configured one: update the issuer in the admin if the provider really changed it",
        )
    Connection.objects.filter(pk=connection.pk, issuer=old).update(issuer=published)
    connection.issuer = published
    logger.warning(
        "connection %s: issuer %r stored as the provider publishes it, %r", connection.pk, old, published
    )


def key_resolver() -> JWKSResolver:
    return JWKSResolver(
        http(),
        cache(),
        ttl=app_settings.METADATA_CACHE_TTL,
        refetch_interval=app_settings.JWKS_REFETCH_INTERVAL,
    )


def credentials_for(connection: Connection, metadata: ProviderMetadata) -> ClientCredentials:
    method = connection.token_auth_method
    secret = connection.get_client_secret()
    if method == Connection.AuthMethod.AUTO:
        method = choose_auth_method(metadata.token_endpoint_auth_methods_supported, connection.client_id, secret)
    return ClientCredentials(connection.client_id, secret, method)

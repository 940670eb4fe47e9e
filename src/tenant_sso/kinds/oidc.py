"""Plain OpenID Connect: straight to the customer's OpenID Provider (Okta, Entra ID, Keycloak...).

Endpoints come from OIDC Discovery; groups are read as sent; logout is RP-Initiated Logout;
each connection has its own callback URL. Most of it is :class:`ConnectionKind`'s defaults.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..exceptions import ProviderError
from ..oidc.metadata import Cache, ProviderMetadata, discover
from .base import ConnectionKind

if TYPE_CHECKING:
    from ..diagnostics.results import CheckResult
    from ..models import Connection
    from ..oidc.http import ProviderHTTP

logger = logging.getLogger("tenant_sso")


class OIDCKind(ConnectionKind):
    name = "oidc"

    def metadata(
        self, connection: Connection, http: ProviderHTTP, cache: Cache, *, ttl: int, refresh: bool = False
    ) -> ProviderMetadata:
        """The issuer's discovery document (cached), its issuer stored as published."""
        metadata = discover(http, cache, connection.issuer, ttl=ttl, refresh=refresh, accept_added_slash=True)
        if metadata.issuer != connection.issuer:
            adopt_published_issuer(connection, metadata.issuer)
        return metadata

    def check_metadata(
        self, connection: Connection, http: ProviderHTTP, cache: Cache
    ) -> tuple[CheckResult, ProviderMetadata | None, bool]:
        from ..diagnostics.checks import check_discovery

        return check_discovery(connection, http, cache)


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
    from .. import realm_cache
    from ..models import Connection

    old = connection.issuer
    if connection.pk is not None and connection.identities.filter(issuer=old).exists():
        raise IssuerChanged(
            "discovery_issuer_mismatch",
            detail=f"discovery issuer {published!r} != configured {old!r}, and identities exist under "
            "the configured one: update the issuer in the admin if the provider really changed it",
        )
    Connection.objects.filter(pk=connection.pk, issuer=old).update(issuer=published)
    realm_cache.forget(connection_ids=[connection.pk])  # update() sends no signal
    connection.issuer = published
    logger.warning(
        "connection %s: issuer %r stored as the provider publishes it, %r", connection.pk, old, published
    )

"""OpenID Connect Back-Channel Logout 1.0 for direct OIDC connections: the IdP ends our sessions.

The IdP POSTs a ``logout_token`` to ``backchannel-logout/<org>/`` (the URL an administrator
registers at the IdP: docs/deprovisioning.md). The token is validated in the protocol layer
(:func:`tenant_sso.oidc.logout_token.validate_logout_token`, keys from the connection's JWKS
through the shared key resolver), its ``jti`` must be new (remembered in the shared Django cache
until the token could no longer be accepted), then the matching sessions end
(:func:`tenant_sso.session_index.revoke`, reason ``backchannel_logout``): by ``sid`` when the
token has one (that IdP session), else every session of the identity ``(issuer, sub)`` on this
connection.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.db.models import Q

from .. import session_index, wiring
from ..conf import app_settings
from ..exceptions import ConfigurationError, TokenError
from ..kinds import kind_of
from ..models import Connection, SSOSession
from ..oidc.logout_token import LogoutExpectations, LogoutRequest, validate_logout_token

logger = logging.getLogger("tenant_sso")


@dataclass(frozen=True)
class LoggedOut:
    connection: Connection
    request: LogoutRequest
    ended: int


def backchannel_connection(org: str) -> Connection:
    """The organization's enabled connection that accepts back-channel logout (direct OIDC)."""
    connection = (
        Connection.objects.select_related("organization").filter(organization__slug=org, enabled=True).first()
    )
    if connection is None or not kind_of(connection).backchannel_logout:
        # Cognito does not send back-channel logout tokens (it is not an OIDC OP for logout).
        raise ConfigurationError("unknown_organization", detail=f"no enabled OIDC connection for {org[:80]!r}")
    return connection


def _first_use(connection: Connection, request: LogoutRequest, now: float) -> bool:
    """Whether this ``jti`` is new for this issuer (remembered in the shared cache).

    A cache that is down counts as new: refusing would keep a session the IdP ended alive, and a
    replay can only end sessions again within the token's short window."""
    digest = hashlib.sha256(f"{connection.issuer}\n{request.jti}".encode()).hexdigest()
    timeout = max(1, int(request.remember_until - now))
    try:
        return bool(caches[app_settings.CACHE_ALIAS].add(f"tenant_sso:bcl-jti:{digest}", 1, timeout))
    except Exception as error:
        logger.warning("back-channel logout: jti not checked, cache unavailable (%s)", type(error).__name__)
        return True


def backchannel_logout(org: str, logout_token: object, *, now: float | None = None) -> LoggedOut:
    """Validate ``logout_token`` for the organization's connection and end the matching sessions."""
    connection = backchannel_connection(org)
    now = time.time() if now is None else now
    metadata = wiring.metadata_for(connection)
    resolver = wiring.key_resolver()
    expect = LogoutExpectations(
        issuer=connection.issuer,
        client_id=connection.client_id,
        algorithms=connection.effective_algorithms,
        leeway=app_settings.CLOCK_LEEWAY,
        max_age=app_settings.MAX_TOKEN_AGE,
        max_length=app_settings.MAX_TOKEN_LENGTH,
    )
    request = validate_logout_token(
        logout_token, lambda header: resolver.resolve(metadata.jwks_uri, header), expect, now=now
    )
    if not _first_use(connection, request, now):
        raise TokenError("logout_token_replayed", detail="jti already used")
    sessions = SSOSession.objects.filter(connection=connection)
    if request.sid is not None:
        match = Q(sid=request.sid)
        if request.sub is not None:  # both: that IdP session of that user
            match &= Q(identity__subject=request.sub, identity__issuer=connection.issuer)
    else:
        match = Q(identity__subject=request.sub, identity__issuer=connection.issuer)
    ended = session_index.revoke(sessions.filter(match), "backchannel_logout")
    return LoggedOut(connection, request, ended)

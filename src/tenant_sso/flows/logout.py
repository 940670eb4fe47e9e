"""Logging out: the Django session, then the identity provider's (the connection's kind says
how), with Cognito's optional second hop to the upstream IdP (:func:`upstream_logout`)."""

from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit, urlunsplit

from django.contrib.auth import logout as django_logout
from django.http import HttpRequest
from django.urls import reverse

from .. import session_index, stash, wiring
from ..conf import app_settings
from ..exceptions import (
    ConfigurationError,
    ProviderError,
)
from ..kinds import kind_of
from ..models import Connection
from ..oidc import pkce
from .login import SESSION_KEY
from .urls import absolute


# -- logout ----------------------------------------------------------------------------------
def logout(request: HttpRequest) -> tuple[str, Connection | None]:
    """End the Django session; return where to send the browser to end the IdP's session too."""
    data = request.session.get(SESSION_KEY) or {}
    connection = (
        Connection.objects.select_related("organization").filter(pk=int(data["connection"])).first()
        if isinstance(data, dict) and isinstance(data.get("connection"), int)
        else None
    )
    session_index.end_current(request)
    django_logout(request)
    if connection is None:
        return _after_logout_url(request, None), None
    if kind_of(connection).upstream_logout_url(connection):
        # Second hop, remembered in the fresh (post-logout) session: Cognito will send the
        # browser to our logout_upstream view, which must know the connection without trusting
        # anything in the query string.
        stash.stash(request, stash.UPSTREAM_LOGOUT, {"connection": connection.pk})
    return logout_url(request, connection, id_token=data.get("id_token")), connection


def upstream_logout(request: HttpRequest) -> tuple[str, Connection | None]:
    """Second hop of a Cognito logout: the upstream IdP's own end-session page, then back to us.

    Cognito's ``/logout`` clears only Cognito's cookie and never ends the session at the customer's
    OIDC IdP (docs/cognito.md, "Logout"), so the next login would pass silently. When the
    connection has an ``upstream_logout_url``, :func:`logout` sends ``logout_uri`` to this hop
    (registered as the app client's sign-out URL) and marks the session; this pops the mark (single
    use, expires with ``STATE_TTL``) and redirects to the configured URL only, adding
    ``post_logout_redirect_uri`` (OIDC RP-Initiated Logout 1.0, section 2) unless it already has one.
    Without a valid mark it redirects to the ordinary after-logout page.
    """
    mark = stash.unstash(request, stash.UPSTREAM_LOGOUT)
    pk = mark.value.get("connection") if mark is not None and not mark.expired else None
    connection = None
    if isinstance(pk, int):
        connection = Connection.objects.select_related("organization").filter(pk=pk).first()
    upstream = kind_of(connection).upstream_logout_url(connection) if connection is not None else ""
    if not upstream:
        connection = None
    target = _after_logout_url(request, connection)
    if connection is None:
        return target, None
    parts = urlsplit(upstream)
    if "post_logout_redirect_uri" in parse_qs(parts.query):
        return upstream, connection
    query = urlencode([*parse_qsl(parts.query), ("post_logout_redirect_uri", target)], quote_via=quote)
    return urlunsplit(parts._replace(query=query)), connection


def _after_logout_url(request: HttpRequest, connection: Connection | None) -> str:
    target = (connection.logout_redirect_url if connection else "") or app_settings.LOGOUT_REDIRECT_URL
    return absolute(request, target) if target.startswith("/") else target


def provider_logout_target(request: HttpRequest, connection: Connection) -> str:
    """The URL the identity provider sends the browser to after its logout; it must be registered
    there (Cognito ``LogoutURLs``, OIDC ``post_logout_redirect_uris``). With an upstream logout URL,
    a Cognito connection's target is the second hop (see :func:`upstream_logout`)."""
    if kind_of(connection).upstream_logout_url(connection):
        return absolute(request, reverse("tenant_sso:logout_upstream"))
    return _after_logout_url(request, connection)


def logout_url(request: HttpRequest, connection: Connection, *, id_token: str | None) -> str:
    """The kind's logout: Cognito's ``/logout``; RP-Initiated Logout for OIDC (else ``target``)."""
    target = provider_logout_target(request, connection)
    try:
        metadata = wiring.metadata_for(connection)
    except (ProviderError, ConfigurationError):
        return _after_logout_url(request, connection)  # the IdP cannot be reached to end its own
    url = kind_of(connection).logout_url(
        connection, metadata, target=target, id_token=id_token, state=pkce.random_token(16)
    )
    return url or target

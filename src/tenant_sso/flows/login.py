"""Starting a login: find the connection (organization slug or email domain), stash the attempt,
return the authorization URL; and which organization this browser is signed in to."""

from __future__ import annotations

import logging
from enum import StrEnum

from django.core.validators import slug_re
from django.db.models import Q
from django.http import HttpRequest

from .. import realm_cache, stash, wiring
from ..exceptions import (
    ConfigurationError,
    RequestError,
)
from ..kinds import kind_of
from ..models import Connection, Organization, normalize_domain
from ..oidc import pkce
from ..oidc.client import authorization_url
from ..urlsafety import safe_next
from .urls import landing_url, redirect_uri_for

ATTEMPTS_COOKIE_PREFIX = stash.ATTEMPTS.key
SESSION_KEY = "tenant_sso.login"
UPSTREAM_LOGOUT_KEY = stash.UPSTREAM_LOGOUT.key
BACKEND = "tenant_sso.backends.SSOBackend"

logger = logging.getLogger("tenant_sso")


class LoginMode(StrEnum):
    """Why a login was started; the callback's outcome is dispatched on it (views.callback)."""

    LOGIN = "login"
    #: The admin's "Try login": the claims, groups and decision are shown; no user, no session.
    TEST = "test"
    #: The setup portal's test sign-in (docs/setup-portal.md): like TEST, shown to the customer's
    #: IT admin in the wizard; no user, no session.
    SETUP = "setup"

    @property
    def is_test(self) -> bool:
        """Nobody is signed in: the connection may be disabled, a policy refusal is shown."""
        return self in (LoginMode.TEST, LoginMode.SETUP)


# -- finding the connection ------------------------------------------------------------------
def find_connection(*, org: str | None = None, email: str | None = None) -> Connection:
    """The enabled connection of an organization, by slug or by the email's domain.

    Through :mod:`~tenant_sso.realm_cache` (the connection found is cached, invalidated on every
    change): no query for a known domain or slug. Without its client secret (deferred)."""
    queryset = Connection.objects.select_related("organization").defer(*realm_cache.DEFERRED)
    if org:
        # Not a slug, not a lookup: PostgreSQL refuses strings with NUL (a 500), and nothing else
        # can match anyway.
        if not slug_re.match(org):
            raise ConfigurationError("unknown_organization", status=404, detail="org is not a slug")
        slug = org[:100]
        connection = realm_cache.lookup(
            "org", slug, lambda: queryset.filter(organization__slug=slug, enabled=True).first()
        )
        if connection is None:
            raise ConfigurationError("unknown_organization", status=404, detail=f"org {org[:100]!r}")
        return connection
    if email:
        email = email.strip()
        if "@" not in email or len(email) > 254 or any(ord(c) < 32 or ord(c) == 127 for c in email):
            raise RequestError("email_invalid", "This is not a valid email address. Please check it.")
        domain = normalize_domain(email.rsplit("@", 1)[1])
        # One query, one round trip: the domain's unique index finds the organization, the join
        # its enabled connection (constant time whatever the number of tenants), through the realm
        # cache. An organization that requires verified domains is found only by a verified one
        # (one filter() call: the conditions share the domain's join; docs/domain-verification.md).
        connection = realm_cache.lookup(
            "domain",
            domain,
            lambda: queryset.filter(
                Q(organization__require_verified_domains=False) | Q(organization__domains__verified_at__isnull=False),
                organization__domains__domain=domain,
                enabled=True,
            ).first(),
        )
        if connection is None:
            raise ConfigurationError(
                "unknown_domain",
                "Single sign-on is not set up for this email domain.",
                status=404,
                detail=f"domain {domain[:100]!r}",
            )
        return connection
    raise RequestError(
        "organization_missing",
        "This sign-in link names no organization. Please start again from the sign-in page.",
    )


# -- begin -----------------------------------------------------------------------------------
def begin_login(
    request: HttpRequest,
    connection: Connection,
    *,
    next_url: str | None = None,
    mode: LoginMode = LoginMode.LOGIN,
    login_hint: str | None = None,
    prompt: str | None = None,
) -> str:
    """Store a new attempt in this browser (a sealed cookie: :mod:`~tenant_sso.stash`) and return
    the authorization URL to redirect to; the view writes the cookie (``stash.write_cookies``).

    A ``next`` too long to fit in the cookie (over about 2,000 bytes once JSON-escaped) is
    dropped for the landing page, and logged. ``prompt="login"`` asks the provider to
    authenticate again even over an existing session (the admin's Try login, so an operator can
    try another user)."""
    metadata = wiring.metadata_for(connection)
    nonce, verifier = pkce.random_token(), pkce.make_verifier()
    callback = redirect_uri_for(connection, request)
    next_url = safe_next(next_url, landing_url())
    attempt = {
        "connection": connection.pk,
        "nonce": nonce,
        "verifier": verifier,
        "redirect_uri": callback,
        "next": next_url,
        "mode": str(mode),
    }
    try:
        state = stash.stash(request, stash.ATTEMPTS, attempt)  # its id is the state
    except stash.TooLarge:
        logger.info("login attempt's next URL too long for its cookie (%d characters): landing page", len(next_url))
        state = stash.stash(request, stash.ATTEMPTS, {**attempt, "next": landing_url()})
    kind = kind_of(connection)
    extra = kind.authorization_params(connection, login_hint=login_hint)
    if prompt:
        extra["prompt"] = prompt
    return authorization_url(
        metadata,
        client_id=connection.client_id,
        redirect_uri=callback,
        state=state,
        nonce=nonce,
        code_challenge=pkce.s256_challenge(verifier),
        scope=kind.scope(connection, metadata),
        extra=extra,
    )


def begin_idp_initiated_login(request: HttpRequest, connection: Connection) -> str:
    """The authorization URL of a fresh SP-initiated login answering an IdP-initiated sign-in.

    Cognito sends an IdP-initiated SAML sign-in (the app's tile in Okta / Entra) to
    ``idp-initiated/<org>/`` with a ``code`` and no ``state``: nothing ties that code to this
    browser (login CSRF), so it is never redeemed. With ``Connection.idp_initiated`` on, a new
    login with its own state, nonce and PKCE starts instead; the IdP's fresh session completes it
    without asking again. Off: ``idp_initiated_disabled`` (docs/security.md, "IdP-initiated
    sign-in").
    """
    if not connection.idp_initiated:
        raise ConfigurationError(
            "idp_initiated_disabled",
            "Sign-in from your identity provider's app tile is not enabled for this organization. "
            "Please sign in from this site's login page.",
            status=403,
            detail=f"org {connection.organization.slug!r}",
        )
    return begin_login(request, connection)


def session_organization(request: HttpRequest) -> str | None:
    """The organization whose SSO session this browser holds, "" for a session not made by SSO,
    None when nobody is signed in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    data = request.session.get(SESSION_KEY)
    return str(data.get("organization", "")) if isinstance(data, dict) else ""


def organization_name(slug: str | None) -> str | None:
    """How the confirmation page names what :func:`session_organization` returned."""
    if slug is None:
        return None
    if not slug:
        return "this site (not single sign-on)"
    return Organization.objects.filter(slug=slug).values_list("name", flat=True).first() or slug

"""The use cases: begin a login, complete it at the callback, log out.

Views call these and stay thin; these call the protocol layer (:mod:`tenant_sso.oidc`), the
claim policy (:mod:`tenant_sso.claims`), the adapter and :mod:`tenant_sso.provisioning`.

Each login attempt's state lives in the session under its own ``state`` value (several tabs
work at once), is single use (popped before anything else happens) and expires.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit, urlunsplit

from django.conf import global_settings, settings
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.core.cache import caches
from django.core.validators import slug_re
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone

from . import sessions, wiring
from .adapter import get_adapter
from .claims import check_claims_schema
from .cognito.claims import check_identity_provider
from .conf import app_settings
from .exceptions import ConfigurationError, ProviderError, ProviderRefused, RequestError, TokenError
from .models import Connection, Organization, normalize_domain
from .oidc import pkce
from .oidc.client import (
    authorization_url,
    cognito_logout_url,
    exchange_code,
    fetch_userinfo,
    request_scope,
    rp_initiated_logout_url,
)
from .oidc.tokens import Expectations, validate_id_token
from .provisioning import provision
from .urlsafety import safe_next

ATTEMPTS_KEY = "tenant_sso.attempts"
SESSION_KEY = "tenant_sso.login"
UPSTREAM_LOGOUT_KEY = "tenant_sso.upstream_logout"
BACKEND = "tenant_sso.backends.SSOBackend"

logger = logging.getLogger("tenant_sso")


def absolute(request: HttpRequest, path: str) -> str:
    base = app_settings.BASE_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def redirect_uri(request: HttpRequest) -> str:
    """The shared callback URL (Cognito connections); see :func:`redirect_uri_for`."""
    return absolute(request, reverse("tenant_sso:callback"))


def uses_shared_callback(connection: Connection) -> bool:
    """Cognito connections share ``callback/``; OIDC ones get their own (mix-up defence, RFC 9700
    4.4), unless the organization is listed in ``TENANT_SSO_OIDC_SHARED_CALLBACK`` (upgrade aid)."""
    return connection.is_cognito or connection.organization.slug in app_settings.OIDC_SHARED_CALLBACK


def callback_org(connection: Connection) -> str | None:
    """The organization slug in this connection's callback path; None for the shared callback."""
    return None if uses_shared_callback(connection) else connection.organization.slug


def redirect_uri_for(
    connection: Connection, request: HttpRequest | None = None, *, base_url: str | None = None
) -> str:
    """The redirect URI to register at ``connection``'s provider, and the one its logins send.

    OIDC: ``<base>/<mount>/callback/<organization slug>/``; Cognito (one app client per tenant
    in pools the operator runs, endpoints never discovered): the shared ``<mount>/callback/``.
    The base is ``base_url``, else ``TENANT_SSO_BASE_URL``, else the request's origin. Works on
    unsaved connections (``Connection(kind="oidc", organization=Organization(slug="acme"))``),
    so a provider can be told the URI before the connection exists.
    """
    org = callback_org(connection)
    path = (
        reverse("tenant_sso:callback")
        if org is None
        else reverse("tenant_sso:connection_callback", kwargs={"org": org})
    )
    base = (base_url or app_settings.BASE_URL).rstrip("/")
    if base:
        return f"{base}{path}"
    if request is None:
        raise ConfigurationError(
            "base_url_missing", detail="redirect_uri_for needs a request, base_url or TENANT_SSO_BASE_URL"
        )
    return request.build_absolute_uri(path)


def landing_url() -> str:
    """Where a user lands after login without a safe ``next``: ``TENANT_SSO_LOGIN_REDIRECT_URL``
    (a path or a URL name), else ``/``; never Django's ``/accounts/profile/`` default."""
    return safe_next(resolve_url(app_settings.LOGIN_REDIRECT_URL), "/")


def login_page_url() -> str:
    """The login page: the project's ``LOGIN_URL`` when it sets one, else the package's own
    (``tenant_sso:signin``); Django's default ``/accounts/login/`` is a 404 in most projects."""
    if settings.LOGIN_URL != global_settings.LOGIN_URL:
        return resolve_url(settings.LOGIN_URL)
    return reverse("tenant_sso:signin")


# -- finding the connection ------------------------------------------------------------------
def find_connection(*, org: str | None = None, email: str | None = None) -> Connection:
    """The enabled connection of an organization, by slug or by the email's domain."""
    queryset = Connection.objects.select_related("organization")
    if org:
        # Not a slug, not a lookup: PostgreSQL refuses strings with NUL (a 500), and nothing else
        # can match anyway.
        if not slug_re.match(org):
            raise ConfigurationError("unknown_organization", status=404, detail="org is not a slug")
        connection = queryset.filter(organization__slug=org[:100], enabled=True).first()
        if connection is None:
            raise ConfigurationError("unknown_organization", status=404, detail=f"org {org[:100]!r}")
        return connection
    if email:
        email = email.strip()
        if "@" not in email or len(email) > 254 or any(ord(c) < 32 or ord(c) == 127 for c in email):
            raise RequestError("email_invalid", "This is not a valid email address. Please check it.")
        domain = normalize_domain(email.rsplit("@", 1)[1])
        # One query, one round trip: the domain's unique index finds the organization, the join
        # its enabled connection (constant time whatever the number of tenants).
        connection = queryset.filter(organization__domains__domain=domain, enabled=True).first()
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
    mode: str = "login",
    login_hint: str | None = None,
    prompt: str | None = None,
) -> str:
    """Store a new attempt in the session and return the authorization URL to redirect to.

    ``prompt="login"`` asks the provider to authenticate again even over an existing session
    (the admin's Try login, so an operator can try another user)."""
    metadata = wiring.metadata_for(connection)
    state, nonce, verifier = pkce.random_token(), pkce.random_token(), pkce.make_verifier()
    callback = redirect_uri_for(connection, request)
    attempts: dict[str, dict[str, Any]] = dict(request.session.get(ATTEMPTS_KEY, {}))
    now = time.time()
    attempts = {k: v for k, v in attempts.items() if now - v["at"] < app_settings.STATE_TTL}
    while len(attempts) >= app_settings.MAX_PENDING_LOGINS:
        attempts.pop(min(attempts, key=lambda k: attempts[k]["at"]))
    attempts[state] = {
        "connection": connection.pk,
        "nonce": nonce,
        "verifier": verifier,
        "redirect_uri": callback,
        "next": safe_next(next_url, landing_url()),
        "mode": mode,
        "at": now,
    }
    request.session[ATTEMPTS_KEY] = attempts
    extra: dict[str, str] = {}
    if connection.is_cognito and connection.identity_provider:
        extra["identity_provider"] = connection.identity_provider
    if login_hint and not connection.is_cognito:
        extra["login_hint"] = login_hint[:254]
    if prompt:
        extra["prompt"] = prompt
    return authorization_url(
        metadata,
        client_id=connection.client_id,
        redirect_uri=callback,
        state=state,
        nonce=nonce,
        code_challenge=pkce.s256_challenge(verifier),
        # Cognito: openid releases every readable attribute; the IdP's scopes are set in the pool.
        # A connection's extra scopes are always sent (docs/wiring.md, "Extra scopes").
        scope=(
            " ".join(dict.fromkeys(["openid", *connection.extra_scopes]))
            if connection.is_cognito
            else request_scope(metadata, extra=connection.extra_scopes)
        ),
        extra=extra,
    )


# -- complete --------------------------------------------------------------------------------
#: Authorization errors a person causes or can fix (OIDC Core 3.1.2.6, RFC 6749 4.1.2.1): each
#: has its own reason code, a page saying what to do, and a 4xx status (the provider is not down).
#: ``access_denied`` is what providers send when the user cancels (or declines consent) at their
#: page; the provider's description is kept in the audit detail.
USER_ERRORS: dict[str, tuple[str, str, int]] = {
    "access_denied": (
        "idp_cancelled",
        "The sign-in was cancelled at your identity provider. Start again when you are ready; if you "
        "did not cancel, ask your IT administrator whether your account may use this application.",
        400,
    ),
    "consent_required": (
        "consent_required",
        "Your identity provider needs consent for this application before you can sign in. Start again "
        "and accept it; if you are not offered the choice, ask your IT administrator to grant consent "
        "for this application.",
        403,
    ),
    "login_required": (
        "login_required",
        "Your identity provider needs you to sign in again. Please start again and sign in.",
        401,
    ),
    "interaction_required": (
        "interaction_required",
        "Your identity provider needs you to complete a step first (for example set up multi-factor "
        "authentication or accept its terms). Start again and complete it; if it is not offered, ask "
        "your IT administrator.",
        403,
    ),
}

@dataclass
class Callback:
    """What the callback learned so far; the view reads it to audit a failure."""

    connection: Connection | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    mode: str = "login"
    next_url: str = "/"
    user: Any = None
    created: bool = False


STATE_USED = "This sign-in link was already used or belongs to another browser. Please start again."


def pending_attempt(request: HttpRequest, state: str) -> dict[str, Any] | None:
    """The attempt ``state`` names in this browser's session, without consuming it."""
    attempts = request.session.get(ATTEMPTS_KEY)
    attempt = attempts.get(state) if isinstance(attempts, dict) and state else None
    return attempt if isinstance(attempt, dict) else None


def _pop_attempt(request: HttpRequest, state: str) -> dict[str, Any]:
    attempts = dict(request.session.get(ATTEMPTS_KEY, {}))
    attempt: dict[str, Any] | None = attempts.pop(state, None)
    if attempt is None:
        # Nothing to consume: the session is left untouched (an anonymous refusal never
        # creates or writes a session).
        raise RequestError("state_unknown", STATE_USED)
    # The session is saved at the end of the request, so two copies of one callback sent at
    # once both find the attempt; the shared cache's atomic add lets exactly one through. The
    # others leave the session alone: the winner may already have replaced it (login() cycles
    # the key), and writing the stale copy back would end in Django's SessionInterrupted.
    if not _claim_once(state):
        raise RequestError("state_unknown", STATE_USED, detail="attempt consumed by a concurrent request")
    request.session[ATTEMPTS_KEY] = attempts  # single use, whatever happens next
    if time.time() - attempt["at"] > app_settings.STATE_TTL:
        raise RequestError("state_expired", "The sign-in took too long. Please start again.")
    return attempt


def _claim_once(state: str) -> bool:
    """Atomically mark the attempt ``state`` used (``cache.add``); False when it already was.

    A cache server that cannot be reached lets the attempt through (logins go on during a cache
    outage; the session's own pop and the IdP's single-use code remain)."""
    key = "tenant_sso:attempt:" + hashlib.sha256(state.encode("utf-8", "surrogatepass")).hexdigest()
    try:
        return bool(caches[app_settings.CACHE_ALIAS].add(key, 1, app_settings.STATE_TTL + 60))
    except Exception as error:
        logger.warning("login attempt not claimed in the cache (%s: %s)", type(error).__name__, error)
        return True


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


def complete_login(
    request: HttpRequest, params: dict[str, str], result: Callback, *, org: str | None = None
) -> Callback:
    """Validate the callback, exchange the code, validate the ID token, apply the policy, log in.

    ``org``: the organization slug of the callback path hit (None: the shared callback); it must
    be the one of the attempt's connection (:func:`redirect_uri_for`), else a code meant for one
    connection's provider could be sent to another's token endpoint (mix-up, RFC 9700 4.4).
    """
    state = params.get("state", "")
    if not state:
        raise RequestError("state_missing", "The sign-in answer is incomplete. Please start again.")
    attempt = _pop_attempt(request, state)
    result.mode, result.next_url = attempt["mode"], attempt["next"]
    connection = Connection.objects.select_related("organization").filter(pk=attempt["connection"]).first()
    # A disabled connection admits nobody; an admin's test login may still try it before it is
    # enabled (test mode never creates a user or a session).
    if connection is None or not (connection.enabled or result.mode == "test"):
        raise ConfigurationError("connection_disabled", detail="connection removed or disabled")
    result.connection = connection
    if org != callback_org(connection):
        raise RequestError(
            "callback_mismatch",
            "This sign-in answer arrived at another organization's address. Please start again.",
            detail=f"callback path org {org!r:.80}, connection expects {callback_org(connection)!r}",
        )
    metadata = wiring.metadata_for(connection)
    # RFC 9207: an iss response parameter must name this connection's issuer (mix-up defence).
    iss = params.get("iss")
    if iss is not None and iss != connection.issuer:
        raise RequestError("issuer_mismatch", detail="iss response parameter is another issuer")
    if iss is None and metadata.authorization_response_iss_parameter_supported:
        raise RequestError("issuer_missing", detail="provider promises RFC 9207 iss but sent none")
    if "error" in params:
        error = "".join(c for c in params["error"][:64] if c.isalnum() or c in "_-.")
        description = params.get("error_description", "")[:200]
        code, message, status = USER_ERRORS.get(
            error, ("idp_error", f"Your identity provider refused the sign-in ({error or 'error'}).", 502)
        )
        raise ProviderRefused(
            code,
            message,
            status=status,
            detail=f"error={error!r} description={description!r}",
            provider_error=error,
        )
    code = params.get("code", "")
    if not code:
        raise RequestError("code_missing", "The sign-in answer is incomplete. Please start again.")
    tokens = exchange_code(
        wiring.http(),
        metadata,
        wiring.credentials_for(connection, metadata),
        code=code,
        redirect_uri=attempt["redirect_uri"],
        code_verifier=attempt["verifier"],
    )
    resolver = wiring.key_resolver()
    expect = Expectations(
        issuer=connection.issuer,
        client_id=connection.client_id,
        nonce=attempt["nonce"],
        algorithms=connection.effective_algorithms,
        leeway=app_settings.CLOCK_LEEWAY,
        max_age=app_settings.MAX_TOKEN_AGE,
        token_use="id" if connection.is_cognito else None,
        max_length=app_settings.MAX_TOKEN_LENGTH,
    )
    claims = validate_id_token(
        tokens.get("id_token"), lambda header: resolver.resolve(metadata.jwks_uri, header), expect
    )
    check_claims_schema(claims)  # before anything stores, shows or audits a claim
    result.claims = claims
    if connection.is_cognito:
        check_identity_provider(claims, connection.identity_provider)
    if connection.use_userinfo and isinstance(tokens.get("access_token"), str):
        userinfo = fetch_userinfo(wiring.http(), metadata, tokens["access_token"])
        check_claims_schema(userinfo, source="userinfo")
        if userinfo.get("sub") != claims["sub"]:  # OIDC Core 5.3.2
            raise TokenError("userinfo_sub_mismatch", detail="userinfo sub differs from the ID token")
        claims = {**userinfo, **claims}
        result.claims = claims
    adapter = get_adapter()
    result.groups = adapter.groups_from_claims(connection, claims)
    result.matched = adapter.check_access(connection, claims, result.groups)
    if result.mode == "test":
        return result  # admin "try login": claims and decision shown, no user, no session
    provisioned = provision(adapter, connection, claims, result.groups)
    result.user, result.created = provisioned.user, provisioned.created
    previous_key = request.session.session_key if request.session.get(SESSION_KEY) else None
    django_login(request, provisioned.user, backend=BACKEND)
    request.session[SESSION_KEY] = {
        "connection": connection.pk,
        "organization": connection.organization.slug,
        "idp_groups": result.groups,
        "id_token": tokens["id_token"],
        "login_at": int(time.time()),
    }
    request.session.set_expiry(timezone.now() + timedelta(seconds=connection.max_session_age))
    sessions.start(
        request,
        user=provisioned.user,
        connection=connection,
        identity=provisioned.identity,
        claims=claims,
        previous_key=previous_key,
    )
    return result


# -- logout ----------------------------------------------------------------------------------
def logout(request: HttpRequest) -> tuple[str, Connection | None]:
    """End the Django session; return where to send the browser to end the IdP's session too."""
    data = request.session.get(SESSION_KEY) or {}
    connection = (
        Connection.objects.select_related("organization").filter(pk=int(data["connection"])).first()
        if isinstance(data, dict) and isinstance(data.get("connection"), int)
        else None
    )
    sessions.end_current(request)
    django_logout(request)
    if connection is None:
        return _after_logout_url(request, None), None
    if connection.is_cognito and connection.upstream_logout_url:
        # Second hop, remembered in the fresh (post-logout) session: Cognito will send the
        # browser to our logout_upstream view, which must know the connection without trusting
        # anything in the query string.
        request.session[UPSTREAM_LOGOUT_KEY] = {"connection": connection.pk, "at": time.time()}
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
    mark = request.session.pop(UPSTREAM_LOGOUT_KEY, None)
    mark = mark if isinstance(mark, dict) else {}
    pk, at = mark.get("connection"), mark.get("at")
    connection = None
    if isinstance(pk, int) and isinstance(at, float) and time.time() - at <= app_settings.STATE_TTL:
        connection = (
            Connection.objects.select_related("organization")
            .filter(pk=pk, kind=Connection.Kind.COGNITO)
            .exclude(upstream_logout_url="")
            .first()
        )
    target = _after_logout_url(request, connection)
    if connection is None:
        return target, None
    upstream = connection.upstream_logout_url
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
    if connection.is_cognito and connection.upstream_logout_url:
        return absolute(request, reverse("tenant_sso:logout_upstream"))
    return _after_logout_url(request, connection)


def logout_url(request: HttpRequest, connection: Connection, *, id_token: str | None) -> str:
    """Cognito's ``/logout`` for Cognito connections; RP-Initiated Logout for OIDC ones."""
    target = provider_logout_target(request, connection)
    try:
        metadata = wiring.metadata_for(connection)
    except (ProviderError, ConfigurationError):
        return _after_logout_url(request, connection)  # the IdP cannot be reached to end its own
    if connection.is_cognito:
        return cognito_logout_url(metadata, client_id=connection.client_id, logout_uri=target)
    return (
        rp_initiated_logout_url(
            metadata,
            client_id=connection.client_id,
            id_token_hint=id_token,
            post_logout_redirect_uri=target,
            state=pkce.random_token(16),
        )
        or target
    )

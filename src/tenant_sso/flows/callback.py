"""Completing a login at the callback: :func:`verify_callback` (the answer, the code exchange, the
ID token, the policy) returns a :class:`VerifiedLogin` or raises :class:`CallbackRefused`;
:func:`sign_in` then provisions the user and starts the session."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import login as django_login
from django.db import router
from django.http import HttpRequest
from django.utils import timezone

from .. import session_index, sql, stash, wiring
from ..adapter import get_adapter
from ..claims import check_claims_schema
from ..conf import app_settings
from ..exceptions import (
    AccessDenied,
    ConfigurationError,
    ProviderRefused,
    RequestError,
    SSOError,
    TokenError,
)
from ..kinds import kind_of
from ..models import Connection
from ..oidc.client import exchange_code, fetch_userinfo
from ..oidc.metadata import ProviderMetadata
from ..oidc.tokens import Expectations, validate_id_token
from ..provisioning import provision
from .login import BACKEND, SESSION_KEY, LoginMode
from .urls import callback_org

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


@dataclass(frozen=True)
class VerifiedLogin:
    """What a callback proved: a valid ID token of ``connection``, and the policy's decision.

    ``denial``: in test mode only, the policy's refusal (shown, not raised); else ``None`` and
    ``matched`` names the allowed groups that let the user in."""

    connection: Connection
    mode: LoginMode
    next_url: str
    claims: dict[str, Any]
    groups: list[str]
    matched: list[str]
    id_token: str = ""
    denial: AccessDenied | None = None


@dataclass(frozen=True)
class SignedIn:
    """The sign-in step's outcome (:func:`sign_in`)."""

    user: Any
    created: bool


class CallbackRefused(Exception):
    """A callback failed with ``error``; ``connection`` and ``claims`` are what was known then
    (the audit event records them)."""

    def __init__(
        self, error: SSOError, connection: Connection | None = None, claims: dict[str, Any] | None = None
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.connection = connection
        self.claims = claims or {}


STATE_USED = "This sign-in link was already used or belongs to another browser. Please start again."


def pending_attempt(request: HttpRequest, state: str) -> dict[str, Any] | None:
    """The attempt ``state`` names in this browser's session, without consuming it."""
    return stash.peek(request, stash.ATTEMPTS, state)


def _take_attempt(request: HttpRequest, state: str) -> dict[str, Any]:
    try:
        taken = stash.unstash(request, stash.ATTEMPTS, state)
    except stash.AlreadyTaken:
        raise RequestError(
            "state_unknown", STATE_USED, detail="attempt consumed by a concurrent request"
        ) from None
    if taken is None:
        raise RequestError("state_unknown", STATE_USED)
    if taken.expired:
        raise RequestError("state_expired", "The sign-in took too long. Please start again.")
    return taken.value


def verify_callback(request: HttpRequest, params: dict[str, str], *, org: str | None = None) -> VerifiedLogin:
    """Validate the callback, exchange the code, validate the ID token, apply the policy.

    Raises :class:`CallbackRefused` (the error, with the connection and claims known then). In
    test mode the policy's refusal is returned in :attr:`VerifiedLogin.denial` instead.

    ``org``: the organization slug of the callback path hit (None: the shared callback); it must
    be the one of the attempt's connection (:func:`redirect_uri_for`), else a code meant for one
    connection's provider could be sent to another's token endpoint (mix-up, RFC 9700 4.4).
    """
    state = params.get("state", "")
    try:
        if not state:
            raise RequestError("state_missing", "The sign-in answer is incomplete. Please start again.")
        attempt = _take_attempt(request, state)
    except SSOError as error:
        raise CallbackRefused(error) from error
    mode = LoginMode(attempt["mode"])
    # With its organization, in one read written as SQL (tenant_sso.sql: the ORM took 1.3 ms to build it).
    connection = sql.connection(router.db_for_read(Connection), attempt["connection"])
    # A disabled connection admits nobody; an admin's test login may still try it before it is
    # enabled (test mode never creates a user or a session).
    if connection is None or not (connection.enabled or mode.is_test):
        raise CallbackRefused(
            ConfigurationError("connection_disabled", detail="connection removed or disabled")
        )
    claims: dict[str, Any] = {}
    groups: list[str] = []
    try:
        metadata, tokens, token_claims = _exchange(params, attempt, connection, org)
        try:
            check_claims_schema(token_claims)  # before anything stores, shows or audits a claim
            claims = token_claims
            kind_of(connection).check_claims(connection, claims)
            claims = _with_userinfo(connection, metadata, tokens, claims)
            adapter = get_adapter()
            groups = adapter.groups_from_claims(connection, claims)
            matched = adapter.check_access(connection, claims, groups)
        except AccessDenied as denial:
            if not mode.is_test:
                raise
            return VerifiedLogin(
                connection, mode, attempt["next"], claims, groups, [], tokens["id_token"], denial
            )
    except SSOError as error:
        raise CallbackRefused(error, connection, claims) from error
    return VerifiedLogin(connection, mode, attempt["next"], claims, groups, matched, tokens["id_token"])


def _exchange(
    params: dict[str, str], attempt: dict[str, Any], connection: Connection, org: str | None
) -> tuple[ProviderMetadata, dict[str, Any], dict[str, Any]]:
    """The answer's checks, the code exchange and the ID token's validation: (metadata, token
    response, the ID token's claims, not yet checked against the claims schema)."""
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
        token_use=kind_of(connection).token_use,
        max_length=app_settings.MAX_TOKEN_LENGTH,
    )
    claims = validate_id_token(
        tokens.get("id_token"), lambda header: resolver.resolve(metadata.jwks_uri, header), expect
    )
    return metadata, tokens, claims


def _with_userinfo(
    connection: Connection, metadata: ProviderMetadata, tokens: dict[str, Any], claims: dict[str, Any]
) -> dict[str, Any]:
    """The ID token's claims, plus userinfo's when the connection asks for it (its sub must match)."""
    if not (connection.use_userinfo and isinstance(tokens.get("access_token"), str)):
        return claims
    userinfo = fetch_userinfo(wiring.http(), metadata, tokens["access_token"])
    check_claims_schema(userinfo, source="userinfo")
    if userinfo.get("sub") != claims["sub"]:  # OIDC Core 5.3.2
        raise TokenError("userinfo_sub_mismatch", detail="userinfo sub differs from the ID token")
    return {**userinfo, **claims}


def sign_in(request: HttpRequest, login: VerifiedLogin) -> SignedIn:
    """Provision the user of a verified login and start its Django session (and its SSO session row)."""
    connection, claims = login.connection, login.claims
    provisioned = provision(get_adapter(), connection, claims, login.groups)
    previous_key = request.session.session_key if request.session.get(SESSION_KEY) else None
    django_login(request, provisioned.user, backend=BACKEND)
    request.session[SESSION_KEY] = {
        "connection": connection.pk,
        "organization": connection.organization.slug,
        "idp_groups": login.groups,
        "id_token": login.id_token,
        "login_at": int(time.time()),
    }
    request.session.set_expiry(timezone.now() + timedelta(seconds=connection.max_session_age))
    session_index.start(
        request,
        user=provisioned.user,
        connection=connection,
        identity=provisioned.identity,
        claims=claims,
        previous_key=previous_key,
    )
    kind_of(connection).after_login(connection, provisioned.identity)
    return SignedIn(provisioned.user, provisioned.created)

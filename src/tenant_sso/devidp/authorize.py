"""The browser-facing endpoints: ``/oauth2/authorize``, the upstream ``/login`` form, ``/logout``.

Errors follow Cognito: an unknown client or an unregistered ``redirect_uri`` gets an error page
(HTTP 400, never a redirect); every other authorize error is sent back to the ``redirect_uri`` as
``error``, ``error_description`` and ``state`` (RFC 6749 4.1.2.1).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from . import pages
from .config import ClientConfig, UserConfig
from .core import (
    FORM_TYPE,
    PKCE_RE,
    SESSION_COOKIE,
    UPSTREAM_COOKIE,
    PendingLogin,
    Session,
    cookie_header,
    error_page_response,
    error_redirect,
    flat_params,
)
from .exceptions import DevIdPSignInError
from .saml_broker import SamlBroker
from .web import BadRequest, Request, Response, add_query, html_response, redirect, single, text_response

_PROMPTS = frozenset({"login", "none", "consent", "select_account"})
_INTERACTIVE_PROMPTS = frozenset({"login", "consent", "select_account"})


class _AuthorizeError(Exception):
    """An authorize error that is sent back to the (already validated) redirect_uri."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class AuthorizeEndpoints(SamlBroker):
    """``GET /oauth2/authorize``, ``POST /login``, ``GET /logout`` and the upstream sign-out."""

    def _authorize(self, request: Request) -> Response:
        q = request.query
        client_id = single(q, "client_id")
        redirect_uri = single(q, "redirect_uri")
        with self._lock:
            client = self._clients.get(client_id or "")
            if client is None:
                # Cognito shows its own error page: never redirect for an unknown client.
                return error_page_response("invalid_client", "Client does not exist")
            if redirect_uri is None or redirect_uri not in client.callback_urls:
                return error_page_response("redirect_mismatch", "redirect_uri is not registered")
        try:
            state = single(q, "state")
        except BadRequest as exc:
            return error_redirect(redirect_uri, "invalid_request", str(exc), None)
        try:
            return self._authorize_valid(request, client, redirect_uri, state)
        except (_AuthorizeError, BadRequest) as exc:
            error, description = (
                (exc.error, exc.description)
                if isinstance(exc, _AuthorizeError)
                else ("invalid_request", str(exc))
            )
            return error_redirect(redirect_uri, error, description, state)

    def _authorize_valid(
        self, request: Request, client: ClientConfig, redirect_uri: str, state: str | None
    ) -> Response:
        q = request.query
        response_type = single(q, "response_type")
        if response_type is None:
            raise _AuthorizeError("invalid_request", "response_type is required")
        if response_type != "code":
            raise _AuthorizeError("unsupported_response_type", f"{response_type} is not supported")
        scope = single(q, "scope")
        scopes = tuple(dict.fromkeys(scope.split())) if scope else ()
        if "openid" not in scopes:
            raise _AuthorizeError("invalid_scope", "the openid scope is required")
        not_allowed = [s for s in scopes if s not in client.allowed_scopes]
        if not_allowed:
            raise _AuthorizeError("invalid_scope", f"scope not allowed: {' '.join(not_allowed)}")
        challenge = single(q, "code_challenge")
        method = single(q, "code_challenge_method")
        if challenge is None and method is not None:
            raise _AuthorizeError("invalid_request", "code_challenge is required")
        if challenge is not None:
            # Cognito supports S256 only; a missing method would mean "plain" (RFC 7636 4.3).
            if method != "S256":
                raise _AuthorizeError("invalid_request", "code_challenge_method must be S256")
            if not PKCE_RE.match(challenge):
                raise _AuthorizeError("invalid_request", "malformed code_challenge")
        prompt = single(q, "prompt")
        if prompt is not None and prompt not in _PROMPTS:
            raise _AuthorizeError("invalid_request", f"unsupported prompt {prompt!r}")
        nonce = single(q, "nonce")
        candidates = self._select_idps(client, single(q, "identity_provider"), single(q, "idp_identifier"))

        with self._lock:
            now = self.clock()
            interactive = prompt in _INTERACTIVE_PROMPTS
            # Silent SSO with the hosted domain's session cookie (Cognito's lives one hour).
            session = self._live_session(request.cookies.get(SESSION_COOKIE), now)
            if session is not None and not interactive and session.user_key[0] in candidates:
                if single(q, "identity_provider") is not None and not self._refederate(session.user_key):
                    session = None  # the upstream user is gone or refused: its sign-in page
            if session is not None and not interactive and session.user_key[0] in candidates:
                code = self._new_code(
                    client,
                    redirect_uri,
                    session.user_key,
                    scopes,
                    nonce,
                    challenge,
                    session.auth_time,
                    now,
                )
                return redirect(add_query(redirect_uri, {"code": code, "state": state}))
            # The upstream IdP may still remember the user even though Cognito does not.
            if len(candidates) == 1 and not interactive:
                user = self._upstream_user(request.cookies.get(UPSTREAM_COOKIE), candidates[0], now)
                if user is not None:
                    return self._finish_login(
                        candidates[0],
                        user,
                        client,
                        redirect_uri,
                        scopes,
                        state,
                        nonce,
                        challenge,
                        request,
                    )
            if prompt == "none":
                raise _AuthorizeError("login_required", "the user is not signed in")
            if len(candidates) > 1:
                links = [
                    (name, f"/oauth2/authorize?{urlencode(flat_params(q, identity_provider=name))}")
                    for name in candidates
                ]
                return html_response(200, pages.chooser_page(client_id=client.client_id, links=links))
            idp_name = candidates[0]
            saml_idp = self._idps[idp_name].is_saml
        pending = PendingLogin(
            csrf_token="" if saml_idp else secrets.token_urlsafe(24),  # the upstream form's, OIDC only
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=state,
            nonce=nonce,
            code_challenge=challenge,
            idp_name=idp_name,
            expires_at=self.clock() + self.pending_ttl,
        )
        if saml_idp:
            # Cognito sends the browser to the SAML IdP with an AuthnRequest (saml_broker.py).
            return self._saml_start(pending, force_authn=prompt == "login")
        with self._lock:
            self._expire(self.clock())
            request_id = secrets.token_urlsafe(24)
            self._pending[request_id] = pending
            response = self._login_page(request_id, pending, status=200)
            response.context.update(pending=request_id, csrf_token=pending.csrf_token)
            return response

    def _select_idps(
        self, client: ClientConfig, identity_provider: str | None, idp_identifier: str | None
    ) -> list[str]:
        if identity_provider is not None:
            if identity_provider not in client.identity_providers:
                raise _AuthorizeError(
                    "invalid_request",
                    f"identity_provider {identity_provider!r} is not enabled for this client",
                )
            return [identity_provider]
        if idp_identifier is not None:
            wanted = idp_identifier.strip().lower().rpartition("@")[2]
            with self._lock:
                for name in client.identity_providers:
                    domains = {u.email.lower().rpartition("@")[2] for u in self._users[name].values()}
                    if wanted in self._idps[name].identifiers or wanted in domains:
                        return [name]
            raise _AuthorizeError(
                "invalid_request", f"no identity provider matches idp_identifier {idp_identifier!r}"
            )
        return list(client.identity_providers)

    def _login_page(
        self,
        request_id: str,
        pending: PendingLogin,
        status: int,
        error: str | None = None,
        email: str = "",
    ) -> Response:
        users = sorted(self._users[pending.idp_name].values(), key=lambda u: u.email.lower())
        html = pages.login_page(
            idp_name=pending.idp_name,
            client_id=pending.client_id,
            users=users,
            request_id=request_id,
            csrf_token=pending.csrf_token,
            error=error,
            email=email,
        )
        return html_response(status, html)

    def _login(self, request: Request) -> Response:
        if request.content_type != FORM_TYPE:
            return error_page_response("invalid_request", "expected a form post")
        form = request.form
        request_id = single(form, "request_id") or ""
        csrf_token = single(form, "csrf_token") or ""
        action = single(form, "action")
        email = single(form, "user") or single(form, "email")
        with self._lock:
            now = self.clock()
            pending = self._pending.get(request_id)
            if pending is None or pending.expires_at <= now:
                self._pending.pop(request_id, None)
                return error_page_response(
                    "invalid_request", "This sign-in request is unknown or expired; start again."
                )
            if not hmac.compare_digest(csrf_token.encode(), pending.csrf_token.encode()):
                return error_page_response("invalid_request", "CSRF token mismatch")
            if action == "cancel":
                del self._pending[request_id]
                description = f"The user cancelled the sign-in at {pending.idp_name}"
                return error_redirect(pending.redirect_uri, "access_denied", description, pending.state)
            if not email:
                return self._login_page(request_id, pending, 400, "Enter your email address.")
            user = self._find_user(pending.idp_name, email)
            if user is None:
                return self._login_page(
                    request_id,
                    pending,
                    400,
                    f"No account for {email} at {pending.idp_name}.",
                    email=email,
                )
            del self._pending[request_id]
            client = self._clients.get(pending.client_id)
            if client is None or pending.redirect_uri not in client.callback_urls:
                return error_page_response("redirect_mismatch", "client changed")
            return self._finish_login(
                pending.idp_name,
                user,
                client,
                pending.redirect_uri,
                pending.scopes,
                pending.state,
                pending.nonce,
                pending.code_challenge,
                request,
            )

    def _finish_login(
        self,
        idp_name: str,
        user: UserConfig,
        client: ClientConfig,
        redirect_uri: str,
        scopes: tuple[str, ...],
        state: str | None,
        nonce: str | None,
        challenge: str | None,
        request: Request,
    ) -> Response:
        """A successful sign-in at the upstream IdP: sync the pool user, open sessions, redirect."""
        now = self.clock()
        try:
            self._federated_login(idp_name, user)
        except DevIdPSignInError as exc:
            return error_redirect(redirect_uri, "invalid_request", str(exc), state)
        user_key = (idp_name, user.sub)
        headers = [self._open_session(user_key, now, request.cookies.get(SESSION_COOKIE))]
        if self._idps[idp_name].remember_upstream_session:
            upstream_id = request.cookies.get(UPSTREAM_COOKIE) or ""
            if upstream_id not in self._upstream:
                upstream_id = secrets.token_urlsafe(32)
                self._upstream[upstream_id] = {}
            self._upstream[upstream_id][idp_name] = (user.sub, now + 8 * 3600)
            headers.append(cookie_header(UPSTREAM_COOKIE, upstream_id, 8 * 3600))
        code = self._new_code(client, redirect_uri, user_key, scopes, nonce, challenge, int(now), now)
        return redirect(add_query(redirect_uri, {"code": code, "state": state}), headers)

    def _refederate(self, user_key: tuple[str, str]) -> bool:
        """With ``identity_provider``, Cognito redirects to the IdP even when its own session
        cookie is live (AWS: "it silently redirects your user to the sign-in page for that
        IdP"); the IdP's session signs the user in again and the pool user's attributes are
        synced from what the IdP sends now. ``False`` when the upstream user is gone or refused."""
        idp_name, sub = user_key
        user = self._users[idp_name].get(sub)
        if user is None:
            return False
        try:
            self._federated_login(idp_name, user)
        except DevIdPSignInError:
            return False
        return True

    def _live_session(self, session_id: str | None, now: float) -> Session | None:
        session = self._sessions.get(session_id or "")
        if session is None or session.expires_at <= now or session.user_key not in self._pool_users:
            return None
        return session

    def _upstream_user(self, upstream_id: str | None, idp_name: str, now: float) -> UserConfig | None:
        if not self._idps[idp_name].remember_upstream_session:
            return None
        entry = self._upstream.get(upstream_id or "", {}).get(idp_name)
        if entry is None or entry[1] <= now:
            return None
        return self._users[idp_name].get(entry[0])

    def _logout(self, request: Request) -> Response:
        q = request.query
        client_id = single(q, "client_id")
        logout_uri = single(q, "logout_uri")
        redirect_uri = single(q, "redirect_uri")
        with self._lock:
            client = self._clients.get(client_id or "")
            if client is None:
                return error_page_response("invalid_request", "Client does not exist")
            if logout_uri is not None:
                if logout_uri not in client.logout_urls:
                    return error_page_response("invalid_request", "logout_uri is not registered")
                target = logout_uri
            elif redirect_uri is not None:
                if redirect_uri not in client.callback_urls:
                    return error_page_response("redirect_mismatch", "redirect_uri is not registered")
                # Cognito's second form: sign out, then start a new sign-in with these parameters.
                target = f"{self.base_url}/oauth2/authorize?{urlencode(flat_params(q))}"
            else:
                return error_page_response("invalid_request", "Required parameters missing")
            self._sessions.pop(request.cookies.get(SESSION_COOKIE) or "", None)
        # Only Cognito's own cookie: the upstream IdP's session survives (as with real Cognito).
        return redirect(target, [cookie_header(SESSION_COOKIE, "", 0)])

    def _upstream_logout(self, request: Request) -> Response:
        """The upstream IdP's own sign-out page: ``/upstream/{IdPName}/logout``."""
        parts = request.path.split("/")
        if len(parts) != 4 or parts[3] != "logout" or parts[2] not in self._idps:
            return text_response(404, "Not Found\n")
        idp_name = parts[2]
        target = single(request.query, "post_logout_redirect_uri")
        with self._lock:
            if target is not None and not any(
                target in c.logout_urls for c in self._clients.values() if idp_name in c.identity_providers
            ):
                return error_page_response("invalid_request", "post_logout_redirect_uri is not registered")
            self._upstream.get(request.cookies.get(UPSTREAM_COOKIE) or "", {}).pop(idp_name, None)
        if target is not None:
            return redirect(target)
        return html_response(200, pages.message_page("Signed out", f"You are signed out of {idp_name}."))

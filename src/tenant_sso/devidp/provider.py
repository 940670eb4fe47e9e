"""The public class: :class:`DevIdP`, a Cognito user pool, its hosted domain and upstream IdPs.

:class:`DevIdP` answers parsed :class:`~.web.Request` objects with :class:`~.web.Response`
objects (:meth:`DevIdP.handle`); :mod:`.server` puts it on a socket. State lives in
:class:`~.core.PoolState`; the endpoints in :mod:`.authorize` and :mod:`.token`. Routes, mirroring
Amazon Cognito's (see ``docs/cognito.md`` in the repository):

* ``GET /{poolId}/.well-known/openid-configuration`` -- discovery
* ``GET /{poolId}/.well-known/jwks.json`` -- public signing keys
* ``GET /oauth2/authorize`` -- starts the code flow: login page, chooser or silent SSO
* ``POST /login`` -- the upstream IdP's sign-in form posts here
* ``POST /oauth2/token`` -- ``authorization_code`` and ``refresh_token`` grants
* ``GET|POST /oauth2/userInfo`` -- attributes for a Bearer access token
* ``POST /oauth2/revoke`` -- revokes a refresh token and its token family
* ``GET /logout`` -- Cognito's non-standard logout (both forms)
* ``GET /upstream/{IdPName}/logout`` -- sign-out at the *upstream* IdP (devidp only)
* ``POST /saml2/idpresponse`` -- a SAML IdP's Response (:mod:`.saml_broker`)
* ``POST /`` with ``X-Amz-Target`` -- the Cognito admin API calls of :mod:`.admin_api`
  (``AdminGetUser``, ``AdminDeleteUserAttributes``, ``AdminUserGlobalSignOut``)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .admin_api import AdminAPI
from .authorize import AuthorizeEndpoints
from .claims import PoolUser
from .config import ClientConfig, UserConfig
from .core import FORM_TYPE, error_page_response, query_params
from .exceptions import DevIdPConfigError, DevIdPLookupError
from .saml_broker import ACS_PATH
from .server import DevIdPServer
from .token import TokenEndpoints
from .web import BadRequest, Request, Response, json_response, text_response


class DevIdP(AuthorizeEndpoints, TokenEndpoints, AdminAPI):
    """A local, AWS-free stand-in for a Cognito user pool with federated OIDC providers.

    >>> idp = DevIdP(DevIdPConfig.from_dict(config_dict))            # doctest: +SKIP
    >>> with idp.serve() as server:                                    # doctest: +SKIP
    ...     print(server.issuer)

    Attributes meant to be changed by tests:

    ``code_ttl``, ``token_ttl``, ``session_ttl``, ``pending_ttl`` (seconds)
        lifetimes of authorization codes, ID/access tokens, the hosted-domain session and a
        login page waiting for the user.
    ``id_token_hook``
        ``hook(header, claims, sign) -> str`` replaces the signing of every ID token, where
        ``sign(header, claims)`` signs with the current key; return anything to forge tokens.
    ``clock``
        ``() -> float`` seconds since the epoch, used for every expiry and ``iat``.
    """

    def serve(self, host: str = "127.0.0.1", port: int = 0, *, keep_alive: bool = False) -> DevIdPServer:
        """Start serving in a background thread and return the server handle.

        ``port=0`` picks a free port. Only loopback hosts are accepted: this provider signs
        tokens for anyone who asks nicely. The handle is a context manager that stops it.
        ``keep_alive``: HTTP/1.1 persistent connections, as Cognito and real providers keep
        them (default: one request per connection); ``server.connections`` counts them.
        """
        with self._lock:
            if self._server is not None:
                raise RuntimeError("this DevIdP is already serving; stop() it first")
            server = DevIdPServer(self, host, port, keep_alive=keep_alive)
            self._server = server
            self._base_url = server.base_url
        return server

    def _detach(self, server: DevIdPServer) -> None:
        with self._lock:
            if self._server is server:
                self._server = None
                self._base_url = None

    def discovery(self) -> dict[str, Any]:
        """The OpenID Provider metadata, shaped like Cognito's."""
        base = self.base_url
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "token_endpoint": f"{base}/oauth2/token",
            "userinfo_endpoint": f"{base}/oauth2/userInfo",
            "revocation_endpoint": f"{base}/oauth2/revoke",
            "end_session_endpoint": f"{base}/logout",
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "token_use",
                "cognito:username",
                "cognito:groups",
                "identities",
                "email",
                "email_verified",
                "given_name",
                "family_name",
                "custom:groups",
                "custom:roles",
            ],
        }

    def jwks(self) -> dict[str, Any]:
        """The public JWK set (newest key first)."""
        return self.keys.jwks()

    def rotate_keys(self, retain: int | None = None) -> str:
        """Add a signing key (persisted when there is a key file) and return its ``kid``.

        Old keys stay published so earlier tokens still verify; ``retain=N`` keeps only the
        newest N.
        """
        return self.keys.rotate(retain)

    # ------------------------------------------------------------------ Python API for tests
    def users(self, idp_name: str) -> list[UserConfig]:
        """The upstream users of an identity provider."""
        with self._lock:
            self._idp(idp_name)
            return list(self._users[idp_name].values())

    def add_user(self, idp_name: str, user: Mapping[str, Any] | UserConfig) -> UserConfig:
        """Add a user to an upstream IdP (or replace the one with the same ``sub``)."""
        parsed = user if isinstance(user, UserConfig) else UserConfig.from_dict(user)
        with self._lock:
            self._idp(idp_name)
            other = self._find_user(idp_name, parsed.email)
            if other is not None and other.sub != parsed.sub:
                raise DevIdPConfigError(
                    f"identity provider {idp_name!r} already has a user with email {parsed.email!r}"
                )
            self._users[idp_name][parsed.sub] = parsed
        return parsed

    def update_user(self, idp_name: str, email: str, **changes: Any) -> UserConfig:
        """Change attributes of an upstream user (e.g. ``groups=[...]``, ``email_verified=False``).

        Like in Cognito, tokens carry what the pool user got at the last *interactive* sign-in
        through the IdP: the change shows after the next login that reaches the login page (a
        new browser, ``prompt=login`` or after ``/logout``), or in :meth:`issue_tokens_for`.
        Silent SSO and refresh tokens keep the old values.
        """
        with self._lock:
            self._idp(idp_name)
            user = self._find_user(idp_name, email)
            if user is None:
                raise DevIdPLookupError(f"{idp_name!r} has no user with email {email!r}")
            data = {**user.to_dict(), **changes}
            if data["sub"] != user.sub:
                raise DevIdPConfigError("a user's sub cannot be changed; add a new user instead")
            updated = UserConfig.from_dict(data, f"user {email!r}")
            other = self._find_user(idp_name, updated.email)
            if other is not None and other.sub != updated.sub:
                raise DevIdPConfigError(f"{idp_name!r} already has a user {updated.email!r}")
            self._users[idp_name][user.sub] = updated
        return updated

    def set_groups(self, idp_name: str, email: str, groups: Iterable[str]) -> UserConfig:
        """Replace the groups the upstream IdP sends for a user (see :meth:`update_user`)."""
        return self.update_user(idp_name, email, groups=list(groups))

    def set_roles(self, idp_name: str, email: str, roles: Iterable[str]) -> UserConfig:
        """Replace the roles the upstream IdP sends for a user (see :meth:`update_user`)."""
        return self.update_user(idp_name, email, roles=list(roles))

    def remove_user(self, idp_name: str, email: str) -> None:
        """Delete an upstream user (the pool user and its sessions stay, as in Cognito)."""
        with self._lock:
            self._idp(idp_name)
            user = self._find_user(idp_name, email)
            if user is None:
                raise DevIdPLookupError(f"{idp_name!r} has no user with email {email!r}")
            del self._users[idp_name][user.sub]

    def update_client(self, client_id: str, **changes: Any) -> ClientConfig:
        """Change an app client (e.g. ``callback_urls=[...]``), like ``update_user_pool_client``.

        Unlike the AWS call, omitted fields are kept.
        """
        with self._lock:
            client = self._client(client_id)
            data = {**dataclasses.asdict(client), **changes}
            updated = ClientConfig.from_dict(data, f"client {client_id!r}")
            if updated.client_id != client_id:
                raise DevIdPConfigError("client_id cannot be changed")
            for name in updated.identity_providers:
                self._idp(name)
            self._clients[client_id] = updated
        return updated

    def add_callback_url(self, client_id: str, url: str) -> None:
        """Register one more callback URL (e.g. a live server's) on a client."""
        with self._lock:
            client = self._client(client_id)
            if url not in client.callback_urls:
                self.update_client(client_id, callback_urls=[*client.callback_urls, url])

    def add_logout_url(self, client_id: str, url: str) -> None:
        """Register one more sign-out URL on a client."""
        with self._lock:
            client = self._client(client_id)
            if url not in client.logout_urls:
                self.update_client(client_id, logout_urls=[*client.logout_urls, url])

    def clear_sessions(self) -> None:
        """Forget every hosted-domain and upstream session (every browser must log in again)."""
        with self._lock:
            self._sessions.clear()
            self._upstream.clear()

    def pool_user(self, idp_name: str, email: str) -> PoolUser | None:
        """The pool user as last synced from the IdP, or ``None`` if it never signed in."""
        with self._lock:
            if self._idp(idp_name).is_saml:  # users live at the SAML IdP: look in the pool
                found = next(
                    (
                        u
                        for (name, _), u in self._pool_users.items()
                        if name == idp_name and u.email.lower() == email.lower()
                    ),
                    None,
                )
                return dataclasses.replace(found) if found else None
            user = self._find_user(idp_name, email)
            if user is None:
                return None
            found = self._pool_users.get((idp_name, user.sub))
            return dataclasses.replace(found) if found else None

    def issue_tokens_for(
        self, client_id: str, email: str, nonce: str | None = None, *, scope: str = "openid"
    ) -> dict[str, Any]:
        """Mint a token response directly, as after a fresh sign-in through the user's IdP.

        Looks the email up in the client's identity providers, syncs the pool user and returns
        ``{"id_token", "access_token", "refresh_token", "expires_in", "token_type"}``. The
        ``id_token_hook`` applies. Raises :class:`DevIdPLookupError` for an unknown client or
        user and :class:`DevIdPSignInError` when the pool would refuse the sign-in.
        """
        with self._lock:
            client = self._client(client_id)
            for idp_name in client.identity_providers:
                user = self._find_user(idp_name, email)
                if user is not None:
                    break
            else:
                raise DevIdPLookupError(f"no identity provider of client {client_id!r} has a user {email!r}")
            pool_user = self._federated_login(idp_name, user)
            auth_time = int(self.clock())
        return self._mint(client, pool_user, tuple(scope.split()), nonce, auth_time, None)

    def complete_login(self, authorize_url: str, email: str) -> str:
        """Run an authorization request in-process as if ``email`` signed in; return the redirect.

        ``authorize_url`` is what the app under test redirected the browser to. The result is the
        URL the browser would be sent to next: the app's callback with ``code`` and ``state``,
        or with ``error``. Raises :class:`DevIdPLookupError` when the request cannot reach the
        login page (bad client or redirect_uri), with Cognito's error text. Handy for tests that
        drive the app with Django's test client instead of a browser.
        """
        query = query_params(urlsplit(authorize_url).query)
        query["prompt"] = ["login"]  # always go through the login page
        response = self.handle(Request("GET", "/oauth2/authorize", query=query))
        if "pending" not in response.context and response.status == 200:
            # The chooser page of a client with several IdPs: pick the one that knows the user.
            with self._lock:
                client = self._client(query.get("client_id", [""])[0])
                idp_name = next((n for n in client.identity_providers if self._find_user(n, email)), None)
            if idp_name is None:
                raise DevIdPLookupError(f"no identity provider of the client has a user {email!r}")
            query["identity_provider"] = [idp_name]
            response = self.handle(Request("GET", "/oauth2/authorize", query=query))
        if response.status == 302:
            return str(response.header("Location"))
        if "pending" not in response.context:
            raise DevIdPLookupError(
                f"{response.context.get('error')}: {response.context.get('error_description')}"
            )
        form = {
            "request_id": [response.context["pending"]],
            "csrf_token": [response.context["csrf_token"]],
            "user": [email],
        }
        response = self.handle(Request("POST", "/login", form=form, content_type=FORM_TYPE))
        if response.status != 302:
            raise DevIdPLookupError(f"no user {email!r} at the identity provider")
        return str(response.header("Location"))

    # ------------------------------------------------------------------ dispatch
    def handle(self, request: Request) -> Response:
        """Answer one HTTP request (never raises for bad input: always a clean 4xx)."""
        pool = self.config.user_pool_id
        routes: dict[str, tuple[tuple[str, ...], Callable[[Request], Response]]] = {
            f"/{pool}/.well-known/openid-configuration": (
                ("GET",),
                lambda r: json_response(200, self.discovery(), no_store=False),
            ),
            f"/{pool}/.well-known/jwks.json": (
                ("GET",),
                lambda r: json_response(200, self.jwks(), no_store=False),
            ),
            "/oauth2/authorize": (("GET",), self._authorize),
            "/login": (("POST",), self._login),
            "/oauth2/token": (("POST",), self._token),
            "/oauth2/userInfo": (("GET", "POST"), self._userinfo),
            "/oauth2/revoke": (("POST",), self._revoke),
            "/logout": (("GET",), self._logout),
            ACS_PATH: (("POST",), self._saml_acs),
            "/": (("POST",), self._admin_api),
        }
        route = routes.get(request.path)
        if request.path == "/" and request.method != "POST":
            route = None  # only the admin API lives at the root
        if route is None and request.path.startswith("/upstream/"):
            route = (("GET",), self._upstream_logout)
        if route is None:
            return text_response(404, "Not Found\n")
        methods, view = route
        if request.method not in methods:
            response = text_response(405, "Method Not Allowed\n")
            response.headers.append(("Allow", ", ".join(methods)))
            return response
        try:
            return view(request)
        except BadRequest as exc:
            return error_page_response("invalid_request", str(exc))

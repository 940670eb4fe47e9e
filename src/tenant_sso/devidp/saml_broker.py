"""The pool brokering a SAML 2.0 IdP: ``/oauth2/authorize`` -> AuthnRequest, ``POST /saml2/idpresponse``.

As Cognito does it (``README.md``, "SAML identity providers"):

* SP-initiated: ``/oauth2/authorize`` for a SAML IdP redirects the browser to the IdP's SSO URL
  with an AuthnRequest (HTTP-Redirect binding) whose ID is remembered with the authorize request;
  the IdP POSTs its Response to ``/saml2/idpresponse``, whose ``InResponseTo`` must name that
  request (single use) and whose ``RelayState`` must be the one sent.
* IdP-initiated: a Response without ``InResponseTo`` is accepted only when the IdP has
  ``idp_initiated`` (Cognito's ``IDPInit``); its ``RelayState`` carries the authorize parameters
  (``response_type=code&client_id=..&redirect_uri=..&identity_provider=..&scope=..``) and the
  browser goes to ``redirect_uri`` with a ``code`` and no ``state``.
* Attributes are mapped into the pool user through ``attribute_mapping``; multi-valued ones
  (``custom:groups``, ``custom:roles``) in the IdP's ``groups_format``; a mapped attribute absent
  from the assertion keeps its previous value (``keep_stale_attributes``, on by default for SAML).
"""

from __future__ import annotations

import dataclasses
import secrets
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs

from .claims import PoolUser, format_multi_value, pool_user_sub
from .config import ClientConfig, IdentityProviderConfig
from .core import (
    FORM_TYPE,
    SESSION_COOKIE,
    PendingLogin,
    PoolState,
    error_page_response,
    error_redirect,
)
from .exceptions import DevIdPSignInError
from .saml import (
    IdPMetadata,
    SamlAssertion,
    SamlError,
    authn_request_url,
    decode_response,
    parse_metadata,
    response_issuer,
    verify_response,
)
from .web import Request, Response, add_query, redirect, single

ACS_PATH = "/saml2/idpresponse"


@dataclasses.dataclass
class SamlPending:
    """An AuthnRequest sent, waiting for the IdP's Response."""

    login: PendingLogin
    relay_state: str

    @property
    def expires_at(self) -> float:
        return self.login.expires_at


class SamlBroker(PoolState):
    """SAML IdPs of the pool (mixed into :class:`~.provider.DevIdP`)."""

    @property
    def sp_entity_id(self) -> str:
        """Cognito's SAML service-provider entity id: ``urn:amazon:cognito:sp:<poolId>``."""
        return f"urn:amazon:cognito:sp:{self.config.user_pool_id}"

    @property
    def acs_url(self) -> str:
        """The pool's assertion consumer service: ``{base_url}/saml2/idpresponse``."""
        return f"{self.base_url}{ACS_PATH}"

    def saml_metadata(self, idp_name: str, *, refresh: bool = False) -> IdPMetadata:
        """The SAML IdP's metadata, read from its file or URL once (``refresh`` re-reads it)."""
        idp = self._idp(idp_name)
        with self._lock:
            cached: IdPMetadata | None = self._saml_metadata.get(idp_name)
        if cached is not None and not refresh:
            return cached
        if idp.metadata_file:
            xml = Path(idp.metadata_file).read_bytes()
        else:
            assert idp.metadata_url is not None
            # A development tool reading its own configured URL (loopback in tests and the demo).
            with urllib.request.urlopen(idp.metadata_url, timeout=10) as answer:  # noqa: S310
                xml = answer.read(2_000_000)
        metadata = parse_metadata(xml)
        with self._lock:
            self._saml_metadata[idp_name] = metadata
        return metadata

    def _saml_start(self, login: PendingLogin, *, force_authn: bool) -> Response:
        """Send the browser to the SAML IdP with an AuthnRequest (the lock is not held here)."""
        try:
            metadata = self.saml_metadata(login.idp_name)
        except (OSError, SamlError) as exc:
            return error_page_response("invalid_request", f"cannot read the SAML IdP's metadata: {exc}")
        request_id = "_" + secrets.token_hex(20)  # an xsd:ID must not start with a digit
        relay_state = secrets.token_urlsafe(24)
        with self._lock:
            now = self.clock()
            self._expire(now)
            self._saml_pending[request_id] = SamlPending(login=login, relay_state=relay_state)
        url = authn_request_url(
            metadata,
            request_id=request_id,
            sp_entity_id=self.sp_entity_id,
            acs_url=self.acs_url,
            relay_state=relay_state,
            force_authn=force_authn,
            now=now,
        )
        response = redirect(url)
        response.context.update(saml_request_id=request_id)
        return response

    def _saml_acs(self, request: Request) -> Response:
        """``POST /saml2/idpresponse``: the IdP's Response, solicited or IdP-initiated."""
        if request.content_type != FORM_TYPE:
            return error_page_response("invalid_request", "expected a form post")
        encoded = single(request.form, "SAMLResponse")
        relay_state = single(request.form, "RelayState")
        if not encoded:
            return error_page_response("invalid_request", "SAMLResponse is required")
        try:
            xml = decode_response(encoded)
            issuer = response_issuer(xml)
        except SamlError as exc:
            return error_page_response("invalid_request", f"Invalid SAML response: {exc}")
        idp = next(
            (i for i in self._idps.values() if i.is_saml and self._known_entity_id(i.name) == issuer),
            None,
        )
        if idp is None:
            return error_page_response(
                "invalid_request", f"no SAML identity provider has entity id {issuer!r}"
            )
        now = self.clock()
        try:
            assertion = verify_response(
                xml,
                self.saml_metadata(idp.name),
                audience=self.sp_entity_id,
                acs_url=self.acs_url,
                now=now,
            )
        except SamlError as exc:
            return self._saml_refuse(relay_state, f"Invalid SAML response: {exc}")
        with self._lock:
            self._expire(now)
            if assertion.assertion_id in self._saml_seen:
                return self._saml_refuse(
                    relay_state, "Invalid SAML response: this assertion was already used"
                )
            self._saml_seen[assertion.assertion_id] = assertion.not_on_or_after + 60
        if assertion.in_response_to is None:
            return self._saml_idp_initiated(idp, assertion, relay_state, request)
        with self._lock:
            pending = self._saml_pending.pop(assertion.in_response_to, None)
        if pending is None or pending.login.expires_at <= now:
            return error_page_response("invalid_request", "InResponseTo names no pending sign-in request")
        login = pending.login
        if pending.relay_state != (relay_state or "") or login.idp_name != idp.name:
            return error_page_response("invalid_request", "the response does not belong to this sign-in")
        client = self._clients.get(login.client_id)
        if client is None or login.redirect_uri not in client.callback_urls:
            return error_page_response("redirect_mismatch", "client changed")
        return self._saml_finish(
            idp,
            assertion,
            client,
            login.redirect_uri,
            login.scopes,
            login.state,
            login.nonce,
            login.code_challenge,
            request,
        )

    def _known_entity_id(self, idp_name: str) -> str | None:
        try:
            return self.saml_metadata(idp_name).entity_id
        except (OSError, SamlError):
            return None

    def _saml_refuse(self, relay_state: str | None, description: str) -> Response:
        """A refused Response: back to the app when it belongs to a pending sign-in, else a page."""
        with self._lock:
            pending = next(
                (
                    key
                    for key, p in self._saml_pending.items()
                    if relay_state and p.relay_state == relay_state
                ),
                None,
            )
            found = self._saml_pending.pop(pending) if pending else None
        if found is None:
            return error_page_response("invalid_request", description)
        return error_redirect(found.login.redirect_uri, "invalid_request", description, found.login.state)

    def _saml_idp_initiated(
        self, idp: IdentityProviderConfig, assertion: SamlAssertion, relay_state: str | None, request: Request
    ) -> Response:
        if not idp.idp_initiated:
            return error_page_response(
                "invalid_request",
                f"IdP-initiated sign-in is not enabled for the identity provider {idp.name}",
            )
        params = parse_qs(relay_state or "", keep_blank_values=True, max_num_fields=20)
        flat = {k: v[0] for k, v in params.items() if len(v) == 1}
        client = self._clients.get(flat.get("client_id", ""))
        if client is None:
            return error_page_response("invalid_request", "RelayState names no app client")
        redirect_uri = flat.get("redirect_uri", "")
        if redirect_uri not in client.callback_urls:
            return error_page_response("redirect_mismatch", "redirect_uri is not registered")
        if flat.get("response_type") != "code":
            return error_redirect(
                redirect_uri, "unsupported_response_type", "response_type must be code", None
            )
        named = flat.get("identity_provider")
        if named != idp.name or idp.name not in client.identity_providers:
            return error_redirect(
                redirect_uri, "invalid_request", "identity_provider does not name this SAML IdP", None
            )
        scopes = tuple(dict.fromkeys(flat.get("scope", "openid").split()))
        if "openid" not in scopes or any(s not in client.allowed_scopes for s in scopes):
            return error_redirect(redirect_uri, "invalid_scope", "scope not allowed", None)
        # Cognito's IdP-initiated answer: a code and no state (there was no authorize request).
        return self._saml_finish(idp, assertion, client, redirect_uri, scopes, None, None, None, request)

    def _saml_finish(
        self,
        idp: IdentityProviderConfig,
        assertion: SamlAssertion,
        client: ClientConfig,
        redirect_uri: str,
        scopes: tuple[str, ...],
        state: str | None,
        nonce: str | None,
        challenge: str | None,
        request: Request,
    ) -> Response:
        with self._lock:
            now = self.clock()
            try:
                self._saml_federated_login(idp, assertion)
            except DevIdPSignInError as exc:
                return error_redirect(redirect_uri, "invalid_request", str(exc), state)
            user_key = (idp.name, assertion.name_id)
            session = self._open_session(user_key, now, request.cookies.get(SESSION_COOKIE))
            code = self._new_code(client, redirect_uri, user_key, scopes, nonce, challenge, int(now), now)
        return redirect(add_query(redirect_uri, {"code": code, "state": state}), [session])

    def _saml_federated_login(self, idp: IdentityProviderConfig, assertion: SamlAssertion) -> PoolUser:
        """Create or update the pool user from the assertion (the lock is held).

        The username is ``<IdPName>_<NameID>``; each mapped attribute present in the assertion
        replaces the pool user's value, an absent one keeps it (``keep_stale_attributes``) or
        clears it. A pool user without an email cannot be created, as in a pool where email is
        required.
        """
        key = (idp.name, assertion.name_id)
        existing = self._pool_users.get(key)
        user = (
            dataclasses.replace(existing)
            if existing
            else PoolUser(
                idp_name=idp.name,
                upstream_sub=assertion.name_id,
                sub=pool_user_sub(self.config.user_pool_id, idp.name, assertion.name_id),
                date_created_ms=int(self.clock() * 1000),
                email="",
                email_verified=idp.email_verified,
                given_name=None,
                family_name=None,
                custom_groups=None,
                custom_roles=None,
                extra_claims={},
                provider_type="SAML",
            )
        )
        keep = idp.keep_stale_attributes
        mapping = idp.attribute_mapping

        def values(pool_attribute: str) -> tuple[str, ...] | None:
            name = mapping.get(pool_attribute)
            return assertion.attributes.get(name) if name else None

        email = values("email")
        if email:
            user.email = email[0]
        elif not keep or not user.email:
            raise DevIdPSignInError("Invalid user attributes: email: The attribute is required")
        verified = values("email_verified")
        if verified:
            user.email_verified = verified[0].strip().lower() == "true"
        for attribute, field_name in (("given_name", "given_name"), ("family_name", "family_name")):
            found = values(attribute)
            if found:
                setattr(user, field_name, found[0])
            elif not keep:
                setattr(user, field_name, None)
        for attribute, field_name in (("custom:groups", "custom_groups"), ("custom:roles", "custom_roles")):
            found = values(attribute)
            if found:
                setattr(user, field_name, format_multi_value(list(found), idp.groups_format))
            elif not keep:
                setattr(user, field_name, None)
        too_long = user.too_long_attribute()
        if too_long is not None:
            raise DevIdPSignInError(
                f"Invalid user attributes: {too_long}: String must be no longer than 2048 characters"
            )
        self._pool_users[key] = user
        return user

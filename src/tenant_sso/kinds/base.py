"""What differs between kinds of connection, in one object per kind.

The rest of the package asks ``kind_of(connection)`` (:mod:`tenant_sso.kinds`) instead of
testing the kind: flows, diagnostics, the adapter, the model's validation and the admin form
hold no kind branches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .. import claims as group_claims
from ..oidc.client import request_scope, rp_initiated_logout_url
from ..oidc.metadata import Cache, ProviderMetadata

if TYPE_CHECKING:
    from ..diagnostics.results import CheckResult
    from ..models import Connection
    from ..oidc.http import ProviderHTTP


class ConnectionKind:
    """One kind of connection (a value of ``Connection.Kind``): the protocol is the same, these differ.

    A new kind (say ``saml`` through Cognito, or another broker) is a new module in
    ``tenant_sso/kinds/`` with a subclass registered in ``KINDS`` (``kinds/__init__.py``) under
    its ``Connection.Kind`` value (a new choice, a migration). It implements, or inherits the
    plain OIDC behaviour of this base class for:

    * ``name``: the ``Connection.Kind`` value;
    * ``default_groups_claim``: the claim holding groups when the connection names none;
    * ``shared_callback``: whether its logins use the shared ``callback/`` (else the
      connection's own ``callback/<org>/``, the mix-up defence);
    * ``token_use``: the ``token_use`` claim an ID token must carry (None: not checked);
    * ``backchannel_logout``: whether the provider may end sessions by OIDC Back-Channel Logout;
    * :meth:`metadata`: the provider's endpoints (discovery, or a fixed layout);
    * :meth:`authorization_params`: extra parameters of the authorization request;
    * :meth:`scope`: the ``scope`` it requests;
    * :meth:`check_claims`: checks of the validated claims beyond OIDC's;
    * :meth:`parse_groups`: how a groups claim value is read;
    * :meth:`upstream_logout_url` and :meth:`logout_url`: how a logout ends the provider's session;
    * :meth:`after_login`: background work a successful login queues (Cognito: clear stale groups);
    * :meth:`clean` and :meth:`form_warnings`: validation of the admin form and the model;
    * diagnostics steps: ``metadata_check_name``, ``redirect_registration``,
      :meth:`check_metadata`, :meth:`check_signout` (the admin's Test connection).
    """

    name: ClassVar[str] = ""
    default_groups_claim: ClassVar[str] = "groups"
    shared_callback: ClassVar[bool] = False
    token_use: ClassVar[str | None] = None
    #: Whether the provider can end sessions by OIDC Back-Channel Logout (``backchannel-logout/<org>/``).
    backchannel_logout: ClassVar[bool] = True
    #: The name of the diagnostics' metadata row.
    metadata_check_name: ClassVar[str] = "Discovery"
    #: Where a person registers the redirect URI at the provider (diagnostics' advice).
    redirect_registration: ClassVar[str] = "the app registration's redirect URIs"

    # -- login -------------------------------------------------------------------------------
    def metadata(
        self, connection: Connection, http: ProviderHTTP, cache: Cache, *, ttl: int, refresh: bool = False
    ) -> ProviderMetadata:
        raise NotImplementedError

    def authorization_params(
        self, connection: Connection, *, login_hint: str | None = None
    ) -> dict[str, str]:
        """OIDC: ``login_hint`` (the email typed on the login page), so the provider can skip a step."""
        return {"login_hint": login_hint[:254]} if login_hint else {}

    def scope(self, connection: Connection, metadata: ProviderMetadata) -> str:
        """OIDC: ``openid`` plus the standard scopes the provider lists, plus the connection's own."""
        return request_scope(metadata, extra=connection.extra_scopes)

    def check_claims(self, connection: Connection, claims: dict[str, Any]) -> None:
        """Raise an :class:`~tenant_sso.exceptions.SSOError` when validated claims are not acceptable."""

    def parse_groups(self, value: Any) -> list[str]:
        """OIDC: a list, or one string = one group, read as sent (no decoding)."""
        return group_claims.parse_groups(value, cognito=False)

    # -- logout ------------------------------------------------------------------------------
    def upstream_subject(self, claims: dict[str, Any]) -> str:
        """The customer IdP's own subject of the user (what a SCIM client sends as externalId):
        the token's ``sub`` for a direct OIDC connection (docs/scim.md, "Linking")."""
        return str(claims.get("sub", ""))

    def upstream_logout_url(self, connection: Connection) -> str:
        """The upstream IdP's end-session page a second logout hop goes to ("" when none)."""
        return ""

    def logout_url(
        self,
        connection: Connection,
        metadata: ProviderMetadata,
        *,
        target: str,
        id_token: str | None,
        state: str,
    ) -> str | None:
        """OIDC RP-Initiated Logout 1.0; None when the provider has no end-session endpoint."""
        return rp_initiated_logout_url(
            metadata,
            client_id=connection.client_id,
            id_token_hint=id_token,
            post_logout_redirect_uri=target,
            state=state,
        )

    def after_login(self, connection: Connection, identity: Any) -> None:
        """Queue the work a successful login of ``identity`` calls for (never raises, never waits)."""

    # -- setup -------------------------------------------------------------------------------
    def clean(self, connection: Connection) -> dict[str, str]:
        """Field errors of the model's ``clean`` specific to this kind."""
        return {}

    def form_warnings(self, data: dict[str, Any]) -> list[str]:
        """What saves fine but probably does not work, for this kind (admin form)."""
        return []

    # -- diagnostics -------------------------------------------------------------------------
    def check_metadata(
        self, connection: Connection, http: ProviderHTTP, cache: Cache
    ) -> tuple[CheckResult, ProviderMetadata | None, bool]:
        """(result, metadata for the next checks or None, whether the issuer's host answered)."""
        raise NotImplementedError

    def check_signout(
        self,
        connection: Connection,
        metadata: ProviderMetadata | None,
        http: ProviderHTTP,
        logout_uri: str,
        *,
        unavailable: str = "",
    ) -> CheckResult:
        """After the URL's shape passed: OIDC providers are asked only at a real logout."""
        from ..diagnostics.results import SIGNOUT, passed

        return passed(
            SIGNOUT, f"{logout_uri} has a valid shape (registration is checked only at a real logout)."
        )

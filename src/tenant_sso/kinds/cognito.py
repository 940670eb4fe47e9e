"""AWS Cognito: one app client per tenant, brokering the customer's IdP (docs/cognito.md).

What differs from plain OIDC: endpoints are built from the user pool domain (never discovered),
``identity_provider`` names the customer's IdP in the authorization request, ``openid`` alone
is requested (the pool decides what is released), ID tokens carry ``token_use=id``, the
``identities`` claim must name the tenant's IdP, groups arrive in ``custom:groups`` in Cognito's
string shapes, logout is Cognito's ``/logout`` (with an optional second hop to the upstream
IdP's end-session page), and every connection shares the ``callback/`` URL. Cognito's
identifiers (pool ID, region, issuer, domain) live in :mod:`tenant_sso.cognito.identifiers`, its
endpoint layout in :mod:`tenant_sso.cognito.endpoints`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import claims as group_claims
from ..cognito import identifiers
from ..cognito.claims import check_identity_provider, parse_identities
from ..cognito.endpoints import cognito_logout_url, cognito_metadata, domain_base_url
from ..oidc.metadata import Cache, ProviderMetadata, check_endpoints
from ..oidc.netguard import NetworkPolicy
from .base import ConnectionKind

if TYPE_CHECKING:
    from ..diagnostics.results import CheckResult
    from ..models import Connection
    from ..oidc.http import ProviderHTTP


class CognitoKind(ConnectionKind):
    name = "cognito"
    default_groups_claim = "custom:groups"
    # One app client per tenant in pools the operator runs, endpoints never discovered.
    shared_callback = True
    token_use = "id"
    # Cognito sends no back-channel logout tokens; SCIM deactivation ends Cognito users' sessions.
    backchannel_logout = False
    metadata_check_name = "User pool"
    redirect_registration = (
        "App integration > App clients > this client > Login pages > Allowed callback URLs"
    )

    def metadata(
        self, connection: Connection, http: ProviderHTTP, cache: Cache, *, ttl: int, refresh: bool = False
    ) -> ProviderMetadata:
        """Built from the pool issuer and domain; held to the network policy (the browser goes there too)."""
        return _checked_metadata(connection.issuer, connection.cognito_domain, http.policy)

    def authorization_params(
        self, connection: Connection, *, login_hint: str | None = None
    ) -> dict[str, str]:
        """``identity_provider`` skips Cognito's chooser; Cognito ignores ``login_hint``."""
        return {"identity_provider": connection.identity_provider} if connection.identity_provider else {}

    def scope(self, connection: Connection, metadata: ProviderMetadata) -> str:
        # openid releases every readable attribute; the IdP's scopes are set in the pool. A
        # connection's extra scopes are always sent (docs/providers.md, "Extra scopes").
        return " ".join(dict.fromkeys(["openid", *connection.extra_scopes]))

    def check_claims(self, connection: Connection, claims: dict[str, Any]) -> None:
        check_identity_provider(claims, connection.identity_provider)

    def parse_groups(self, value: Any) -> list[str]:
        """Cognito's string shapes too: bracketed lists, JSON, URL-encoded values (claims.py)."""
        return group_claims.parse_groups(value, cognito=True)

    def upstream_subject(self, claims: dict[str, Any]) -> str:
        """Cognito's ``sub`` is its own; the upstream IdP's subject is ``identities[].userId``."""
        for identity in parse_identities(claims.get("identities")):
            user_id = identity.get("userId")
            if isinstance(user_id, str) and user_id:
                return user_id
        return ""

    def upstream_logout_url(self, connection: Connection) -> str:
        """Cognito's ``/logout`` never ends the session at the customer's IdP (docs/cognito.md,
        "Logout"): with this set, a logout takes a second hop there."""
        return connection.upstream_logout_url

    def logout_url(
        self,
        connection: Connection,
        metadata: ProviderMetadata,
        *,
        target: str,
        id_token: str | None,
        state: str,
    ) -> str | None:
        return cognito_logout_url(metadata, client_id=connection.client_id, logout_uri=target)

    def after_login(self, connection: Connection, identity: Any) -> None:
        """Clear the pool user's groups/roles attributes so the next sign-in carries only what
        the IdP sends then (Cognito keeps a value the IdP stopped sending): a task, so that a
        failing Cognito call never holds or refuses this login (docs/deprovisioning.md)."""
        from ..background import defer, later
        from ..cognito.users import clear_target
        from ..conf import app_settings
        from ..tasks import clear_cognito_attributes

        target = clear_target(connection, getattr(identity, "cognito_username", "")) if identity else None
        if identity is not None and target is not None:
            # Cognito mints each token from the pool user's attributes *now*: clearing at once
            # would strip the groups from another tab's sign-in still under way. A worker waits
            # a little; the immediate backend cannot (docs/deprovisioning.md, "Several tabs").
            work = later(clear_cognito_attributes, app_settings.COGNITO_CLEAR_DELAY)
            defer(work, identity.pk, target=target)

    def clean(self, connection: Connection) -> dict[str, str]:
        if not connection.cognito_domain:
            return {"cognito_domain": "A Cognito connection needs the user pool domain."}
        from ..wiring import network_policy  # wiring imports the kinds

        if not network_policy().is_secure_url(domain_base_url(connection.cognito_domain)):
            return {"cognito_domain": "The domain must be https on a public address."}
        return {}

    def form_warnings(self, data: dict[str, Any]) -> list[str]:
        warnings: list[str] = []
        claim = data.get("groups_claim") or ""
        if claim == "cognito:groups":
            warnings.append(
                "cognito:groups holds the pool's own groups, not the customer's: the IdP's groups reach "
                "the token through a custom attribute such as custom:groups."
            )
        elif claim and not claim.startswith("custom:"):
            warnings.append(
                f"Cognito puts mapped IdP attributes in custom:* claims; {claim!r} will usually be missing."
            )
        if any("," in g for g in data.get("allowed_groups") or []):
            warnings.append(
                "A group name contains a comma: Cognito's bracketed custom:groups format splits on "
                "commas, so it cannot match."
            )
        domain = data.get("cognito_domain") or ""
        issuer = identifiers.parse_issuer(data.get("issuer") or "")
        host = urlsplit(domain if "://" in domain else f"https://{domain}").hostname or ""
        domain_region = identifiers.domain_region(host)
        if issuer and domain_region and domain_region != issuer.host_region:
            warnings.append(
                f"The domain is in {domain_region} but the pool in {issuer.host_region}: a pool's "
                "domain is in the pool's region."
            )
        return warnings

    def check_metadata(
        self, connection: Connection, http: ProviderHTTP, cache: Cache
    ) -> tuple[CheckResult, ProviderMetadata | None, bool]:
        from ..diagnostics.cognito import check_pool

        return check_pool(connection, http)

    def check_signout(
        self,
        connection: Connection,
        metadata: ProviderMetadata | None,
        http: ProviderHTTP,
        logout_uri: str,
        *,
        unavailable: str = "",
    ) -> CheckResult:
        from ..diagnostics.cognito import check_logout_registration

        return check_logout_registration(connection, metadata, http, logout_uri, unavailable=unavailable)


@lru_cache(maxsize=256)
def _checked_metadata(issuer: str, domain: str, policy: NetworkPolicy) -> ProviderMetadata:
    """Built from the stored issuer and domain alone, so its URL checks give the same answer every
    time: made once per (issuer, domain, policy) and process (bounded); a refusal is not cached
    (the exception propagates)."""
    metadata = cognito_metadata(issuer, domain)
    check_endpoints(metadata, policy)
    return metadata

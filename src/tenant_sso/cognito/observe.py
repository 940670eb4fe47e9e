"""Reading the current state of a tenant: from Cognito (``describe_*``, ``list_*``) and from our database.

:class:`Observer` fills the :class:`~.plan.CurrentState` a plan compares against. It writes
nothing. It caches per pool what every tenant of the pool shares (custom attributes, domain, the
lists of identity providers and app clients), for one command run: :mod:`.apply` tells it what a
step created or deleted, so the cache stays true without reading the lists again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..exceptions import ConfigurationError
from . import identifiers
from .aws import CognitoAPI, CognitoError
from .config import PoolConfig, configured_pools
from .plan import (
    CurrentState,
    PoolRef,
    SAMLIdP,
    StoredConnection,
    TenantSpec,
    client_name_for,
    pool_of_issuer,
    provider_name_for,
    region_of_pool,
)


@dataclass
class PoolCache:
    """What one pool holds for every tenant (``None``: not read yet)."""

    custom_attributes: dict[str, dict[str, Any]] | None = None
    domain: str | None = None
    providers: set[str] | None = None
    clients: dict[str, list[str]] | None = None


@dataclass
class Observer:
    """Reads Cognito through ``api`` and the database; one instance per command run.

    ``pools``: the pools to place tenants in and to search; ``None`` reads ``TENANT_SSO_COGNITO_POOLS``.
    ``managed_login_branding=False`` does not read the branding (a Cognito stand-in without that API).
    """

    api: CognitoAPI
    managed_login_branding: bool = True
    pools: list[PoolConfig] | None = None
    _cache: dict[str, PoolCache] = field(default_factory=dict, init=False, repr=False)

    def configured_pools(self) -> list[PoolConfig]:
        return self.pools if self.pools is not None else configured_pools()

    # -- the pool, shared by its tenants ----------------------------------------------------
    def cache(self, pool: PoolRef) -> PoolCache:
        return self._cache.setdefault(pool.user_pool_id, PoolCache())

    def pool(self, pool: PoolRef) -> PoolCache:
        """The pool's custom attributes and domain (read once)."""
        cache = self.cache(pool)
        if cache.custom_attributes is None:
            described = self.api.call(pool.region, "describe_user_pool", UserPoolId=pool.user_pool_id)["UserPool"]
            cache.custom_attributes = {
                a["Name"]: a for a in described.get("SchemaAttributes", []) if a.get("Name", "").startswith("custom:")
            }
            custom, prefix = described.get("CustomDomain"), described.get("Domain")
            cache.domain = custom or (identifiers.prefix_domain(prefix, pool.region) if prefix else "")
        return cache

    def providers(self, pool: PoolRef) -> set[str]:
        """The names of the pool's identity providers."""
        cache = self.cache(pool)
        if cache.providers is None:
            listed = self.api.list_all(pool.region, pool.user_pool_id, "list_identity_providers", "Providers")
            cache.providers = {p["ProviderName"] for p in listed}
        return cache.providers

    def clients_by_name(self, pool: PoolRef) -> dict[str, list[str]]:
        """The IDs of the pool's app clients, by name."""
        cache = self.cache(pool)
        if cache.clients is None:
            clients: dict[str, list[str]] = {}
            for item in self.api.list_all(pool.region, pool.user_pool_id, "list_user_pool_clients", "UserPoolClients"):
                clients.setdefault(item["ClientName"], []).append(item["ClientId"])
            cache.clients = clients
        return cache.clients

    # -- what apply changed -----------------------------------------------------------------
    def attributes_added(self, pool: PoolRef) -> None:
        self.cache(pool).custom_attributes = None

    def provider_created(self, pool: PoolRef, name: str) -> None:
        providers = self.cache(pool).providers
        if providers is not None:
            providers.add(name)

    def provider_deleted(self, pool: PoolRef, name: str) -> None:
        providers = self.cache(pool).providers
        if providers is not None:
            providers.discard(name)

    def client_created(self, pool: PoolRef, name: str, client_id: str) -> None:
        clients = self.cache(pool).clients
        if clients is not None:
            clients.setdefault(name, []).append(client_id)

    def client_deleted(self, pool: PoolRef, name: str) -> None:
        clients = self.cache(pool).clients
        if clients is not None:
            clients.pop(name, None)

    # -- the database -----------------------------------------------------------------------
    def stored(self, org_slug: str) -> tuple[Any, StoredConnection | None, tuple[str, ...]]:
        """The tenant's enabled connection (the row, and as plain data) and its email domains."""
        from ..models import Connection, Organization

        org = Organization.objects.filter(slug=org_slug).first()
        if org is None:
            return None, None, ()
        domains = tuple(org.domain_names)
        connection = Connection.objects.filter(organization=org, enabled=True).first()
        if connection is None:
            return connection, None, domains
        stored = StoredConnection(
            kind=connection.kind,
            issuer=connection.issuer,
            client_id=connection.client_id,
            client_secret=connection.get_client_secret(),
            cognito_domain=connection.cognito_domain,
            identity_provider=connection.identity_provider,
            allowed_groups=tuple(connection.allowed_groups or ()),
            groups_claim=connection.groups_claim,
            roles_claim=connection.roles_claim,
            idp_initiated=connection.idp_initiated,
            saml=recorded_saml(connection),
        )
        return connection, stored, domains

    def check_domains(self, spec: TenantSpec) -> None:
        """A domain of another tenant would fail in the database after Cognito accepted it: refuse first."""
        from ..models import OrganizationDomain, owner_label

        for domain in spec.email_domains:
            owner = (
                OrganizationDomain.objects.filter(domain=domain)
                .exclude(organization__slug=spec.org_slug)
                .select_related("organization")
                .first()
            )
            if owner is not None:
                raise ConfigurationError(
                    "email_domain_taken", f"{domain} already belongs to {owner_label(owner.organization)}."
                )

    # -- the tenant -------------------------------------------------------------------------
    def resolve_pool(self, spec: TenantSpec, stored: StoredConnection | None) -> PoolRef:
        """Where the tenant lives: the pool given, the pool it is already in, or one with room."""
        pools = self.configured_pools()
        current = pool_of_issuer(stored.issuer) if stored and stored.kind == "cognito" else None
        if spec.user_pool_id:
            configured = next((p for p in pools if p.user_pool_id == spec.user_pool_id), None)
            ref = configured.ref if configured else PoolRef(spec.user_pool_id, region_of_pool(spec.user_pool_id))
            if current and current.user_pool_id != ref.user_pool_id:
                raise ConfigurationError(
                    "cognito_pool_mismatch",
                    f"{spec.org_slug} is onboarded in pool {current.user_pool_id}; offboard it there first "
                    f"to move it to {ref.user_pool_id}.",
                )
            return ref
        if current is not None:
            return current
        if not pools:
            raise ConfigurationError(
                "cognito_pool_required", "Give --user-pool-id or list pools in TENANT_SSO_COGNITO_POOLS."
            )
        name = provider_name_for(spec.org_slug)
        for pool in pools:  # a run that stopped before the database write: finish it in that pool
            if name in self.providers(pool.ref):
                return pool.ref
        for pool in pools:
            if len(self.providers(pool.ref)) < pool.max_tenants:
                return pool.ref
        raise ConfigurationError(
            "cognito_pools_full",
            "Every pool in TENANT_SSO_COGNITO_POOLS holds its max_tenants identity providers: add a pool.",
        )

    def identity_provider(self, pool: PoolRef, slug: str) -> dict[str, Any] | None:
        idp = self.api.call(
            pool.region,
            "describe_identity_provider",
            missing_ok=True,
            UserPoolId=pool.user_pool_id,
            ProviderName=provider_name_for(slug),
        )
        return (idp or {}).get("IdentityProvider")

    def find_client(self, pool: PoolRef, slug: str, stored: StoredConnection | None) -> dict[str, Any] | None:
        """The tenant's app client: the stored client ID first, else by name (a run that stopped early)."""
        if stored and stored.kind == "cognito" and pool_of_issuer(stored.issuer) == pool and stored.client_id:
            found = self._describe_client(pool, stored.client_id)
            if found is not None:
                return found
        named = self.clients_by_name(pool).get(client_name_for(slug), [])
        if len(named) > 1:
            raise ConfigurationError(
                "cognito_duplicate_app_clients",
                f"Pool {pool.user_pool_id} has {len(named)} app clients named {client_name_for(slug)!r}: "
                "delete the extra ones.",
            )
        return self._describe_client(pool, named[0]) if named else None

    def _describe_client(self, pool: PoolRef, client_id: str) -> dict[str, Any] | None:
        found = self.api.call(
            pool.region, "describe_user_pool_client", missing_ok=True, UserPoolId=pool.user_pool_id, ClientId=client_id
        )
        return dict(found["UserPoolClient"]) if found is not None else None

    def branding(self, pool: PoolRef, client: dict[str, Any] | None) -> tuple[bool, str | None]:
        """``(checked, branding ID)`` of the app client's managed login branding."""
        if not self.managed_login_branding or client is None:
            return False, None
        try:
            found = self.api.call(
                pool.region,
                "describe_managed_login_branding_by_client",
                missing_ok=True,
                UserPoolId=pool.user_pool_id,
                ClientId=client["ClientId"],
            )
        except CognitoError as exc:
            if exc.code in ("cognito_access_denied", "cognito_throttled"):
                raise
            raise CognitoError(
                "cognito_managed_login_failed",
                f"Reading the managed login branding of app client {client['ClientId']} failed ({exc.code}: "
                f"{exc.message}).",
            ) from exc
        branding = (found or {}).get("ManagedLoginBranding") or {}
        return True, branding.get("ManagedLoginBrandingId")

    def tenant(self, spec: TenantSpec) -> tuple[PoolRef, CurrentState, Any]:
        """Everything the onboarding plan compares against (Cognito first calls, then the database),
        and the tenant's connection row."""
        connection, stored, domains = self.stored(spec.org_slug)
        pool = self.resolve_pool(spec, stored)
        pool_cache = self.pool(pool)
        idp = self.identity_provider(pool, spec.org_slug)
        client = self.find_client(pool, spec.org_slug, stored)
        checked, branding_id = self.branding(pool, client)
        current = CurrentState(
            custom_attributes=pool_cache.custom_attributes or {},
            domain=pool_cache.domain or "",
            identity_provider=idp,
            client=client,
            branding_id=branding_id,
            branding_checked=checked,
            connection=stored,
            org_domains=domains,
        )
        return pool, current, connection

    def tenant_to_offboard(self, org_slug: str) -> tuple[PoolRef | None, CurrentState, Any]:
        """What offboarding deletes: found through the stored connection, or in the configured pools
        when a run stopped before the database write (or the connection was removed by hand).
        The pool is ``None`` when the tenant is in none of them."""
        connection, stored, domains = self.stored(org_slug)
        pool = pool_of_issuer(stored.issuer) if stored else None
        if pool is None:
            pools = self.configured_pools()
            name, client_name = provider_name_for(org_slug), client_name_for(org_slug)
            pool = next((p.ref for p in pools if name in self.providers(p.ref)), None) or next(
                (p.ref for p in pools if client_name in self.clients_by_name(p.ref)), None
            )
        if pool is None:
            return None, empty_state(domains), connection
        idp = self.identity_provider(pool, org_slug)
        client = self.find_client(pool, org_slug, stored)
        checked, branding_id = self.branding(pool, client)
        current = replace(
            empty_state(domains),
            identity_provider=idp,
            client=client,
            branding_id=branding_id,
            branding_checked=checked,
            connection=stored,
        )
        return pool, current, connection


def recorded_saml(connection: Any) -> SAMLIdP | None:
    """The SAML upstream our database recorded at onboarding (:mod:`tenant_sso.saml_store`), as
    the spec that asked for it; ``None`` for an OIDC upstream."""
    from django.core.exceptions import ObjectDoesNotExist

    try:
        recorded = connection.saml_upstream
    except ObjectDoesNotExist:
        return None
    return SAMLIdP(
        metadata_url=recorded.metadata_url,
        metadata_xml=b"" if recorded.metadata_url else recorded.metadata_xml.encode("utf-8"),
        preset=recorded.preset,
        email_attribute=recorded.email_attribute,
        groups_attribute=recorded.groups_attribute,
        idp_initiated=connection.idp_initiated,
        sign_requests=recorded.sign_requests,
        encrypted_responses=recorded.encrypted_responses,
        idp_signout=bool(recorded.slo_url),
    )


def empty_state(domains: tuple[str, ...]) -> CurrentState:
    """Nothing in Cognito, no connection: only the organization's email domains."""
    return CurrentState(
        custom_attributes={},
        domain="",
        identity_provider=None,
        client=None,
        branding_id=None,
        branding_checked=False,
        connection=None,
        org_domains=domains,
    )

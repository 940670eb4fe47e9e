"""Onboarding tenants into Amazon Cognito with boto3: the console steps, automated and idempotent.

The only module of tenant_sso that imports boto3, lazily (the ``[cognito]`` extra): without it,
:class:`~tenant_sso.exceptions.ConfigurationError` ``boto3_missing`` says what to install.

How it works, for one tenant (docs/cognito.md, "Onboarding with boto3"):

1. **observe** -- read the pool (custom attributes, domain), the tenant's identity provider, its
   app client and branding, and the tenant's connection in our database;
2. **plan** -- :func:`.plan.plan_onboarding` compares that with the desired state and returns the
   calls to make, each with its differences (pure data: ``--dry-run`` and ``status`` print it);
3. **apply** -- run the steps in order, under a client-side rate limit, retrying throttled calls
   with exponential backoff and jitter (:mod:`.throttle`).

Every step is "create if absent, update if different", and the steps are ordered so that a run
that failed half-way leaves nothing a re-run cannot finish: the app client is found again by its
name (``tenant-sso-<slug>``), the identity provider by its name (derived from the slug).

AWS errors become :class:`CognitoError` (a :class:`~tenant_sso.exceptions.ProviderError`) with a
stable code: ``cognito_access_denied``, ``cognito_pool_not_found``, ``cognito_provider_name_taken``,
``cognito_invalid_parameter``, ``cognito_limit_exceeded``, ``cognito_throttled``,
``cognito_unreachable``, ``cognito_managed_login_failed``, ``cognito_error``. Secrets (the upstream
client secret, the app client secret) go from Cognito to the encrypted column and nowhere else:
plans show them as ``(secret)``, logs never carry them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ..exceptions import ConfigurationError, SSOError
from . import identifiers
from .aws import ClientFactory, CognitoAPI, CognitoError
from .plan import (
    AppUrls,
    CurrentState,
    Plan,
    PoolRef,
    StoredConnection,
    TenantSpec,
    checked_spec,
    client_name_for,
    plan_offboarding,
    plan_onboarding,
    provider_name_for,
    region_of_pool,
)

logger = logging.getLogger("tenant_sso.cognito")

DEFAULT_MAX_TENANTS = 300


@dataclass(frozen=True)
class PoolConfig:
    """One entry of ``TENANT_SSO_COGNITO_POOLS``."""

    user_pool_id: str
    region: str
    max_tenants: int = DEFAULT_MAX_TENANTS

    @property
    def ref(self) -> PoolRef:
        return PoolRef(self.user_pool_id, self.region)


def configured_pools() -> list[PoolConfig]:
    """``TENANT_SSO_COGNITO_POOLS`` as :class:`PoolConfig` (check ``cognito_bad_pool_config``)."""
    from ..conf import app_settings

    pools = []
    for index, entry in enumerate(app_settings.COGNITO_POOLS):
        pool_id = str(entry.get("user_pool_id", ""))
        if not pool_id:
            raise ConfigurationError(
                "cognito_bad_pool_config", f"TENANT_SSO_COGNITO_POOLS[{index}] has no user_pool_id."
            )
        region = str(entry.get("region") or region_of_pool(pool_id))
        pools.append(PoolConfig(pool_id, region, int(entry.get("max_tenants", DEFAULT_MAX_TENANTS))))
    return pools


def configured_urls() -> AppUrls:
    """The app client's callback and sign-out URLs, from settings (see docs/cognito-onboarding.md)."""
    from django.urls import reverse

    from ..conf import app_settings

    callback = app_settings.COGNITO_CALLBACK_URL
    if not callback and app_settings.BASE_URL:
        callback = app_settings.BASE_URL + reverse("tenant_sso:callback")
    if not callback:
        raise ConfigurationError(
            "cognito_callback_url_missing",
            "Set TENANT_SSO_COGNITO_CALLBACK_URL (or TENANT_SSO_BASE_URL): the app client needs our callback URL.",
        )
    logout = app_settings.COGNITO_LOGOUT_URLS
    if not logout:
        redirect = app_settings.LOGOUT_REDIRECT_URL
        if "://" not in redirect and app_settings.BASE_URL:
            redirect = app_settings.BASE_URL + redirect
        logout = [redirect] if "://" in redirect else []
    return AppUrls((callback,), tuple(logout))


def pool_of_issuer(issuer: str) -> PoolRef | None:
    """The pool behind a Cognito issuer URL; ``None`` for any other issuer."""
    pool = identifiers.pool_of_issuer(issuer)
    return PoolRef(*pool) if pool else None


@dataclass
class Outcome:
    """The result of onboarding or offboarding one tenant."""

    plan: Plan
    status: str  # "created" | "updated" | "unchanged" | "planned" | "offboarded"
    connection: Any = None

    @property
    def changed(self) -> bool:
        return self.plan.changed


@dataclass
class StatusRow:
    """One tenant in ``sso_cognito status``: its drift plan, or why it could not be checked."""

    org_slug: str
    plan: Plan | None = None
    problem: str = ""
    code: str = ""

    @property
    def in_sync(self) -> bool:
        return self.plan is not None and not self.plan.changed and not self.problem


@dataclass
class _PoolCache:
    custom_attributes: dict[str, dict[str, Any]] | None = None
    domain: str | None = None
    providers: set[str] | None = None
    clients: dict[str, list[str]] | None = None


@dataclass
class Provisioner:
    """Onboards, offboards and checks tenants; one instance per command run (it caches listings).

    ``managed_login_branding=False`` skips the branding step: for test doubles of Cognito that lack
    that API (moto). In production leave it on: a failure there is an error, not a silent skip.
    """

    api: CognitoAPI = field(default_factory=CognitoAPI)
    managed_login_branding: bool = True
    pools: list[PoolConfig] | None = None
    urls: AppUrls | None = None
    _cache: dict[str, _PoolCache] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def build(cls, client_factory: ClientFactory | None = None, **kwargs: Any) -> Provisioner:
        return cls(api=CognitoAPI(client_factory), **kwargs)

    # -- reading ----------------------------------------------------------------------------
    def _pool(self, pool: PoolRef) -> _PoolCache:
        cache = self._cache.setdefault(pool.user_pool_id, _PoolCache())
        if cache.custom_attributes is None:
            described = self.api.call(pool.region, "describe_user_pool", UserPoolId=pool.user_pool_id)["UserPool"]
            cache.custom_attributes = {
                a["Name"]: a for a in described.get("SchemaAttributes", []) if a.get("Name", "").startswith("custom:")
            }
            custom, prefix = described.get("CustomDomain"), described.get("Domain")
            cache.domain = custom or (identifiers.prefix_domain(prefix, pool.region) if prefix else "")
        return cache

    def _list_all(self, pool: PoolRef, operation: str, key: str) -> list[dict[str, Any]]:
        return self.api.list_all(pool.region, pool.user_pool_id, operation, key)

    def _providers(self, pool: PoolRef) -> set[str]:
        cache = self._cache.setdefault(pool.user_pool_id, _PoolCache())
        if cache.providers is None:
            cache.providers = {p["ProviderName"] for p in self._list_all(pool, "list_identity_providers", "Providers")}
        return cache.providers

    def _clients_by_name(self, pool: PoolRef) -> dict[str, list[str]]:
        cache = self._cache.setdefault(pool.user_pool_id, _PoolCache())
        if cache.clients is None:
            clients: dict[str, list[str]] = {}
            for item in self._list_all(pool, "list_user_pool_clients", "UserPoolClients"):
                clients.setdefault(item["ClientName"], []).append(item["ClientId"])
            cache.clients = clients
        return cache.clients

    def _stored(self, org_slug: str) -> tuple[Any, StoredConnection | None, tuple[str, ...]]:
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
        )
        return connection, stored, domains

    def resolve_pool(self, spec: TenantSpec, stored: StoredConnection | None) -> PoolRef:
        """Where the tenant lives: the pool given, the pool it is already in, or one with room."""
        pools = self.pools if self.pools is not None else configured_pools()
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
            if name in self._providers(pool.ref):
                return pool.ref
        for pool in pools:
            if len(self._providers(pool.ref)) < pool.max_tenants:
                return pool.ref
        raise ConfigurationError(
            "cognito_pools_full",
            "Every pool in TENANT_SSO_COGNITO_POOLS holds its max_tenants identity providers: add a pool.",
        )

    def _find_client(self, pool: PoolRef, slug: str, stored: StoredConnection | None) -> dict[str, Any] | None:
        """The tenant's app client: the stored client ID first, else by name (a run that stopped early)."""
        if stored and stored.kind == "cognito" and pool_of_issuer(stored.issuer) == pool and stored.client_id:
            found = self._describe_client(pool, stored.client_id)
            if found is not None:
                return found
        named = self._clients_by_name(pool).get(client_name_for(slug), [])
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

    def _branding(self, pool: PoolRef, client: dict[str, Any] | None) -> tuple[bool, str | None]:
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

    def observe(self, spec: TenantSpec) -> tuple[PoolRef, CurrentState, Any]:
        """Read everything the plan compares against (Cognito first calls, then the database)."""
        connection, stored, domains = self._stored(spec.org_slug)
        pool = self.resolve_pool(spec, stored)
        pool_cache = self._pool(pool)
        idp = self.api.call(
            pool.region,
            "describe_identity_provider",
            missing_ok=True,
            UserPoolId=pool.user_pool_id,
            ProviderName=provider_name_for(spec.org_slug),
        )
        client = self._find_client(pool, spec.org_slug, stored)
        checked, branding_id = self._branding(pool, client)
        current = CurrentState(
            custom_attributes=pool_cache.custom_attributes or {},
            domain=pool_cache.domain or "",
            identity_provider=(idp or {}).get("IdentityProvider"),
            client=client,
            branding_id=branding_id,
            branding_checked=checked,
            connection=stored,
            org_domains=domains,
        )
        return pool, current, connection

    # -- planning ---------------------------------------------------------------------------
    def plan_onboard(self, spec: TenantSpec) -> tuple[Plan, CurrentState, Any]:
        spec = checked_spec(spec)
        self._check_domains(spec)
        pool, current, connection = self.observe(spec)
        if not current.domain:
            raise ConfigurationError(
                "cognito_pool_no_domain",
                f"Pool {pool.user_pool_id} has no domain: create one (managed login) before onboarding tenants.",
            )
        urls = self.urls or configured_urls()
        plan = plan_onboarding(spec, pool, current, urls, managed_login_branding=self.managed_login_branding)
        return plan, current, connection

    def _check_domains(self, spec: TenantSpec) -> None:
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

    # -- doing ------------------------------------------------------------------------------
    def onboard(self, spec: TenantSpec, *, dry_run: bool = False) -> Outcome:
        """Bring one tenant to its desired state (or, with ``dry_run``, only say what that takes)."""
        spec = checked_spec(spec)
        plan, current, connection = self.plan_onboard(spec)
        if dry_run:
            return Outcome(plan, "planned", connection)
        if not plan.changed:
            return Outcome(plan, "unchanged", connection)
        created = current.identity_provider is None or current.client is None or current.connection is None
        connection = self._apply(plan, spec, current) or connection
        return Outcome(plan, "created" if created else "updated", connection)

    def _apply(self, plan: Plan, spec: TenantSpec, current: CurrentState) -> Any:
        pool = plan.pool
        client_id = current.client["ClientId"] if current.client else None
        client_secret = current.client.get("ClientSecret") if current.client else None
        cache = self._cache.setdefault(pool.user_pool_id, _PoolCache())
        connection = None
        for step in plan.steps:
            logger.info("cognito onboarding %s: %s %s", plan.org_slug, step.action, step.target)
            if step.action == "store_connection":
                connection = self._store(plan, spec, client_id, client_secret)
                continue
            params = dict(step.params)
            if "ClientId" in params and params["ClientId"] is None:
                params["ClientId"] = client_id
            try:
                result = self.api.call(pool.region, step.action, **params)
            except CognitoError as exc:
                if step.action == "create_managed_login_branding":
                    raise CognitoError(
                        "cognito_managed_login_failed",
                        f"Creating the managed login branding of app client {client_id} failed ({exc.code}: "
                        f"{exc.message}). Without it the client's login pages do not work; re-run to retry.",
                    ) from exc
                raise
            if step.action == "add_custom_attributes":
                cache.custom_attributes = None
            elif step.action == "create_identity_provider" and cache.providers is not None:
                cache.providers.add(plan.provider_name)
            elif step.action == "create_user_pool_client":
                created = result["UserPoolClient"]
                client_id, client_secret = created["ClientId"], created.get("ClientSecret")
                if cache.clients is not None:
                    cache.clients.setdefault(plan.client_name, []).append(client_id)
        return connection

    def _store(self, plan: Plan, spec: TenantSpec, client_id: str | None, client_secret: str | None) -> Any:
        from django.core.exceptions import ValidationError

        from ..connections import ConnectionSpec, upsert_connection, validation_message
        from ..models import Connection

        desired = plan.desired_connection
        existing = Connection.objects.filter(organization__slug=spec.org_slug, enabled=True).first()
        connection_spec = ConnectionSpec(
            org_slug=spec.org_slug,
            org_name=spec.org_name,
            kind="cognito",
            issuer=desired["issuer"],
            client_id=client_id or "",
            client_secret=client_secret,
            email_domains=list(desired["email_domains"]),
            cognito_domain=desired["cognito_domain"],
            identity_provider=desired["identity_provider"],
            allowed_groups=list(desired["allowed_groups"]),
            groups_claim=desired["groups_claim"],
            roles_claim=desired["roles_claim"],
            # Not managed by onboarding: keep what the admin set.
            group_mapping=dict(existing.group_mapping) if existing else {},
            logout_redirect_url=existing.logout_redirect_url if existing else "",
        )
        try:
            connection, _ = upsert_connection(connection_spec)
        except ValidationError as exc:
            raise ConfigurationError("connection_invalid", validation_message(exc)) from exc
        return connection

    def plan_offboard(self, org_slug: str) -> tuple[Plan, CurrentState]:
        """What offboarding deletes: found through the stored connection, or in the configured pools
        when a run stopped before the database write (or the connection was removed by hand)."""
        connection, stored, domains = self._stored(org_slug)
        pool = pool_of_issuer(stored.issuer) if stored else None
        if pool is None:
            pools = self.pools if self.pools is not None else configured_pools()
            name, client_name = provider_name_for(org_slug), client_name_for(org_slug)
            pool = next((p.ref for p in pools if name in self._providers(p.ref)), None) or next(
                (p.ref for p in pools if client_name in self._clients_by_name(p.ref)), None
            )
        if pool is None:
            if connection is None:
                raise ConfigurationError(
                    "cognito_not_onboarded", f"{org_slug} has no Cognito identity provider, app client or connection."
                )
            empty = _empty_state(domains)
            return plan_offboarding(org_slug, PoolRef("(none)", "-"), empty, connection_enabled=True), empty
        idp = self.api.call(
            pool.region,
            "describe_identity_provider",
            missing_ok=True,
            UserPoolId=pool.user_pool_id,
            ProviderName=provider_name_for(org_slug),
        )
        client = self._find_client(pool, org_slug, stored)
        checked, branding_id = self._branding(pool, client)
        current = replace(
            _empty_state(domains),
            identity_provider=(idp or {}).get("IdentityProvider"),
            client=client,
            branding_id=branding_id,
            branding_checked=checked,
            connection=stored,
        )
        return plan_offboarding(org_slug, pool, current, connection_enabled=connection is not None), current

    def offboard(self, org_slug: str, *, dry_run: bool = False) -> Outcome:
        """Delete the tenant's app client and identity provider, and disable its connection."""
        from ..models import Connection
        from ..sessions import disable_connections

        plan, _current = self.plan_offboard(org_slug)
        if dry_run:
            return Outcome(plan, "planned")
        if not plan.changed:
            return Outcome(plan, "unchanged")
        cache = self._cache.setdefault(plan.pool.user_pool_id, _PoolCache())
        for step in plan.steps:
            logger.info("cognito offboarding %s: %s %s", org_slug, step.action, step.target)
            if step.action == "disable_connection":
                # Disabled and every session made through it ended (the kill switch).
                disable_connections(Connection.objects.filter(organization__slug=org_slug))
                continue
            # Already gone (a concurrent or an earlier partial run) is what we wanted.
            self.api.call(plan.pool.region, step.action, missing_ok=True, **step.params)
            if step.action == "delete_identity_provider" and cache.providers is not None:
                cache.providers.discard(plan.provider_name)
            if step.action == "delete_user_pool_client" and cache.clients is not None:
                cache.clients.pop(plan.client_name, None)
        return Outcome(plan, "offboarded")

    def status(self, org_slugs: Iterable[str] | None = None) -> list[StatusRow]:
        """Drift between Cognito and our database, for every tenant with an enabled Cognito connection."""
        from ..models import Connection

        connections = Connection.objects.filter(enabled=True, kind="cognito").select_related("organization")
        if org_slugs is not None:
            connections = connections.filter(organization__slug__in=list(org_slugs))
        rows = []
        for connection in connections.order_by("organization__slug"):
            slug = connection.organization.slug
            if pool_of_issuer(connection.issuer) is None:
                rows.append(StatusRow(slug, problem="issuer is not a Cognito user pool: not managed by onboarding",
                                      code="not_managed"))
                continue
            try:
                plan, _current, _connection = self.plan_onboard(TenantSpec(org_slug=slug))
            except SSOError as exc:
                if exc.code == "boto3_missing":
                    raise  # nothing can be compared: say so once, not once per tenant
                rows.append(StatusRow(slug, problem=exc.message, code=exc.code))
                continue
            rows.append(StatusRow(slug, plan=plan))
        if org_slugs is None:
            rows += self._leftovers()
        return rows

    def _leftovers(self) -> list[StatusRow]:
        """Identity providers in the configured pools that belong to an organization without an
        enabled connection there (a connection disabled by hand, an offboarding that stopped)."""
        from ..models import Connection, Organization

        pools = self.pools if self.pools is not None else configured_pools()
        if not pools:
            return []
        owners = {provider_name_for(slug): slug for slug in Organization.objects.values_list("slug", flat=True)}
        served = {
            (pool.user_pool_id, c.identity_provider)
            for c in Connection.objects.filter(enabled=True, kind="cognito")
            if (pool := pool_of_issuer(c.issuer)) is not None
        }
        rows = []
        for pool_config in pools:
            for name in sorted(self._providers(pool_config.ref)):
                slug = owners.get(name)
                if slug is not None and (pool_config.user_pool_id, name) not in served:
                    rows.append(StatusRow(
                        slug,
                        problem=f"identity provider {name} is still in pool {pool_config.user_pool_id} but the "
                        "organization has no enabled connection there: run offboard (or onboard) to settle it",
                        code="cognito_leftover",
                    ))
        return rows


def _empty_state(domains: tuple[str, ...]) -> CurrentState:
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

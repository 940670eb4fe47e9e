"""Onboarding tenants into Amazon Cognito: the use cases ``sso_cognito`` and the admin action call.

:class:`Provisioner` onboards, offboards and checks tenants
(docs/cognito.md, "Onboarding with boto3"). For one tenant:

1. **observe** -- :mod:`.observe` reads the pool (custom attributes, domain), the tenant's identity
   provider, its app client and branding, and the tenant's connection in our database;
2. **plan** -- :func:`.plan.plan_onboarding` compares that with the desired state and returns the
   calls to make, each with its differences (pure data: ``--dry-run`` and ``status`` print it);
3. **apply** -- :mod:`.apply` runs the steps in order through :mod:`.aws`, under a client-side rate
   limit, retrying throttled calls with exponential backoff and jitter (:mod:`.throttle`).

A SAML upstream's metadata is read (a URL through the package's one HTTP seam, under the network
policy, size-bounded) and checked (:func:`tenant_sso.saml.metadata.parse_metadata`: well-formed,
no DTD or entities, an entity id, an SSO endpoint, a signing certificate not expired) before the
first AWS call: a bad document costs nothing in Cognito. At the database step, the SAML settings
are recorded with :func:`tenant_sso.saml_store.record_upstream`.

Every step is "create if absent, update if different", and the steps are ordered so that a run
that failed half-way leaves nothing a re-run cannot finish: the app client is found again by its
name (``tenant-sso-<slug>``), the identity provider by its name (derived from the slug).

Errors are :class:`~tenant_sso.exceptions.SSOError` with a stable code (AWS's in :mod:`.aws`).
Secrets (the upstream client secret, the app client secret) go from Cognito to the encrypted
column and nowhere else: plans show them as ``(secret)``, logs never carry them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ..exceptions import ConfigurationError, InvalidMetadata, SSOError
from .apply import apply_offboarding, apply_onboarding
from .aws import ClientFactory, CognitoAPI
from .config import PoolConfig, configured_urls
from .observe import Observer
from .plan import (
    AppUrls,
    CurrentState,
    Plan,
    PoolRef,
    SAMLIdP,
    TenantSpec,
    checked_spec,
    plan_offboarding,
    plan_onboarding,
    pool_of_issuer,
    provider_name_for,
)


def with_saml_metadata(spec: TenantSpec) -> TenantSpec:
    """``spec`` with its SAML upstream's metadata read and checked (no AWS call yet), or as it is.

    Raises :class:`~tenant_sso.exceptions.InvalidMetadata` (``saml_metadata_*``) for a document
    that cannot be used, or the HTTP seam's errors for a URL that cannot be read
    (``saml_metadata_timeout``, ``_unreachable``, ``_failed``, ``_too_large``,
    ``insecure_endpoint``, ``internal_address``, ``endpoint_invalid``).
    """
    upstream = spec.upstream
    if not isinstance(upstream, SAMLIdP) or upstream.metadata is not None:
        return spec
    from ..saml_store import load_metadata

    if upstream.metadata_url:
        metadata = load_metadata(url=upstream.metadata_url)
    else:
        metadata = load_metadata(xml=upstream.metadata_xml)
        try:  # sent to Cognito as the text of MetadataFile
            upstream.metadata_xml.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidMetadata(
                "saml_metadata_malformed", "The metadata file is not UTF-8 text: save it as UTF-8 and try again."
            ) from exc
    checked = replace(upstream, metadata=metadata, idp_signout=bool(metadata.slo_url))
    return replace(spec, upstream=checked)


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
class Provisioner:
    """Onboards, offboards and checks tenants; one instance per command run (it caches listings).

    ``managed_login_branding=False`` skips the branding step: for test doubles of Cognito that lack
    that API (moto). In production leave it on: a failure there is an error, not a silent skip.
    """

    api: CognitoAPI = field(default_factory=CognitoAPI)
    managed_login_branding: bool = True
    pools: list[PoolConfig] | None = None
    urls: AppUrls | None = None
    observer: Observer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.observer = Observer(self.api, self.managed_login_branding, self.pools)

    @classmethod
    def build(cls, client_factory: ClientFactory | None = None, **kwargs: Any) -> Provisioner:
        return cls(api=CognitoAPI(client_factory), **kwargs)

    # -- onboarding -------------------------------------------------------------------------
    def plan_onboard(self, spec: TenantSpec) -> tuple[Plan, CurrentState, Any]:
        """The plan that brings the tenant to ``spec``, the state it starts from, the connection row."""
        spec = with_saml_metadata(checked_spec(spec))
        self.observer.check_domains(spec)
        pool, current, connection = self.observer.tenant(spec)
        if not current.domain:
            raise ConfigurationError(
                "cognito_pool_no_domain",
                f"Pool {pool.user_pool_id} has no domain: create one (managed login) before onboarding tenants.",
            )
        urls = self.urls or configured_urls()
        plan = plan_onboarding(spec, pool, current, urls, managed_login_branding=self.managed_login_branding)
        return plan, current, connection

    def onboard(self, spec: TenantSpec, *, dry_run: bool = False) -> Outcome:
        """Bring one tenant to its desired state (or, with ``dry_run``, only say what that takes)."""
        spec = with_saml_metadata(checked_spec(spec))
        plan, current, connection = self.plan_onboard(spec)
        if dry_run:
            return Outcome(plan, "planned", connection)
        if not plan.changed:
            return Outcome(plan, "unchanged", connection)
        created = current.identity_provider is None or current.client is None or current.connection is None
        connection = apply_onboarding(self.api, self.observer, plan, spec, current) or connection
        return Outcome(plan, "created" if created else "updated", connection)

    # -- offboarding ------------------------------------------------------------------------
    def plan_offboard(self, org_slug: str) -> tuple[Plan, CurrentState]:
        """What offboarding deletes, wherever the tenant was found (see :meth:`.Observer.tenant_to_offboard`)."""
        pool, current, connection = self.observer.tenant_to_offboard(org_slug)
        if pool is None:
            if connection is None:
                raise ConfigurationError(
                    "cognito_not_onboarded", f"{org_slug} has no Cognito identity provider, app client or connection."
                )
            return plan_offboarding(org_slug, PoolRef("(none)", "-"), current, connection_enabled=True), current
        return plan_offboarding(org_slug, pool, current, connection_enabled=connection is not None), current

    def offboard(self, org_slug: str, *, dry_run: bool = False) -> Outcome:
        """Delete the tenant's app client and identity provider, and disable its connection."""
        plan, _current = self.plan_offboard(org_slug)
        if dry_run:
            return Outcome(plan, "planned")
        if not plan.changed:
            return Outcome(plan, "unchanged")
        apply_offboarding(self.api, self.observer, plan)
        return Outcome(plan, "offboarded")

    # -- status -----------------------------------------------------------------------------
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

        pools = self.observer.configured_pools()
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
            for name in sorted(self.observer.providers(pool_config.ref)):
                slug = owners.get(name)
                if slug is not None and (pool_config.user_pool_id, name) not in served:
                    rows.append(StatusRow(
                        slug,
                        problem=f"identity provider {name} is still in pool {pool_config.user_pool_id} but the "
                        "organization has no enabled connection there: run offboard (or onboard) to settle it",
                        code="cognito_leftover",
                    ))
        return rows

"""The plan's data: what the operator asks (:class:`TenantSpec`), what Cognito and the database
hold (:class:`CurrentState`), and the answer (:class:`Plan` of :class:`Step` with their :class:`Change`).

Plain frozen dataclasses, no I/O: :mod:`..observe` fills a ``CurrentState``, the planners of this
package compare it with a ``TenantSpec``, :mod:`..apply` executes the ``Plan``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ...validation import clean_email_domain, clean_issuer, clean_pool_id, clean_slug
from .. import identifiers

DEFAULT_SCOPES: tuple[str, ...] = ("openid", "email", "profile")
_SECRET = "(secret)"


@dataclass(frozen=True)
class PoolRef:
    """A user pool and its region."""

    user_pool_id: str
    region: str

    @property
    def issuer(self) -> str:
        """The ``iss`` of every token of the pool (docs/cognito.md, "Endpoints")."""
        return identifiers.issuer_url(self.user_pool_id, self.region)


@dataclass(frozen=True)
class Upstream:
    """The customer's own identity provider (Okta, Entra ID...) as Cognito federates to it."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = DEFAULT_SCOPES


#: ``RequestSigningAlgorithm`` of a SAML provider whose AuthnRequests Cognito signs (the one
#: value CreateIdentityProvider accepts).
SAML_SIGNING_ALGORITHM = "rsa-sha256"


@dataclass(frozen=True)
class SAMLIdP:
    """The customer's SAML 2.0 identity provider (ADFS, Entra ID, Okta, Google...) as Cognito federates to it.

    Exactly one of ``metadata_url`` (Cognito reads it: ``MetadataURL``) and ``metadata_xml``
    (sent as ``MetadataFile``). ``metadata`` is the parsed and checked document
    (:func:`tenant_sso.saml.metadata.parse_metadata`), filled in by the use case before any AWS
    call (``None`` when the spec was rebuilt from what our database recorded, for ``status``).
    ``idp_signout``: whether the metadata names a SingleLogoutService (``IDPSignout``); ``None``
    keeps what Cognito holds. Attribute names are the IdP's (a preset's defaults, filled in by
    the command): ``email_attribute`` -> ``email``, ``groups_attribute`` -> ``custom:groups``.
    """

    metadata_url: str = ""
    metadata_xml: bytes = field(default=b"", repr=False)
    preset: str = "generic"
    email_attribute: str = ""
    groups_attribute: str = ""
    idp_initiated: bool = False
    sign_requests: bool = False
    encrypted_responses: bool = False
    idp_signout: bool | None = None
    metadata: Any = field(default=None, repr=False, compare=False)


#: Either kind of customer IdP behind Cognito.
AnyUpstream = Upstream | SAMLIdP


@dataclass(frozen=True)
class TenantSpec:
    """What the operator asks for one tenant. ``None`` means "keep what is there"."""

    org_slug: str
    upstream: AnyUpstream | None = None
    org_name: str = ""
    user_pool_id: str | None = None
    email_domains: tuple[str, ...] = ()
    allowed_groups: tuple[str, ...] | None = None
    groups_claim: str | None = None
    roles_claim: str | None = None


def checked_spec(spec: TenantSpec) -> TenantSpec:
    """``spec`` with the rules every other path applies (:mod:`tenant_sso.validation`): a slug,
    email domains normalised, the pool given as its ID or its issuer URL, an upstream issuer URL.
    Raises :class:`~tenant_sso.validation.InvalidValue` (a ``ConfigurationError``) before any AWS call."""
    upstream = spec.upstream
    if isinstance(upstream, Upstream):
        upstream = replace(upstream, issuer=clean_issuer(upstream.issuer, "oidc"))
    return replace(
        spec,
        org_slug=clean_slug(spec.org_slug),
        email_domains=tuple(dict.fromkeys(clean_email_domain(d) for d in spec.email_domains)),
        user_pool_id=clean_pool_id(spec.user_pool_id) if spec.user_pool_id else spec.user_pool_id,
        upstream=upstream,
    )


#: Stands for the organization's slug in :attr:`AppUrls.idp_initiated_template`.
ORG_PLACEHOLDER = "__org__"


@dataclass(frozen=True)
class AppUrls:
    """Our side of the app client: where Cognito may send the browser back.

    ``idp_initiated_template``: the absolute URL of our IdP-initiated sign-in view
    (``tenant_sso:idp_initiated``) with :data:`ORG_PLACEHOLDER` for the slug; empty when the
    project does not route it.
    """

    callback_urls: tuple[str, ...]
    logout_urls: tuple[str, ...]
    idp_initiated_template: str = ""

    def idp_initiated_url(self, org_slug: str) -> str:
        return self.idp_initiated_template.replace(ORG_PLACEHOLDER, org_slug) if self.idp_initiated_template else ""


@dataclass(frozen=True)
class StoredConnection:
    """The enabled connection of the tenant in our database, as plain data."""

    kind: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    cognito_domain: str
    identity_provider: str
    allowed_groups: tuple[str, ...]
    groups_claim: str
    roles_claim: str
    idp_initiated: bool = False
    #: The SAML upstream as our database recorded it at onboarding (``None``: an OIDC upstream,
    #: or nothing recorded); what ``status`` compares Cognito's SAML details with.
    saml: SAMLIdP | None = None


@dataclass(frozen=True)
class CurrentState:
    """What Cognito and the database hold now for one tenant (``None``: absent)."""

    custom_attributes: Mapping[str, Mapping[str, Any]]
    domain: str
    identity_provider: Mapping[str, Any] | None
    client: Mapping[str, Any] | None
    branding_id: str | None
    branding_checked: bool
    connection: StoredConnection | None
    org_domains: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """One field that differs; secrets are compared but never shown."""

    field: str
    current: Any
    desired: Any
    secret: bool = False

    def __str__(self) -> str:
        if self.secret:
            return f"{self.field}: {_SECRET if self.current else '(none)'} -> (new secret)"
        return f"{self.field}: {show(self.current)} -> {show(self.desired)}"


@dataclass(frozen=True)
class Step:
    """One API call (or the database write), with the differences that justify it.

    ``params`` are the call's keyword arguments; they may hold secrets and are never printed.
    A ``ClientId`` of ``None`` is filled in at execution time from the app client just created.
    """

    action: str
    target: str
    changes: tuple[Change, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def describe(self) -> list[str]:
        lines = [f"{self.action} {self.target}"]
        lines += [f"    {change}" for change in self.changes]
        return lines


@dataclass(frozen=True)
class Plan:
    """The steps that bring one tenant to its desired state; empty when nothing differs."""

    org_slug: str
    pool: PoolRef
    provider_name: str
    client_name: str
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()
    desired_connection: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def changed(self) -> bool:
        return bool(self.steps)

    @property
    def actions(self) -> list[str]:
        return [step.action for step in self.steps]

    def describe(self) -> list[str]:
        head = f"{self.org_slug}: pool {self.pool.user_pool_id}, identity provider {self.provider_name}"
        lines = [head]
        if not self.steps:
            lines.append("  no changes")
        for step in self.steps:
            lines += [f"  {line}" for line in step.describe()]
        lines += [f"  note: {note}" for note in self.notes]
        return lines


def show(value: Any) -> str:
    """A value as a plan prints it."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if value is None:
        return "(none)"
    return repr(value) if isinstance(value, str) else str(value)


def same_list(a: Any, b: Any) -> bool:
    """The same items, in any order (Cognito does not keep the order of its lists)."""
    return sorted(a or []) == sorted(b or [])


@dataclass(frozen=True)
class Part:
    """What the planner of one resource found: the steps it needs (often none) and notes for the operator."""

    steps: tuple[Step, ...] = ()
    notes: tuple[str, ...] = ()

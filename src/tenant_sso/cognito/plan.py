"""Onboarding plans: desired state vs current state -> the list of Cognito API calls to make.

Pure data and pure functions: no boto3, no Django, no I/O. :mod:`.provisioning` reads the current
state (``describe_*`` calls and the database), asks this module for a :class:`Plan`, and either
prints it (``--dry-run``, ``status``) or executes it. Sharing one mechanism is what makes
"dry-run shows exactly what onboard would do" and "status shows drift" true by construction.

Why each rule (docs/cognito.md, "Onboarding with boto3"):

* custom attributes cannot be changed or deleted once created, and adding an existing one is an
  error: only missing ones are added, a mismatch is reported as a note;
* ``update_user_pool_client`` RESETS every omitted field: its parameters are always the full
  desired state, plus the current values of the fields this package does not manage (token
  validities, auth flows...), so an operator's tuning in the console survives a re-run;
* ``update_identity_provider`` keeps omitted fields: only the changed groups are sent;
* steps are ordered so that a run that stopped half-way converges on the next run: attributes,
  then the IdP (the app client names it), then the app client, its branding, and last the
  database (which needs the client's ID and secret).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..exceptions import ConfigurationError
from ..validation import canonical_domain, clean_email_domain, clean_issuer, clean_pool_id, clean_slug
from . import identifiers

#: Cognito's quota of identifiers per identity provider, and of characters per identifier.
MAX_IDP_IDENTIFIERS = 50
MAX_IDP_IDENTIFIER_LENGTH = 40
#: Custom attribute size limit, and the length we create them with (docs/cognito.md, "Groups").
CUSTOM_ATTRIBUTE_MAX_LENGTH = "2048"
DEFAULT_SCOPES: tuple[str, ...] = ("openid", "email", "profile")
DEFAULT_GROUPS_CLAIM = "groups"

# The keys of the IdP attribute mapping this package owns; any other mapping is left alone.
_MANAGED_MAPPING_KEYS = ("email", "username", "custom:groups", "custom:roles")
# Fields of an app client this package sets; on update, every other readable field is sent back
# unchanged (update_user_pool_client resets what is omitted).
_CARRIED_CLIENT_FIELDS = (
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ExplicitAuthFlows",
    "DefaultRedirectURI",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
)
_CLIENT_LIST_FIELDS = (
    "CallbackURLs",
    "LogoutURLs",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "SupportedIdentityProviders",
    "ReadAttributes",
    "WriteAttributes",
)
_SECRET = "(secret)"

# Cognito ProviderName: 1-32 characters of [^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+; we keep
# to ASCII letters, digits, "." and "-" so the name is also safe in URLs and in cognito:username
# (``<ProviderName>_<sub>``: an underscore in the name would make that ambiguous).
_PROVIDER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{2,31}$")
# Names Cognito reserves for its own and the social providers (compared case-insensitively).
_RESERVED_PROVIDER_NAMES = frozenset({"cognito", "cognitouserpool", "google", "facebook", "loginwithamazon", "signinwithapple"})


def provider_name_for(slug: str) -> str:
    """The Cognito identity provider name of a tenant: derived from its slug, stable, valid.

    The slug itself when it is already a valid name (readable in the console and in
    ``cognito:username``); otherwise a cleaned prefix plus 8 hex digits of the slug's SHA-256,
    so two slugs that clean to the same text still get different names.
    """
    if _PROVIDER_NAME_RE.match(slug) and slug.lower() not in _RESERVED_PROVIDER_NAMES:
        return slug
    cleaned = re.sub(r"[^A-Za-z0-9.\-]+", "-", slug).strip("-.") or "tenant"
    digest = hashlib.sha256(slug.encode()).hexdigest()[:8]
    return f"{cleaned[:23]}-{digest}"


def client_name_for(slug: str) -> str:
    """The app client's name: how a run that stopped before the database write finds it again."""
    return f"tenant-sso-{slug}"[:128]


def region_of_pool(user_pool_id: str) -> str:
    """``us-east-1_AbC`` -> ``us-east-1``; a malformed ID is a configuration error, not an AWS call."""
    region = identifiers.region_of(user_pool_id)
    if region is None:
        raise ConfigurationError(
            "cognito_bad_pool_id",
            f"{user_pool_id!r} is not a Cognito user pool ID (expected <region>_<id>, e.g. us-east-1_AbCdEf123).",
        )
    return region


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


@dataclass(frozen=True)
class TenantSpec:
    """What the operator asks for one tenant. ``None`` means "keep what is there"."""

    org_slug: str
    upstream: Upstream | None = None
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
    if upstream is not None:
        upstream = replace(upstream, issuer=clean_issuer(upstream.issuer, "oidc"))
    return replace(
        spec,
        org_slug=clean_slug(spec.org_slug),
        email_domains=tuple(dict.fromkeys(clean_email_domain(d) for d in spec.email_domains)),
        user_pool_id=clean_pool_id(spec.user_pool_id) if spec.user_pool_id else spec.user_pool_id,
        upstream=upstream,
    )


@dataclass(frozen=True)
class AppUrls:
    """Our side of the app client: where Cognito may send the browser back."""

    callback_urls: tuple[str, ...]
    logout_urls: tuple[str, ...]


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
        return f"{self.field}: {_show(self.current)} -> {_show(self.desired)}"


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


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if value is None:
        return "(none)"
    return repr(value) if isinstance(value, str) else str(value)


def _same_list(a: Any, b: Any) -> bool:
    return sorted(a or []) == sorted(b or [])


def desired_groups_claim(spec: TenantSpec, idp: Mapping[str, Any] | None) -> str:
    if spec.groups_claim:
        return spec.groups_claim
    current = (idp or {}).get("AttributeMapping", {}).get("custom:groups")
    return str(current or DEFAULT_GROUPS_CLAIM)


def desired_roles_claim(spec: TenantSpec, idp: Mapping[str, Any] | None) -> str:
    if spec.roles_claim is not None:
        return spec.roles_claim
    return str((idp or {}).get("AttributeMapping", {}).get("custom:roles") or "")


def identifiers_for(domains: Sequence[str]) -> list[str]:
    """The IdP's ``IdpIdentifiers``: the tenant's email domains, within Cognito's quotas."""
    result = sorted({canonical_domain(d) for d in domains if d.strip()})
    too_long = [d for d in result if len(d) > MAX_IDP_IDENTIFIER_LENGTH]
    if too_long:
        raise ConfigurationError(
            "cognito_identifier_too_long",
            f"Email domain {too_long[0]!r} is longer than Cognito's {MAX_IDP_IDENTIFIER_LENGTH} "
            "characters for an identity provider identifier.",
        )
    if len(result) > MAX_IDP_IDENTIFIERS:
        raise ConfigurationError(
            "cognito_too_many_identifiers",
            f"{len(result)} email domains: Cognito allows at most {MAX_IDP_IDENTIFIERS} identifiers per identity provider.",
        )
    return result


def plan_onboarding(
    spec: TenantSpec,
    pool: PoolRef,
    current: CurrentState,
    urls: AppUrls,
    *,
    managed_login_branding: bool = True,
) -> Plan:
    """Compare the desired state of ``spec`` with ``current`` and list the calls that close the gap."""
    provider = provider_name_for(spec.org_slug)
    client_name = client_name_for(spec.org_slug)
    groups_claim = desired_groups_claim(spec, current.identity_provider)
    roles_claim = desired_roles_claim(spec, current.identity_provider)
    steps: list[Step] = []
    notes: list[str] = []

    # 1. Custom attributes, once per pool (adding an existing one is an error).
    wanted = ["groups"] + (["roles"] if roles_claim else [])
    missing = []
    for name in wanted:
        attribute = current.custom_attributes.get(f"custom:{name}")
        if attribute is None:
            missing.append(name)
            continue
        constraints = attribute.get("StringAttributeConstraints") or {}
        if not attribute.get("Mutable", True) or str(constraints.get("MaxLength", "")) != CUSTOM_ATTRIBUTE_MAX_LENGTH:
            notes.append(
                f"custom:{name} exists with Mutable={attribute.get('Mutable')} "
                f"MaxLength={constraints.get('MaxLength')} (wanted mutable, {CUSTOM_ATTRIBUTE_MAX_LENGTH}); "
                "Cognito cannot change a custom attribute: sign-in may fail when the groups change or grow."
            )
    if missing:
        steps.append(
            Step(
                "add_custom_attributes",
                pool.user_pool_id,
                tuple(Change(f"custom:{n}", None, f"String, mutable, MaxLength {CUSTOM_ATTRIBUTE_MAX_LENGTH}") for n in missing),
                {
                    "UserPoolId": pool.user_pool_id,
                    "CustomAttributes": [
                        {
                            "Name": name,
                            "AttributeDataType": "String",
                            "Mutable": True,
                            "StringAttributeConstraints": {"MaxLength": CUSTOM_ATTRIBUTE_MAX_LENGTH},
                        }
                        for name in missing
                    ],
                },
            )
        )

    # 2. The identity provider.
    idp = current.identity_provider
    domains = identifiers_for([*current.org_domains, *spec.email_domains])
    mapping_ours = {"email": "email", "username": "sub", "custom:groups": groups_claim}
    if roles_claim:
        mapping_ours["custom:roles"] = roles_claim
    current_mapping = dict((idp or {}).get("AttributeMapping") or {})
    mapping = {k: v for k, v in current_mapping.items() if k not in _MANAGED_MAPPING_KEYS} | mapping_ours
    if idp is None:
        if spec.upstream is None:
            raise ConfigurationError(
                "cognito_upstream_required",
                f"{spec.org_slug} has no identity provider {provider!r} in pool {pool.user_pool_id}: "
                "give the upstream issuer, client ID and client secret to onboard it.",
            )
        details = _details(spec.upstream)
        steps.append(
            Step(
                "create_identity_provider",
                provider,
                (
                    Change("oidc_issuer", None, spec.upstream.issuer),
                    Change("client_id", None, spec.upstream.client_id),
                    Change("authorize_scopes", None, details["authorize_scopes"]),
                    Change("AttributeMapping", None, _show_mapping(mapping)),
                    Change("IdpIdentifiers", None, domains),
                ),
                {
                    "UserPoolId": pool.user_pool_id,
                    "ProviderName": provider,
                    "ProviderType": "OIDC",
                    "ProviderDetails": details,
                    "AttributeMapping": mapping,
                    "IdpIdentifiers": domains,
                },
            )
        )
    else:
        changes: list[Change] = []
        params: dict[str, Any] = {"UserPoolId": pool.user_pool_id, "ProviderName": provider}
        if idp.get("ProviderType", "OIDC") != "OIDC":
            raise ConfigurationError(
                "cognito_provider_name_taken",
                f"Identity provider {provider!r} in pool {pool.user_pool_id} is a {idp.get('ProviderType')} "
                "provider, not the tenant's OIDC provider: rename or delete it first.",
            )
        if spec.upstream is not None:
            have = dict(idp.get("ProviderDetails") or {})
            want = _details(spec.upstream)
            detail_changes = []
            for key, value in want.items():
                if key == "client_secret":
                    # Compared when Cognito returns it; shown only as "changed".
                    if key in have and have[key] != value:
                        detail_changes.append(Change(key, have[key], value, secret=True))
                elif have.get(key) != value:
                    detail_changes.append(Change(key, have.get(key), value))
            if detail_changes:
                changes += detail_changes
                params["ProviderDetails"] = want
        if current_mapping != mapping:
            changes.append(Change("AttributeMapping", _show_mapping(current_mapping), _show_mapping(mapping)))
            params["AttributeMapping"] = mapping
        if not _same_list(idp.get("IdpIdentifiers"), domains):
            changes.append(Change("IdpIdentifiers", sorted(idp.get("IdpIdentifiers") or []), domains))
            params["IdpIdentifiers"] = domains
        if changes:
            steps.append(Step("update_identity_provider", provider, tuple(changes), params))

    # 3. The app client: only this IdP, code flow, openid only, our URLs, custom attributes readable
    # and writable (a mapped attribute the client cannot write makes sign-in fail).
    custom = ["custom:groups"] + (["custom:roles"] if roles_claim else [])
    ours: dict[str, Any] = {
        "ClientName": client_name,
        "CallbackURLs": sorted(urls.callback_urls),
        "LogoutURLs": sorted(urls.logout_urls),
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": [provider],
        "ReadAttributes": sorted(["email", "email_verified", *custom]),
        "WriteAttributes": sorted(["email", *custom]),
    }
    client = current.client
    if client is None:
        steps.append(
            Step(
                "create_user_pool_client",
                client_name,
                tuple(Change(k, None, v) for k, v in ours.items() if k != "ClientName"),
                {"UserPoolId": pool.user_pool_id, "GenerateSecret": True, **ours},
            )
        )
    else:
        client_changes = []
        for key, value in ours.items():
            have_value = client.get(key)
            same = _same_list(have_value, value) if key in _CLIENT_LIST_FIELDS else have_value == value
            if not same:
                client_changes.append(Change(key, sorted(have_value) if isinstance(have_value, list) else have_value, value))
        if not client.get("ClientSecret"):
            notes.append("the app client has no secret: delete it and re-run to create one with a secret")
        if client_changes:
            carried = {k: client[k] for k in _CARRIED_CLIENT_FIELDS if k in client}
            if carried.get("DefaultRedirectURI") and carried["DefaultRedirectURI"] not in ours["CallbackURLs"]:
                carried.pop("DefaultRedirectURI")
            steps.append(
                Step(
                    "update_user_pool_client",
                    str(client["ClientId"]),
                    tuple(client_changes),
                    {"UserPoolId": pool.user_pool_id, "ClientId": client["ClientId"], **carried, **ours},
                )
            )

    # 4. Managed login branding: an app client created by API has none, and its login pages do not
    # work until it has one (docs/cognito.md, "Onboarding with boto3", step 4).
    if managed_login_branding and (client is None or (current.branding_checked and current.branding_id is None)):
        steps.append(
            Step(
                "create_managed_login_branding",
                client_name,
                (Change("managed login branding", None, "Cognito's default style"),),
                {"UserPoolId": pool.user_pool_id, "ClientId": client["ClientId"] if client else None,
                 "UseCognitoProvidedValues": True},
            )
        )

    # 5. Our database: the connection the login flow uses.
    stored = current.connection
    desired_connection: dict[str, Any] = {
        "kind": "cognito",
        "issuer": pool.issuer,
        "client_id": client["ClientId"] if client else None,
        "client_secret": client.get("ClientSecret") if client else None,
        "cognito_domain": current.domain,
        "identity_provider": provider,
        "allowed_groups": list(spec.allowed_groups) if spec.allowed_groups is not None
        else list(stored.allowed_groups if stored else []),
        "groups_claim": "",
        "roles_claim": "custom:roles" if roles_claim else "",
    }
    db_changes: list[Change] = []
    new_domains = [d for d in domains if d not in current.org_domains]
    if new_domains:
        db_changes.append(Change("email_domains", sorted(current.org_domains), domains))
    for key, value in desired_connection.items():
        have_value = getattr(stored, key) if stored else None
        if key == "allowed_groups" and have_value is not None:
            have_value = list(have_value)
        if key in ("client_id", "client_secret") and value is None:
            db_changes.append(Change(key, have_value, "(from the new app client)", secret=key == "client_secret"))
        elif stored is None and value in ("", []):
            continue  # a new connection: empty fields are not news
        elif have_value != value:
            db_changes.append(Change(key, have_value, value, secret=key == "client_secret"))
    if not desired_connection["allowed_groups"]:
        notes.append("no allowed groups: nobody can sign in until some are set (--allowed-group)")
    if db_changes:
        steps.append(Step("store_connection", spec.org_slug, tuple(db_changes)))
    return Plan(
        spec.org_slug,
        pool,
        provider,
        client_name,
        tuple(steps),
        tuple(notes),
        desired_connection | {"email_domains": domains},
    )


def plan_offboarding(org_slug: str, pool: PoolRef, current: CurrentState, *, connection_enabled: bool) -> Plan:
    """Delete the tenant's branding, app client and identity provider; disable its connection.

    The pool's custom attributes stay (they serve every tenant and cannot be deleted anyway).
    """
    provider = provider_name_for(org_slug)
    client_name = client_name_for(org_slug)
    steps: list[Step] = []
    client = current.client
    if client is not None and current.branding_id:
        steps.append(
            Step(
                "delete_managed_login_branding",
                client_name,
                (Change("managed login branding", current.branding_id, None),),
                {"UserPoolId": pool.user_pool_id, "ManagedLoginBrandingId": current.branding_id},
            )
        )
    if client is not None:
        steps.append(
            Step(
                "delete_user_pool_client",
                str(client["ClientId"]),
                (Change("app client", client_name, None),),
                {"UserPoolId": pool.user_pool_id, "ClientId": client["ClientId"]},
            )
        )
    if current.identity_provider is not None:
        steps.append(
            Step(
                "delete_identity_provider",
                provider,
                (Change("identity provider", provider, None),),
                {"UserPoolId": pool.user_pool_id, "ProviderName": provider},
            )
        )
    if connection_enabled:
        steps.append(Step("disable_connection", org_slug, (Change("enabled", True, False),)))
    return Plan(org_slug, pool, provider, client_name, tuple(steps))


def _details(upstream: Upstream) -> dict[str, str]:
    scopes = list(dict.fromkeys(["openid", *upstream.scopes]))
    return {
        "client_id": upstream.client_id,
        "client_secret": upstream.client_secret,
        "authorize_scopes": " ".join(scopes),
        # Exactly as given: the upstream's issuer is an exact string (its tokens' iss), and
        # issuers such as https://tenant.auth0.com/ end in a slash.
        "oidc_issuer": upstream.issuer.strip(),
        "attributes_request_method": "GET",
    }


def _show_mapping(mapping: Mapping[str, str]) -> str:
    return ", ".join(f"{k}<-{v}" for k, v in sorted(mapping.items()))

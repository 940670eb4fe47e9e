"""The setup wizard's use cases (docs/setup-portal.md): where a setup stands, the live checks,
apply, the test sign-in's result, the allowed groups, go-live and break-glass.

Views call these and stay thin. Nothing here trusts the person filling the forms: values go
through :meth:`.providers.IdPChoice.clean` and :mod:`tenant_sso.validation`, every request to
their provider through the package's HTTP seam and network policy (:func:`tenant_sso.wiring.http`),
connections are written by :func:`tenant_sso.connections.upsert_connection` or Cognito onboarding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from .. import flows, realm_cache, session_index, signals, wiring
from ..claims import allowed_matches, mapped_groups
from ..conf import app_settings
from ..connections import ConnectionSpec, upsert_connection, validation_message
from ..diagnostics import check_jwks, check_metadata, check_secret, check_token_endpoint
from ..diagnostics.results import CheckResult, skipped
from ..exceptions import ConfigurationError, InvalidMetadata, ProviderError, SSOError, URLRefused
from ..models import Connection, Organization, OrganizationDomain, SetupState
from ..validation import InvalidValue
from .links import record
from .providers import IdPChoice

#: Claims shown after a test sign-in and kept in the setup state (no token, no secret).
SHOWN_CLAIMS = 40
MAX_CLAIM_CHARS = 300


SAML_NEEDS_COGNITO = (
    "SAML identity providers connect through our sign-in service, which your organization does not "
    "use: choose an OpenID Connect option, or ask your contact to switch you to the sign-in service."
)


class SetupError(ConfigurationError):
    """A wizard step refused (not ready, nothing to apply...); ``code`` is in docs/security.md."""

    default_code = "setup_step_refused"


# -- state ----------------------------------------------------------------------------------------
def state_of(organization: Organization) -> SetupState:
    state, _ = SetupState.objects.get_or_create(organization=organization)
    return state


def route_of(state: SetupState) -> str:
    route = state.route or app_settings.SETUP_ROUTE
    return route if route in SetupState.Route.values else SetupState.Route.OIDC


def portal_connection(organization: Organization) -> Connection | None:
    """The connection the portal manages: the enabled one, else the newest."""
    connections = Connection.objects.select_related("organization").filter(organization=organization)
    return connections.filter(enabled=True).first() or connections.order_by("-updated_at", "-pk").first()


def verified_domains(organization: Organization) -> list[str]:
    return list(
        OrganizationDomain.objects.filter(organization=organization, verified_at__isnull=False).values_list(
            "domain", flat=True
        )
    )


@dataclass
class Progress:
    """What the overview and the admin show: each step done or not."""

    link_sent: bool
    configured: bool
    tested: bool
    domains_verified: int
    live: bool
    disabled: bool

    @property
    def label(self) -> str:
        if self.disabled:
            return "SSO turned off"
        if self.live:
            return "live"
        done = [
            name for name, ok in (("link sent", self.link_sent), ("configured", self.configured),
                                  ("tested", self.tested)) if ok
        ]
        if self.domains_verified:
            done.append(f"{self.domains_verified} domain(s) verified")
        return ", ".join(done) or "not started"


def progress(organization: Organization) -> Progress:
    state = SetupState.objects.filter(organization=organization).first() or SetupState(organization=organization)
    return Progress(
        link_sent=state.link_sent_at is not None,
        configured=state.configured_at is not None,
        tested=state.tested_at is not None,
        domains_verified=len(verified_domains(organization)),
        live=state.live_at is not None,
        disabled=state.disabled_at is not None,
    )


# -- what the customer pastes on their side -------------------------------------------------------
def upstream_redirect_uri(organization: Organization, route: str, request: HttpRequest) -> str:
    """Cognito route: the pool's ``https://<domain>/oauth2/idpresponse`` (docs/cognito.md); direct
    OIDC: our ``callback/<org>/``."""
    if route == SetupState.Route.COGNITO:
        domain = cognito_domain(organization)
        base = domain if "://" in domain else f"https://{domain}"
        return f"{base.rstrip('/')}/oauth2/idpresponse"
    return flows.redirect_uri_for(Connection(kind="oidc", organization=organization), request)


def cognito_domain(organization: Organization) -> str:
    """The Cognito route's hosted domain: ``TENANT_SSO_SETUP_COGNITO_DOMAIN``, else the portal's
    Cognito connection's; SetupError ``setup_cognito_domain_missing`` when neither is known."""
    domain = app_settings.SETUP_COGNITO_DOMAIN
    if not domain:
        existing = portal_connection(organization)
        domain = existing.cognito_domain if existing is not None and existing.kind == "cognito" else ""
    if not domain:
        raise SetupError(
            "setup_cognito_domain_missing",
            "This setup is not ready on our side yet (no Cognito domain): please tell your contact.",
            detail="TENANT_SSO_SETUP_COGNITO_DOMAIN is empty",
        )
    return domain


def initiate_uri(organization: Organization, request: HttpRequest) -> str:
    return flows.absolute(request, f"{reverse('tenant_sso:login')}?org={organization.slug}")


# -- live checks ----------------------------------------------------------------------------------
def _candidate(organization: Organization, values: dict[str, str]) -> Connection:
    """An unsaved OIDC connection to the customer's IdP, for the checks (never saved)."""
    connection = Connection(
        organization=organization, kind="oidc", issuer=values["issuer"], client_id=values["client_id"]
    )
    connection.set_client_secret(values["client_secret"])
    return connection


def live_checks(organization: Organization, values: dict[str, str], redirect_uri: str) -> list[CheckResult]:
    """Discovery (issuer match), signing keys and the token endpoint (client ID and secret), as a
    login does them, through the network policy; the customer's IdP is checked directly on both
    routes (through Cognito, Cognito itself talks to it with these same values)."""
    http, cache = wiring.http(), wiring.cache()
    connection = _candidate(organization, values)
    secret = check_secret(connection)
    meta, metadata, answered = check_metadata(connection, http, cache)
    results = [meta]
    if metadata is None:
        results.append(skipped("Signing keys (JWKS)", "the provider's metadata could not be read"))
        results.append(skipped("Token endpoint (client ID and secret)", "the provider's metadata could not be read"))
        return results
    results.append(check_jwks(metadata, http, connection.effective_algorithms) if answered
                   else skipped("Signing keys (JWKS)", "the issuer's host did not answer"))
    if secret.ok:
        results.append(check_token_endpoint(connection, metadata, http, redirect_uri)[0])
    return results


# -- apply ----------------------------------------------------------------------------------------
@dataclass
class Applied:
    connection: Connection
    status: str
    steps: list[str] = field(default_factory=list)


def _provisioner() -> Any:
    path = app_settings.SETUP_PROVISIONER
    if path:
        factory: Callable[[], Any] = import_string(path)
        return factory()
    from ..cognito.onboarding import Provisioner

    return Provisioner()


def _reopen(organization: Organization, state: SetupState) -> None:
    """Before a re-apply: the portal's disabled connection is enabled for the writers (which update
    the enabled one), inside the caller's transaction; :func:`_park` disables it again."""
    if state.live_at is None and not organization.connections.filter(enabled=True).exists():
        newest = portal_connection(organization)
        if newest is not None:
            Connection.objects.filter(pk=newest.pk).update(enabled=True)


def _park(organization: Organization, state: SetupState) -> None:
    """Not live yet: the connection admits nobody (disabled) until go-live."""
    if state.live_at is None:
        Connection.objects.filter(organization=organization, enabled=True).update(enabled=False)
        realm_cache.forget(organization_ids=[organization.pk])  # update() sends no signal


def apply(
    request: HttpRequest | None, organization: Organization, choice: IdPChoice, values: dict[str, str],
    *, metadata: Any = None,
) -> Applied:
    """Create or update the connection for ``values`` (idempotent); SSOError with a code.

    A SAML choice (:mod:`.saml`) needs the Cognito route; ``metadata`` is its document as the live
    check parsed it (onboarding then neither fetches nor parses it again)."""
    from . import saml

    state = state_of(organization)
    route = route_of(state)
    if saml.is_saml(choice) and route != SetupState.Route.COGNITO:
        raise SetupError("setup_saml_needs_cognito", SAML_NEEDS_COGNITO)
    if state.live_at is None and organization.connections.filter(enabled=True).exists():
        # A connection the operator set up is serving this organization: the portal must not
        # change it under its users before go-live (the operator disables it first, or overrides).
        raise SetupError(
            "setup_connection_in_use",
            "Your organization already has single sign-on in service, set up by your provider: ask your "
            "contact to switch it over before connecting a new one here.",
        )
    connection = portal_connection(organization)
    kept_groups = list(connection.allowed_groups) if connection is not None else []
    kept_mapping = dict(connection.group_mapping) if connection is not None else {}
    if saml.is_saml(choice):
        upstream = saml.upstream(choice, values, metadata)
        applied = _apply_cognito(organization, state, values, upstream=upstream,
                                 user_pool_id=saml.target_pool(organization))
    elif route == SetupState.Route.COGNITO:
        applied = _apply_cognito(organization, state, values)
    else:
        spec = ConnectionSpec(
            org_slug=organization.slug, kind="oidc", issuer=values["issuer"], client_id=values["client_id"],
            client_secret=values["client_secret"], org_name=organization.name,
            allowed_groups=kept_groups, group_mapping=kept_mapping,
        )
        try:
            with transaction.atomic():
                _reopen(organization, state)
                saved, created = upsert_connection(spec)
                _park(organization, state)
        except ValidationError as error:
            raise SetupError("setup_apply_refused", validation_message(error)) from error
        saved.refresh_from_db()
        applied = Applied(saved, "created" if created else "updated", ["Connection stored (disabled until go-live)."])
    state.provider = choice.key
    state.route = route
    state.configured_at = timezone.now()
    state.save(update_fields=["provider", "route", "configured_at"])
    what = saml.audit_detail(values) if saml.is_saml(choice) else {"issuer": values["issuer"]}
    record(request, "configured", organization=organization,
           detail={"provider": choice.key, "route": route, "status": applied.status, **what})
    signals.setup_step.send(sender=Organization, organization=organization, step="configured",
                            detail={"provider": choice.key, "route": route})
    return applied


def _apply_cognito(
    organization: Organization, state: SetupState, values: dict[str, str], *, upstream: Any = None,
    user_pool_id: str | None = None,
) -> Applied:
    from ..cognito.plan import TenantSpec, Upstream

    provisioner = _provisioner()
    if upstream is None:
        upstream = Upstream(issuer=values["issuer"], client_id=values["client_id"],
                            client_secret=values["client_secret"])
    spec = TenantSpec(org_slug=organization.slug, org_name=organization.name, upstream=upstream,
                      user_pool_id=user_pool_id)
    try:
        # One transaction: the connection re-enabled for onboarding's writer is never seen enabled
        # by a login before go-live (AWS calls run inside it; they are few and rate-limited, and a
        # run rolled back here is finished by the next one: onboarding is idempotent).
        with transaction.atomic():
            _reopen(organization, state)
            outcome = provisioner.onboard(spec)
            _park(organization, state)
    except (InvalidValue, InvalidMetadata):
        raise  # the customer's own value: its message says what to change
    except ProviderError as error:
        if error.code.startswith("saml_metadata") or isinstance(error, URLRefused):
            raise  # their metadata URL, read again by onboarding: theirs to fix
        raise _apply_failed(organization, error) from error
    except SSOError as error:
        if error.code == "cognito_provider_type_change":
            # OIDC applied before, SAML now (or the reverse): Cognito cannot change a provider's type.
            record(None, "apply_error", organization=organization, reason=error.code,
                   detail={"message": error.message[:500]})
            raise SetupError(
                "setup_protocol_change",
                "Your organization is already connected to an identity provider over the other protocol "
                "(OpenID Connect or SAML), and our sign-in service cannot switch it in place: keep the "
                "protocol you chose first, or ask your contact to remove that connection (your users "
                "would then sign in as new users of our sign-in service).",
            ) from error
        raise _apply_failed(organization, error) from error
    connection = portal_connection(organization)
    if connection is None:
        raise SetupError("setup_apply_refused", "Onboarding stored no connection.")
    steps = [f"{step.action} {step.target}" for step in outcome.plan.steps]
    return Applied(connection, outcome.status, steps or ["Nothing to change in Cognito."])


def _apply_failed(organization: Organization, error: SSOError) -> SetupError:
    """AWS's and the pool's problems are the operator's to fix: the customer gets the code to pass
    on; the operator's wording (pool IDs, quotas) goes to the audit only."""
    record(None, "apply_error", organization=organization, reason=error.code,
           detail={"message": error.message[:500]})
    return SetupError(
        "setup_apply_failed",
        f"We could not finish the connection on our side ({error.code}). Nothing is live and your "
        "values are kept nowhere but your form: try again later, or send this code to your contact.",
        status=502,
    )


# -- test sign-in ---------------------------------------------------------------------------------
def _shown(claims: dict[str, Any]) -> dict[str, str]:
    shown: dict[str, str] = {}
    for name in sorted(claims)[:SHOWN_CLAIMS]:
        value = claims[name]
        text = value if isinstance(value, str) else repr(value)
        shown[str(name)[:100]] = text[:MAX_CLAIM_CHARS]
    return shown


def record_test(request: HttpRequest, login: flows.VerifiedLogin) -> SetupState:
    """Keep what a test sign-in showed (claims, groups, decision); it passed when the IdP's ID
    token was valid (the allowed groups are chosen next, from the groups it carried)."""
    organization = login.connection.organization
    state = state_of(organization)
    state.tested_at = timezone.now()
    state.test_result = {
        "claims": _shown(login.claims),
        "groups": [str(g)[:200] for g in login.groups][:200],
        "matched": list(login.matched),
        "denial": login.denial.code if login.denial else "",
        "email": str(login.claims.get("email", ""))[:254],
    }
    state.save(update_fields=["tested_at", "test_result"])
    record(request, "tested", organization=organization,
           detail={"groups": state.test_result["groups"][:50], "denial": state.test_result["denial"]})
    signals.setup_step.send(sender=Organization, organization=organization, step="tested",
                            detail={"groups": state.test_result["groups"]})
    return state


def record_test_refused(request: HttpRequest, organization: Organization, error: SSOError) -> SetupState:
    """A test sign-in that did not get through (cancelled at the IdP, a token refused...): the
    last result says why; an earlier passed test stays passed."""
    state = state_of(organization)
    state.test_result = {**state.test_result, "error": error.code, "error_message": error.message[:500]}
    state.save(update_fields=["test_result"])
    record(request, "test_refused", organization=organization, reason=error.code,
           detail={"detail": error.detail[:300]} if error.detail else {})
    return state


def decision(connection: Connection, groups: list[str]) -> dict[str, Any]:
    """What the current allowed groups and mapping decide for ``groups`` (the test's)."""
    matched = allowed_matches(groups, connection.allowed_groups) if groups else []
    return {"allowed": bool(matched), "matched": matched,
            "django_groups": sorted(mapped_groups(groups, connection.group_mapping))}


def save_policy(
    request: HttpRequest, organization: Organization, allowed: list[str], mapping: dict[str, str]
) -> Connection:
    """Allowed groups and mapping, chosen among the groups the test sign-in showed; mapping targets
    only among ``TENANT_SSO_SETUP_MAPPABLE_GROUPS`` (the operator decides which Django groups a
    customer may hand out)."""
    state = state_of(organization)
    connection = portal_connection(organization)
    if connection is None or state.tested_at is None:
        raise SetupError("setup_not_tested", "Sign in once with the test sign-in first: the groups come from it.")
    seen = set(state.test_result.get("groups", []))
    targets = set(app_settings.SETUP_MAPPABLE_GROUPS)
    if not set(allowed) <= seen or not set(mapping) <= seen or not set(mapping.values()) <= targets:
        raise SetupError("setup_group_unknown", "Choose only among the groups your test sign-in showed.")
    connection.allowed_groups = sorted(set(allowed))
    connection.group_mapping = dict(sorted(mapping.items()))
    connection.save(update_fields=["allowed_groups", "group_mapping", "updated_at"])
    record(request, "policy_saved", organization=organization,
           detail={"allowed_groups": connection.allowed_groups, "group_mapping": connection.group_mapping})
    return connection


# -- go-live and break-glass ----------------------------------------------------------------------
#: What stands between an organization and go-live: its code (docs/security.md) and what to do.
NOT_READY = {
    "configured": ("setup_not_configured", "Connect your identity provider (step 1)."),
    "tested": ("setup_not_tested", "Run a test sign-in (step 2)."),
    "allowed": ("setup_test_not_allowed",
                "Choose allowed groups that include yours, as the test sign-in showed them (step 2)."),
    "domain": ("setup_no_verified_domain", "Verify at least one email domain (step 3)."),
}


def readiness(organization: Organization) -> list[tuple[str, str]]:
    """What stands between this organization and go-live: [(code, what to do)]; empty: ready."""
    return [NOT_READY[step] for step in missing_steps(organization)]


def missing_steps(organization: Organization) -> list[str]:
    """The keys of :data:`NOT_READY` this organization has not done, in order."""
    state = state_of(organization)
    connection = portal_connection(organization)
    missing: list[str] = []
    if connection is None or state.configured_at is None:
        missing.append("configured")
    if state.tested_at is None:
        missing.append("tested")
    elif connection is not None and not decision(connection, state.test_result.get("groups", []))["allowed"]:
        missing.append("allowed")
    if not verified_domains(organization):
        missing.append("domain")
    return missing


def go_live(
    request: HttpRequest | None, organization: Organization, *, actor: str = "", override: bool = False
) -> Connection:
    """Enable the portal's connection; refused (first missing step's code) unless ``override``
    (the operator's, audited)."""
    missing = missing_steps(organization)
    connection = portal_connection(organization)
    if connection is None:
        raise SetupError("setup_not_configured", "There is no connection to put live yet.")
    if missing and not override:
        code, message = NOT_READY[missing[0]]
        record(request, "live_refused", organization=organization, reason=code, actor=actor)
        raise SetupError(code, message)
    with transaction.atomic():
        others = Connection.objects.filter(organization=organization, enabled=True).exclude(pk=connection.pk)
        session_index.disable_connections(others)
        Connection.objects.filter(pk=connection.pk).update(enabled=True)
        Organization.objects.filter(pk=organization.pk).update(require_verified_domains=True)
        realm_cache.forget(organization_ids=[organization.pk])  # update() sends no signal
        state = state_of(organization)
        state.live_at = timezone.now()
        state.live_override = bool(missing) and override
        state.disabled_at = None
        state.save(update_fields=["live_at", "live_override", "disabled_at"])
    record(request, "live", organization=organization, actor=actor,
           reason="setup_live_override" if state.live_override else "",
           detail={"missing": [NOT_READY[step][0] for step in missing]})
    signals.setup_step.send(sender=Organization, organization=organization, step="live",
                            detail={"override": state.live_override})
    connection.refresh_from_db()
    return connection


def break_glass(request: HttpRequest | None, organization: Organization, *, actor: str = "") -> int:
    """Turn SSO off for ``organization`` at once: its connections disabled, their sessions ended."""
    count = session_index.disable_connections(Connection.objects.filter(organization=organization))
    state = state_of(organization)
    state.live_at = None
    state.disabled_at = timezone.now()
    state.save(update_fields=["live_at", "disabled_at"])
    record(request, "disabled", organization=organization, actor=actor, reason="setup_break_glass",
           detail={"connections": count})
    signals.setup_step.send(sender=Organization, organization=organization, step="disabled", detail={})
    return count


def explain_error(error: SSOError) -> str:
    return f"{error.message} [{error.code}]"

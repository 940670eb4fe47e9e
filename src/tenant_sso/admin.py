"""The Django admin as the control panel for customer SSO.

Support and operations staff set up, check and debug a customer's SSO here without reading logs:

* organizations with their email domains and connections inline;
* per connection: fields grouped with where to copy each value from, "Test connection"
  (:mod:`tenant_sso.diagnostics`) and "Try login" (a real login in test mode: claims, groups and
  the decision are shown, no session is created), the last successful login and the refusals of
  the last 24 hours;
* the login events (audit log), read-only, filtered by organization, outcome, reason and date.

Both buttons are POST forms with a CSRF token, reserved to staff with the change permission on
connections (``tenant_sso.change_connection``); see ``docs/admin.md``.

Longer than 400 lines on purpose: it holds only the admin registrations (one ModelAdmin per
model, their inlines and list filters), which Django and readers expect in ``admin.py``; the
logic the buttons run lives elsewhere (:mod:`tenant_sso.diagnostics`, :mod:`tenant_sso.flows`,
:mod:`tenant_sso.stash`).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms import BaseInlineFormSet, ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from . import diagnostics, flows, session_index, stash
from . import domains as verified_domains
from .exceptions import SSOError
from .forms import ConnectionForm, OrganizationDomainForm, OrganizationForm
from .models import (
    Connection,
    FederatedIdentity,
    LoginEvent,
    Organization,
    OrganizationDomain,
    ScimGroup,
    ScimToken,
    ScimUser,
    SetupEvent,
    SetupLink,
    SetupState,
    SSOSession,
)
from .scim.admin_actions import issue_scim_token, revoke_scim_token
from .setup import admin_actions as setup_admin

#: Session key holding the last "Test connection" results of a connection (no secrets in them).
DIAGNOSTICS_SESSION_KEY = stash.DIAGNOSTICS.key
#: The Cognito onboarding action, provided by ``tenant_sso.cognito.admin_actions`` when installed.
ONBOARD_MODULE = "tenant_sso.cognito.admin_actions"
REFUSALS_WINDOW = timedelta(hours=24)
LATEST_REFUSALS = 5

CLIENT_HELP = (
    "Cognito: App integration > App clients > the customer's client: Client ID and Client secret. "
    "OIDC: the application registered at the customer's IdP."
)
PROVIDER_HELP = (
    "Cognito: the pool issuer (or just the pool ID), the domain from Branding > Domain, and the "
    "name of the customer's IdP in the pool. OIDC: the issuer; endpoints come from its discovery document."
)
POLICY_HELP = (
    "Who may sign in (members of an allowed group; nobody while the list is empty) and which Django "
    "groups they get. Groups are names, or Entra object IDs."
)
LOGOUT_HELP = (
    "The sign-out URL must be registered on the app client (Allowed sign-out URLs). Cognito does not "
    "end the customer IdP's session: give its own end-session page to do that."
)

CONNECTION_FIELDSETS: Any = (
    (None, {"fields": ("organization", "name", "kind", "enabled")}),
    (
        "Client",
        {
            "description": CLIENT_HELP,
            "fields": ("client_id", "client_secret", "client_secret_expires_on", "token_auth_method"),
        },
    ),
    (
        "Provider",
        {
            "description": PROVIDER_HELP,
            "fields": (
                "issuer",
                "cognito_domain",
                "identity_provider",
                "use_userinfo",
                "extra_scopes",
                "signing_algorithms",
            ),
        },
    ),
    (
        "Access policy",
        {
            "description": POLICY_HELP,
            "fields": (
                "allowed_groups",
                "group_mapping",
                "groups_claim",
                "roles_claim",
                "link_by_email",
                "max_session_age",
            ),
        },
    ),
    ("Logout", {"description": LOGOUT_HELP, "fields": ("logout_redirect_url", "upstream_logout_url")}),
)


def _warn(request: HttpRequest, form: Any, label: object) -> None:
    for warning in getattr(form, "warnings", []):
        messages.warning(request, f"{label}: {warning}")


def connection_activity(connection: Connection, now: Any = None) -> dict[str, Any]:
    """The last successful login, and the refusals of the last 24 hours (counts per reason, latest)."""
    now = now or timezone.now()
    events = LoginEvent.objects.filter(connection=connection)
    refusals = events.filter(
        outcome__in=(LoginEvent.Outcome.DENIED, LoginEvent.Outcome.ERROR),
        created_at__gte=now - REFUSALS_WINDOW,
    )
    return {
        "last_success": events.filter(outcome=LoginEvent.Outcome.SUCCESS).order_by("-created_at").first(),
        "last_test": events.filter(outcome=LoginEvent.Outcome.TEST).order_by("-created_at").first(),
        "reasons": list(refusals.values("reason").annotate(count=Count("id")).order_by("-count", "reason")),
        "latest_refusals": list(refusals.order_by("-created_at")[:LATEST_REFUSALS]),
        "refusal_count": refusals.count(),
        "events_url": f"{reverse('admin:tenant_sso_loginevent_changelist')}?connection__id__exact={connection.pk}",
    }


# -- email domains and their DNS verification (docs/domain-verification.md) ----------------------
#: At most this many domains are checked by one "Check DNS now" (each may wait TENANT_SSO_DNS_TIMEOUT).
MAX_DNS_CHECKS = 20


def verification_state(row: OrganizationDomain) -> str:
    """Verified (when), or the TXT record to publish; whether the organization requires it."""
    if not row.pk:
        return "-"
    if row.verified_at is not None:
        return format_html(
            '<span class="sso-domain-verified">Verified {}</span>', timezone.localtime(row.verified_at).strftime("%Y-%m-%d %H:%M")
        )
    name, value = verified_domains.txt_record(row)
    required = row.organization.require_verified_domains
    return format_html(
        '<span class="sso-domain-unverified">Not verified{}.</span> TXT <code>{}</code> = <code>{}</code>',
        "" if required else " (not required: this organization trusts its listed domains)",
        name,
        value,
    )


def check_dns(modeladmin: Any, request: HttpRequest, rows: QuerySet[OrganizationDomain]) -> None:
    """Run :func:`tenant_sso.domains.verify_domain` for ``rows`` now; one message per domain."""
    selected = list(rows.select_related("organization").order_by("domain")[: MAX_DNS_CHECKS + 1])
    if len(selected) > MAX_DNS_CHECKS:
        modeladmin.message_user(
            request, f"Only the first {MAX_DNS_CHECKS} domains were checked: select fewer.", messages.WARNING
        )
        selected = selected[:MAX_DNS_CHECKS]
    if not selected:
        modeladmin.message_user(request, "No email domain to check.", messages.WARNING)
    actor = f"admin:{request.user.get_username()}"[:100]
    for row in selected:
        check = verified_domains.verify_domain(row, request=request, actor=actor)
        level = messages.SUCCESS if check.ok else messages.ERROR
        modeladmin.message_user(request, f"[{check.code}] {row.domain} ({row.organization.slug}): {check.message}", level)


@admin.action(description="Check DNS now (verification TXT record)", permissions=["change"])
def check_dns_now(modeladmin: Any, request: HttpRequest, queryset: QuerySet[OrganizationDomain]) -> None:
    check_dns(modeladmin, request, queryset)


@admin.action(description="Check the email domains' DNS now", permissions=["change"])
def check_organization_domains(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
    check_dns(modeladmin, request, OrganizationDomain.objects.filter(organization__in=queryset))


@admin.register(OrganizationDomain)
class OrganizationDomainAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every organization's email domains with their verification state and "Check DNS now"."""

    form = OrganizationDomainForm
    list_display = ("domain", "organization", "verification", "verified_at")
    list_filter = (("verified_at", admin.EmptyFieldListFilter), "organization__require_verified_domains")
    list_select_related = ("organization",)
    search_fields = ("domain", "organization__slug", "organization__name")
    fields = ("organization", "domain", "verification", "verified_at")
    readonly_fields = ("verification",)
    actions = [check_dns_now]

    @admin.display(description="DNS verification")
    def verification(self, obj: OrganizationDomain) -> str:
        return verification_state(obj)


def saml_and_expiry(connection: Connection, request: HttpRequest, now: Any = None) -> dict[str, Any]:
    """The connection page's read-only panels: what to hand a SAML customer (each value with a copy
    button) and the days left of the certificates and secrets tracked (docs/saml.md)."""
    from .exceptions import SSOError
    from .expiry import credentials_of
    from .models import SAMLUpstream
    from .saml_store import sp_values_for

    now = now or timezone.now()
    upstream = SAMLUpstream.objects.filter(connection=connection).first()
    values: list[Any] = []
    values_error = ""
    if upstream is not None:
        try:
            values = sp_values_for(connection, base_url=request.build_absolute_uri("/").rstrip("/"))
        except SSOError as error:
            values_error = f"[{error.code}] {error.message}"
    return {
        "sso_saml": upstream,
        "sso_sp_values": values,
        "sso_sp_values_error": values_error,
        "sso_expiry": [
            {"label": c.label, "describe": c.describe(now), "warned": c.warned(now), "days_left": c.days_left(now),
             "expired": c.expired(now), "expires_at": c.expires_at}
            for c in credentials_of(connection)
        ],
    }


# -- organizations -------------------------------------------------------------------------------
class OrganizationDomainInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OrganizationDomain
    form = OrganizationDomainForm
    extra = 1
    fields = ("domain", "verification", "verified_at")
    readonly_fields = ("verification",)
    verbose_name = "email domain"
    verbose_name_plural = "email domains (home-realm discovery: a user's email picks the connection)"

    @admin.display(description="DNS verification")
    def verification(self, obj: OrganizationDomain) -> str:
        return verification_state(obj)


class ConnectionInline(admin.StackedInline):  # type: ignore[type-arg]
    model = Connection
    form = ConnectionForm
    extra = 0
    show_change_link = True
    fieldsets = (
        (None, {"fields": ("tools", "name", "kind", "enabled")}),
        *CONNECTION_FIELDSETS[1:],
    )
    readonly_fields = ("tools",)
    classes = ("sso-connection-inline",)

    @admin.display(description="Diagnostics")
    def tools(self, obj: Connection) -> str:
        if not obj.pk:
            return "Save first, then test the connection and try a login from its own page."
        url = reverse("admin:tenant_sso_connection_change", args=[obj.pk])
        return format_html(
            '<a href="{}" class="sso-open-connection">{}</a>',
            url,
            "Test connection and try login on the connection's page",
        )


@admin.action(description="Onboard to Cognito (preview, then apply)", permissions=["change"])
def onboard_to_cognito(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Organization]) -> Any:
    """Delegates to ``tenant_sso.cognito.admin_actions``, imported only when used (it needs boto3
    only when applied, and the admin must load without the ``[cognito]`` extra)."""
    module = importlib.import_module(ONBOARD_MODULE)
    return module.onboard_to_cognito(modeladmin, request, queryset)


def _onboarding_available() -> bool:
    try:
        return importlib.util.find_spec(ONBOARD_MODULE) is not None
    except ImportError:
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = OrganizationForm
    list_display = ("name", "slug", "email_domains", "connection_status", "setup_status", "last_login", "active_sessions")
    search_fields = ("name", "slug", "domains__domain", "connections__client_id")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [OrganizationDomainInline, ConnectionInline]
    actions = [
        onboard_to_cognito,
        check_organization_domains,
        issue_scim_token,
        revoke_scim_token,
        *setup_admin.ACTIONS,
        "sign_out_everyone",
    ]
    setup_status = staticmethod(setup_admin.setup_status)

    @admin.display(description="Active SSO sessions")
    def active_sessions(self, obj: Organization) -> str:
        count = getattr(obj, "active_sso", None)
        if count is None:
            count = SSOSession.objects.filter(connection__organization=obj, expires_at__gt=timezone.now()).count()
        url = reverse("admin:tenant_sso_ssosession_changelist") + f"?connection__organization__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.action(description="Sign out everyone of the selected organizations (end their SSO sessions)",
                  permissions=["sign_out"])
    def sign_out_everyone(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        ended = session_index.revoke(
            SSOSession.objects.filter(connection__organization__in=queryset), "admin_signed_out"
        )
        _signed_out_message(self, request, ended)

    def has_sign_out_permission(self, request: HttpRequest) -> bool:
        return _may_sign_out(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        queryset: QuerySet[Organization] = (
            super()
            .get_queryset(request)
            .prefetch_related("domains", "connections")
            .annotate(
                last_success=Max(
                    "login_events__created_at", filter=Q(login_events__outcome=LoginEvent.Outcome.SUCCESS)
                ),
                active_sso=_active_sessions(connection__organization=OuterRef("pk")),
            )
        )
        return queryset

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        # Django 6.1 says where the actions show (change list or change form) and deprecates
        # overrides without the parameter; Django 5.2 has no such parameter.
        if action_location is None:
            actions = super().get_actions(request)
        else:
            actions = super().get_actions(request, action_location=action_location)  # type: ignore[call-arg,unused-ignore]
        if not _onboarding_available():
            actions.pop("onboard_to_cognito", None)
        return actions

    @admin.display(description="Email domains")
    def email_domains(self, obj: Organization) -> str:
        return ", ".join(d.domain for d in obj.domains.all()) or "-"

    @admin.display(description="SSO connection")
    def connection_status(self, obj: Organization) -> str:
        connections = list(obj.connections.all())
        enabled = [c for c in connections if c.enabled]
        if not connections:
            return "none"
        if not enabled:
            return f"{len(connections)} disabled"
        connection = enabled[0]
        return f"{connection.get_kind_display().split(' ')[0]}, enabled" + (
            "" if connection.has_client_secret else " (no secret!)"
        )

    @admin.display(description="Last successful login", ordering="last_success")
    def last_login(self, obj: Organization) -> Any:
        return getattr(obj, "last_success", None) or "never"

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm,  # type: ignore[type-arg]
        formset: BaseInlineFormSet,  # type: ignore[type-arg]
        change: bool,
    ) -> None:
        super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if inline_form.has_changed() and inline_form not in formset.deleted_forms:
                _warn(request, inline_form, inline_form.instance)


# -- connections ---------------------------------------------------------------------------------
@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ConnectionForm
    list_display = ("__str__", "kind", "enabled", "client_id", "secret_state", "issuer")
    list_filter = ("kind", "enabled", "organization")
    list_select_related = ("organization",)
    search_fields = (
        "organization__name",
        "organization__slug",
        "name",
        "client_id",
        "issuer",
        "identity_provider",
    )
    fieldsets = CONNECTION_FIELDSETS

    @admin.display(description="Client secret")
    def secret_state(self, obj: Connection) -> str:
        return "set" if obj.has_client_secret else "not set"

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/test-connection/",
                wrap(self.test_connection_view),
                name="tenant_sso_connection_test",
            ),
            path(
                "<path:object_id>/try-login/",
                wrap(self.try_login_view),
                name="tenant_sso_connection_try_login",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request: HttpRequest, obj: Connection, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _warn(request, form, obj)

    # -- the change page: buttons, last results, recent activity ----------------------------
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        connection = self.get_object(request, object_id)
        if connection is not None and request.method == "GET":
            entry = stash.peek(request, stash.DIAGNOSTICS, str(connection.pk))
            at = entry.get("at") if entry else None
            extra_context.update(
                sso_can_test=self.has_change_permission(request, connection),
                sso_test_url=reverse("admin:tenant_sso_connection_test", args=[connection.pk]),
                sso_try_url=reverse("admin:tenant_sso_connection_try_login", args=[connection.pk]),
                sso_activity=connection_activity(connection),
                **saml_and_expiry(connection, request),
                sso_redirect_uri=flows.redirect_uri_for(connection, request),
                sso_backchannel_logout_uri=flows.backchannel_logout_uri_for(connection, request),
                sso_diagnostics=(
                    {
                        "at": datetime.fromtimestamp(int(at), tz=UTC),
                        "results": [diagnostics.CheckResult.from_dict(r) for r in entry["results"]],
                    }
                    if entry and isinstance(at, (int, float))
                    else None
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _tool_target(self, request: HttpRequest, object_id: str) -> Connection | HttpResponse:
        """The connection a button acts on: POST only, change permission required."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        connection: Connection | None = self.get_object(request, object_id)
        if connection is None:
            raise Http404("No such connection.")
        if not self.has_change_permission(request, connection):
            raise PermissionDenied
        return connection

    def _back(self, connection: Connection) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:tenant_sso_connection_change", args=[connection.pk]))

    def test_connection_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Run :func:`diagnostics.check_connection`, keep the results in the session, show the page."""
        connection = self._tool_target(request, object_id)
        if isinstance(connection, HttpResponse):
            return connection
        results = diagnostics.check_connection(
            connection,
            redirect_uri=flows.redirect_uri_for(connection, request),
            logout_uri=flows.provider_logout_target(request, connection),
        )
        # The session stays small: the stash keeps the latest results of a few connections.
        stash.stash(request, stash.DIAGNOSTICS, {"results": [r.as_dict() for r in results]}, id=str(connection.pk))
        failed = [r for r in results if not r.ok and not r.skipped]
        if failed:
            messages.error(request, f"Test connection: {len(failed)} of {len(results)} checks failed.")
        else:
            messages.success(request, f"Test connection: all {len(results)} checks passed.")
        return self._back(connection)

    def try_login_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Start a login in test mode: the callback shows claims, groups and the decision."""
        connection = self._tool_target(request, object_id)
        if isinstance(connection, HttpResponse):
            return connection
        try:
            # prompt=login: sign in again at the IdP, so another test user can be tried.
            url = flows.begin_login(request, connection, mode=flows.LoginMode.TEST, prompt="login")
        except SSOError as error:
            messages.error(request, f"The test login could not start: {diagnostics.explain(error)}.")
            return self._back(connection)
        # A Cognito connection's login page is built from its domain without asking anyone: check
        # that the browser would reach it, rather than sending it to a dead host.
        problem = diagnostics.unreachable(url)
        if problem:
            messages.error(request, f"The test login could not start: {problem}.")
            return self._back(connection)
        return stash.write_cookies(request, HttpResponseRedirect(url))


# -- identities and events -----------------------------------------------------------------------
@admin.register(FederatedIdentity)
class FederatedIdentityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("subject", "user", "connection", "email", "last_login_at", "active_sessions")
    actions = ["sign_out_everywhere"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FederatedIdentity]:
        queryset: QuerySet[FederatedIdentity] = super().get_queryset(request).annotate(
            active_sso=_active_sessions(user_id=OuterRef("user_id"))
        )
        return queryset

    @admin.display(description="Active SSO sessions")
    def active_sessions(self, obj: FederatedIdentity) -> str:
        count = getattr(obj, "active_sso", None)
        if count is None:
            count = SSOSession.objects.filter(user_id=obj.user_id, expires_at__gt=timezone.now()).count()
        url = reverse("admin:tenant_sso_ssosession_changelist") + f"?user__id__exact={obj.user_id}"
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.action(description="Sign the selected users out everywhere (every SSO session, every connection)",
                  permissions=["sign_out"])
    def sign_out_everywhere(self, request: HttpRequest, queryset: QuerySet[FederatedIdentity]) -> None:
        users = queryset.values("user_id")
        ended = session_index.revoke(SSOSession.objects.filter(user_id__in=users), "admin_signed_out")
        _signed_out_message(self, request, ended)

    def has_sign_out_permission(self, request: HttpRequest) -> bool:
        return _may_sign_out(request)
    search_fields = ("subject", "email", "user__username")
    list_filter = ("connection__organization",)
    list_select_related = ("user", "connection__organization")
    readonly_fields = (
        "user",
        "connection",
        "issuer",
        "subject",
        "email",
        "idp_groups",
        "created_at",
        "last_login_at",
    )


@admin.register(LoginEvent)
class LoginEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The audit log: read-only; rows are written by :mod:`tenant_sso.audit` only."""

    list_display = ("when", "organization", "outcome_label", "reason_code", "who", "ip")
    list_filter = ("outcome", "reason", "organization", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("organization",)
    search_fields = ("email", "subject", "reason", "ip_address", "organization__slug", "organization__name")
    search_help_text = "Email, subject, reason code, IP address or organization."
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "organization",
        "connection",
        "user",
        "outcome",
        "reason",
        "subject",
        "email",
        "ip_address",
        "user_agent",
        "detail_pretty",
    )
    readonly_fields = fields

    @admin.display(description="Time", ordering="created_at")
    def when(self, obj: LoginEvent) -> str:
        # Compact (2026-12-01 14:05:09): the list fits 1280 px with both sidebars open.
        return f"{timezone.localtime(obj.created_at):%Y-%m-%d %H:%M:%S}"

    @admin.display(description="Reason", ordering="reason")
    def reason_code(self, obj: LoginEvent) -> str:
        # A long code breaks after an underscore, not inside a word.
        parts = (obj.reason or "-").split("_")
        return format_html_join(mark_safe("_<wbr>"), "{}", ((part,) for part in parts))

    @admin.display(description="IP address", ordering="ip_address")
    def ip(self, obj: LoginEvent) -> str:
        return obj.ip_address or "-"

    @admin.display(description="Outcome", ordering="outcome")
    def outcome_label(self, obj: LoginEvent) -> str:
        return format_html(
            '<span class="sso-outcome sso-outcome-{}">{}</span>', obj.outcome, obj.get_outcome_display()
        )

    @admin.display(description="Email / subject", ordering="email")
    def who(self, obj: LoginEvent) -> str:
        return obj.email or obj.subject or "-"

    @admin.display(description="Detail")
    def detail_pretty(self, obj: LoginEvent) -> str:
        if not obj.detail:
            return "-"
        return format_html("<pre>{}</pre>", json.dumps(obj.detail, indent=2, sort_keys=True))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # An audit trail edited from the admin proves nothing; retention is a job for a command.
        return False


@admin.register(SSOSession)
class SSOSessionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Live SSO sessions; deleting one ends it now (the kill switch, one browser at a time);
    "Sign out everywhere" ends every session of the selected sessions' users."""

    list_display = ("user", "connection", "created_at", "last_seen_at", "expires_at", "sid_known")
    list_filter = ("connection__organization", "connection")  # a user: ?user__id__exact= (the identity list links it)
    actions = ["sign_out_everywhere"]

    @admin.display(description="IdP sid", boolean=True)
    def sid_known(self, obj: SSOSession) -> bool:
        return bool(obj.sid)

    @admin.action(description="Sign the users of the selected sessions out everywhere", permissions=["sign_out"])
    def sign_out_everywhere(self, request: HttpRequest, queryset: QuerySet[SSOSession]) -> None:
        users = queryset.values("user_id")
        ended = session_index.revoke(SSOSession.objects.filter(user_id__in=users), "admin_signed_out")
        _signed_out_message(self, request, ended)

    def has_sign_out_permission(self, request: HttpRequest) -> bool:
        return _may_sign_out(request)
    list_select_related = ("user", "connection__organization")
    search_fields = ("user__username", "user__email", "sid")
    fields = ("user", "connection", "identity", "sid", "created_at", "last_seen_at", "expires_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _active_sessions(**match: Any) -> Any:
    """The count of unexpired SSO sessions matching ``match`` (OuterRef), as a subquery: one
    query for the whole changelist page, not one per row."""
    rows = (
        SSOSession.objects.filter(expires_at__gt=timezone.now(), **match)
        .order_by()
        .values(*[name for name in match if name.endswith("_id")] or ["connection__organization"])
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows[:1]), 0)


def _may_sign_out(request: HttpRequest) -> bool:
    """Ending sessions is deleting index rows: the delete permission on SSO sessions."""
    return bool(request.user.has_perm("tenant_sso.delete_ssosession"))


def _signed_out_message(modeladmin: Any, request: HttpRequest, ended: int) -> None:
    # Each ended session is audited by session_index (a "revoked" event, reason admin_signed_out);
    # this row says who asked.
    LoginEvent.objects.create(
        outcome=LoginEvent.Outcome.REVOKED, reason="admin_signed_out", user=None,
        detail={"by": request.user.get_username(), "sessions": ended},
    )
    modeladmin.message_user(request, f"{ended} SSO session{'s' if ended != 1 else ''} ended.", messages.SUCCESS)


__all__ = [
    "ConnectionAdmin",
    "FederatedIdentityAdmin",
    "LoginEventAdmin",
    "OrganizationAdmin",
    "SSOSessionAdmin",
    "connection_activity",
]


admin.site.register(SetupLink, setup_admin.SetupLinkAdmin)
admin.site.register(SetupEvent, setup_admin.SetupEventAdmin)
admin.site.register(SetupState, setup_admin.SetupStateAdmin)


# -- SCIM (docs/scim.md): read-only; SCIM clients and provisioning.py write these ---------------
class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScimToken)
class ScimTokenAdmin(_ReadOnly):
    list_display = ("organization", "hint", "created_at", "rotated_at", "last_used_at")
    readonly_fields = list_display


@admin.register(ScimUser)
class ScimUserAdmin(_ReadOnly):
    list_display = ("user_name", "organization", "external_id", "user", "updated_at")
    list_filter = ("organization",)
    search_fields = ("user_name", "external_id", "scim_id")
    list_select_related = ("organization", "user")
    readonly_fields = ("organization", "user", "scim_id", "user_name", "external_id", "data", "created_at", "updated_at")


@admin.register(ScimGroup)
class ScimGroupAdmin(_ReadOnly):
    list_display = ("display_name", "organization", "external_id", "updated_at")
    list_filter = ("organization",)
    search_fields = ("display_name", "external_id")
    readonly_fields = ("organization", "scim_id", "display_name", "external_id", "created_at", "updated_at")

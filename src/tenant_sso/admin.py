"""The Django admin as the control panel for customer SSO."""

from __future__ import annotations

from django.contrib import admin

from .forms import ConnectionForm
from .models import Connection, FederatedIdentity, LoginEvent, Organization, OrganizationDomain


class OrganizationDomainInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OrganizationDomain
    extra = 1


class ConnectionInline(admin.StackedInline):  # type: ignore[type-arg]
    model = Connection
    form = ConnectionForm
    extra = 0
    show_change_link = True
    fields = (
        "kind",
        "enabled",
        "client_id",
        "client_secret",
        "issuer",
        "cognito_domain",
        "identity_provider",
        "allowed_groups",
        "group_mapping",
    )


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "slug")
    search_fields = ("name", "slug", "domains__domain")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [OrganizationDomainInline, ConnectionInline]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ConnectionForm
    list_display = ("organization", "kind", "enabled", "client_id", "issuer")
    list_filter = ("kind", "enabled")
    search_fields = ("organization__name", "organization__slug", "client_id", "issuer")
    fieldsets = (
        (None, {"fields": ("organization", "name", "kind", "enabled")}),
        (
            "Client (from the Cognito app client, or the IdP's app registration)",
            {"fields": ("client_id", "client_secret", "token_auth_method")},
        ),
        ("Provider", {"fields": ("issuer", "cognito_domain", "identity_provider", "use_userinfo")}),
        (
            "Access policy",
            {
                "fields": (
                    "groups_claim",
                    "roles_claim",
                    "allowed_groups",
                    "group_mapping",
                    "link_by_email",
                    "max_session_age",
                )
            },
        ),
        ("Logout", {"fields": ("logout_redirect_url", "upstream_logout_url")}),
    )


@admin.register(FederatedIdentity)
class FederatedIdentityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("subject", "user", "connection", "email", "last_login_at")
    search_fields = ("subject", "email", "user__username")
    list_filter = ("connection__organization",)
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
    list_display = ("created_at", "organization", "outcome", "reason", "email", "subject", "ip_address")
    list_filter = ("outcome", "reason", "organization", "created_at")
    search_fields = ("email", "subject", "reason", "ip_address")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

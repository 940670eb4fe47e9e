"""The setup portal in the admin (docs/setup-portal.md, "Operators"): actions on organizations
(create a setup link, revoke links, go live by override, break-glass), the setup state column,
and read-only admins for setup links and setup events (registered in ``tenant_sso/admin.py``).

Actions need the change permission on organizations; each is audited as a SetupEvent naming
the staff user.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..exceptions import SSOError
from ..models import Organization
from . import links, wizard


def _actor(request: HttpRequest) -> str:
    return f"admin:{request.user.get_username()}"


@admin.action(description="Create a self-service setup link", permissions=["change"])
def create_setup_link(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Organization]) -> HttpResponse | None:
    if queryset.count() != 1:
        modeladmin.message_user(request, "Select exactly one organization: a link is for one.", messages.ERROR)
        return None
    org = queryset.get()
    new = links.create_link(org, created_by=_actor(request), request=request)
    response = render(request, "tenant_sso/setup/admin_link.html", {
        "organization": org, "url": links.link_url(new.token, request), "link": new.link,
        "opts": modeladmin.model._meta, "title": "Setup link",
    })
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@admin.action(description="Revoke setup links", permissions=["change"])
def revoke_setup_links(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
    count = sum(links.revoke_links(org, actor=_actor(request), request=request) for org in queryset)
    modeladmin.message_user(request, f"Revoked {count} setup link(s).")


@admin.action(description="Go live now (override the setup checks, audited)", permissions=["change"])
def go_live_override(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
    for org in queryset:
        try:
            wizard.go_live(request, org, actor=_actor(request), override=True)
            modeladmin.message_user(request, f"{org.slug} is live.")
        except SSOError as error:
            modeladmin.message_user(request, f"{org.slug}: {error.message} [{error.code}]", messages.ERROR)


@admin.action(description="Break-glass: turn SSO off now (ends sessions)", permissions=["change"])
def break_glass(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
    for org in queryset:
        count = wizard.break_glass(request, org, actor=_actor(request))
        modeladmin.message_user(request, f"{org.slug}: SSO off ({count} connection(s) disabled).", messages.WARNING)


ACTIONS = [create_setup_link, revoke_setup_links, go_live_override, break_glass]


@admin.display(description="Setup")
def setup_status(obj: Organization) -> str:
    return wizard.progress(obj).label


class SetupLinkAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("organization", "created_at", "expires_at", "revoked_at", "uses", "last_used_at", "note")
    list_filter = ("organization",)
    readonly_fields = ("organization", "created_by", "created_at", "expires_at", "revoked_at", "uses",
                       "last_used_at", "note")
    exclude = ("token_digest",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # links are made by the organization action or the command (shown once)


class SetupEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "organization", "action", "reason", "actor", "ip_address")
    list_filter = ("action", "reason", "organization")
    readonly_fields = ("created_at", "organization", "link", "action", "reason", "actor", "ip_address", "detail")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SetupStateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Where each organization's setup stands; only the route is the operator's to set here."""

    list_display = ("organization", "route", "provider", "link_sent_at", "configured_at", "tested_at",
                    "live_at", "live_override", "disabled_at")
    readonly_fields = ("organization", "provider", "link_sent_at", "configured_at", "tested_at", "test_result",
                       "live_at", "live_override", "disabled_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

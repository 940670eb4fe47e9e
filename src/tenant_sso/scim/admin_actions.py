"""The admin's SCIM token actions on organizations: create or rotate (shown once), revoke."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from ..models import ScimToken
from . import tokens
from .views import base_url_for


@admin.action(description="Create or rotate the SCIM token (shown once)", permissions=["change"])
def issue_scim_token(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
    organizations = list(queryset)
    if len(organizations) != 1:
        modeladmin.message_user(request, "Select one organization: its token is shown once.", messages.WARNING)
        return None
    organization = organizations[0]
    exists = ScimToken.objects.filter(organization=organization).exists()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"SCIM token of {organization}",
        "organization": organization,
        "checkbox": helpers.ACTION_CHECKBOX_NAME,
        "rotating": exists,
    }
    if exists and "confirm" not in request.POST:
        return TemplateResponse(request, "admin/tenant_sso/scim_token.html", context)
    token, rotated = tokens.issue(organization)
    base = base_url_for(organization.slug)
    if base.startswith("/"):
        base = request.build_absolute_uri(base)
    response = TemplateResponse(
        request, "admin/tenant_sso/scim_token.html", {**context, "token": token, "base_url": base, "rotated": rotated}
    )
    response["Cache-Control"] = "no-store"
    return response


@admin.action(description="Revoke the SCIM token", permissions=["change"])
def revoke_scim_token(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    for organization in queryset:
        if tokens.revoke(organization):
            modeladmin.message_user(request, f"SCIM token of {organization.slug} revoked.", messages.SUCCESS)
        else:
            modeladmin.message_user(request, f"{organization.slug} has no SCIM token.", messages.INFO)

"""A URLconf with an admin site whose Organization admin offers the "Onboard to Cognito" action,
so the action is exercised through the real changelist (select, action, confirm, messages)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import path

from tenant_sso.cognito.admin_actions import onboard_to_cognito
from tenant_sso.models import Organization

site = admin.AdminSite(name="cognito_test_admin")


class OrganizationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    actions = [onboard_to_cognito]
    provisioner: Any = None  # set by the test

    def cognito_provisioner(self) -> Any:
        return type(self).provisioner


site.register(Organization, OrganizationAdmin)

urlpatterns = [path("admin/", site.urls)]

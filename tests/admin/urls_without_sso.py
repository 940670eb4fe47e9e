"""A URLconf that forgot ``include("tenant_sso.urls")`` (check tenant_sso.E009)."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]

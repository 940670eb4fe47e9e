"""SCIM 2.0 under the package's URLs: ``scim/v2/<org>/Users``, ``/Groups``, ``/Schemas``..."""

from __future__ import annotations

from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^scim/v2/(?P<org>[-a-zA-Z0-9_]+)$", views.endpoint, name="scim_root"),
    re_path(r"^scim/v2/(?P<org>[-a-zA-Z0-9_]+)(?P<rest>/.*)$", views.endpoint, name="scim"),
]

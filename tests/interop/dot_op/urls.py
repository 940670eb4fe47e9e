from __future__ import annotations

from django.urls import include, path

from .views import login_view

urlpatterns = [
    path("accounts/login/", login_view),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]

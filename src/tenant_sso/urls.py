"""Mount under the path of your choice; the example uses ``api/oidc/cognito/``."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "tenant_sso"

urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("login/", views.login_start, name="login"),
    path("callback/", views.callback, name="callback"),
    # OIDC connections: one redirect URI per organization (mix-up defence, docs/security.md).
    path("callback/<slug:org>/", views.callback, name="connection_callback"),
    path("logout/", views.logout, name="logout"),
    path("logout/upstream/", views.logout_upstream, name="logout_upstream"),
    # OIDC Back-Channel Logout 1.0: the URL registered at the IdP, one per organization.
    path("backchannel-logout/<slug:org>/", views.backchannel_logout, name="backchannel_logout"),
]

"""Mount under the path of your choice; the example uses ``api/oidc/cognito/``."""

from __future__ import annotations

from django.urls import path

from . import views
from .scim.urls import urlpatterns as scim_urlpatterns
from .setup import views as setup

app_name = "tenant_sso"

urlpatterns = [
    path("signin/", views.signin, name="signin"),
    path("login/", views.login_start, name="login"),
    path("callback/", views.callback, name="callback"),
    # OIDC connections: one redirect URI per organization (mix-up defence, docs/security.md).
    path("callback/<slug:org>/", views.callback, name="connection_callback"),
    # Where Cognito sends an IdP-initiated SAML sign-in; the code is never redeemed (docs/security.md).
    path("idp-initiated/<slug:org>/", views.idp_initiated, name="idp_initiated"),
    path("logout/", views.logout, name="logout"),
    path("logout/upstream/", views.logout_upstream, name="logout_upstream"),
    # The self-service setup portal (docs/setup-portal.md).
    path("setup/link/<str:token>/", setup.open_link, name="setup_open"),
    path("setup/org/<slug:org>/", setup.overview, name="setup_overview"),
    path("setup/org/<slug:org>/idp/<slug:key>/", setup.provider, name="setup_provider"),
    path("setup/org/<slug:org>/idp/<slug:key>/check/", setup.check, name="setup_check"),
    path("setup/org/<slug:org>/test/", setup.test, name="setup_test"),
    path("setup/org/<slug:org>/test/groups/", setup.policy, name="setup_policy"),
    path("setup/org/<slug:org>/domains/", setup.domains, name="setup_domains"),
    path("setup/org/<slug:org>/live/", setup.live, name="setup_live"),
    # SCIM 2.0 provisioning per organization (docs/scim.md): scim/v2/<org>/Users...
    *scim_urlpatterns,
    # OIDC Back-Channel Logout 1.0: the URL registered at the IdP, one per organization.
    path("backchannel-logout/<slug:org>/", views.backchannel_logout, name="backchannel_logout"),
]

from django.contrib import admin
from django.urls import include, path

from tenant_sso import views as sso_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", sso_views.signin, name="login"),  # the package's login page, at a short URL
    path("api/me/", views.me, name="me"),
    path("api/oidc/cognito/", include("tenant_sso.urls")),
    path("admin/", admin.site.urls),
]

from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_page, name="login"),
    path("api/me/", views.me, name="me"),
    path("api/oidc/cognito/", include("tenant_sso.urls")),
    path("admin/", admin.site.urls),
]

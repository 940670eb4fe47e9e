from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def done(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok" if request.user.is_authenticated else "anonymous")


urlpatterns = [
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("done/", done),
    path("failed/", done),
]

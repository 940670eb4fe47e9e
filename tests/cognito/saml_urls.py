"""The example project's URLconf, with ``tenant_sso:idp_initiated`` routed even before the
IdP-initiated view is merged in (saml-broker's): onboarding only needs its URL, never its view."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

import tenant_sso.urls
from example_project.urls import urlpatterns as example_patterns


def _placeholder(request: HttpRequest, org: str) -> HttpResponse:  # pragma: no cover - never requested
    return HttpResponse(status=404)


_patterns = list(tenant_sso.urls.urlpatterns)
if not any(getattr(p, "name", None) == "idp_initiated" for p in _patterns):
    _patterns.append(path("idp-initiated/<slug:org>/", _placeholder, name="idp_initiated"))

urlpatterns = [
    path("api/oidc/cognito/", include((_patterns, "tenant_sso"))),
    *[p for p in example_patterns if getattr(p, "namespace", None) != "tenant_sso"],
]

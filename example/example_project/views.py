"""The example application: a home page and /api/me/, reading the SSO session through
:mod:`tenant_sso.session` (the login page at /login/ is the package's own, ``tenant_sso:signin``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from tenant_sso.session import get_sso, sso_required


@require_GET
@sso_required
def home(request: HttpRequest) -> HttpResponse:
    sso = get_sso(request)
    assert sso is not None  # sso_required
    return render(
        request,
        "example/home.html",
        {
            "organization": sso.organization,
            "idp_groups": sso.idp_groups,
            "login_at": sso.login_at,
            "groups": sorted(request.user.groups.values_list("name", flat=True)),
        },
    )


@require_GET
@ensure_csrf_cookie
def me(request: HttpRequest) -> JsonResponse:
    """``200`` with the user, organization and groups; ``401`` when not logged in."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False}, status=401)
    sso = get_sso(request)
    return JsonResponse(
        {
            "authenticated": True,
            "username": request.user.get_username(),
            "email": request.user.email,
            "organization": sso.organization if sso else None,
            "idp_groups": list(sso.idp_groups) if sso else [],
            "login_at": sso.login_at.isoformat() if sso else None,
            "groups": sorted(request.user.groups.values_list("name", flat=True)),
        }
    )

"""The example application: a home page, a login page asking for the work email, and /api/me/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from tenant_sso.flows import SESSION_KEY


def _sso(request: HttpRequest) -> dict[str, object]:
    return request.session.get(SESSION_KEY) or {}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    sso = _sso(request)
    return render(
        request,
        "example/home.html",
        {
            "organization": sso.get("organization", ""),
            "idp_groups": sso.get("idp_groups", []),
            "groups": sorted(request.user.groups.values_list("name", flat=True)),
        },
    )


@require_GET
def login_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "example/login.html",
        {
            "next": request.GET.get("next", ""),
            "logged_out": "logged_out" in request.GET,
        },
    )


@require_GET
@ensure_csrf_cookie
def me(request: HttpRequest) -> JsonResponse:
    """``200`` with the user, organization and groups; ``401`` when not logged in."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False}, status=401)
    sso = _sso(request)
    return JsonResponse(
        {
            "authenticated": True,
            "username": request.user.get_username(),
            "email": request.user.email,
            "organization": sso.get("organization"),
            "idp_groups": sso.get("idp_groups", []),
            "groups": sorted(request.user.groups.values_list("name", flat=True)),
        }
    )

"""The example project's URLs, plus ``/plain/me/``: ``/api/me/`` for a user with no SSO at all."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from example_project.urls import urlpatterns as example_urlpatterns


@require_GET
@ensure_csrf_cookie
def plain_me(request: HttpRequest) -> JsonResponse:
    """The same answer as ``example_project.views.me``, built from the Django user alone."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False}, status=401)
    return JsonResponse(
        {
            "authenticated": True,
            "username": request.user.get_username(),
            "email": request.user.email,
            "organization": None,
            "idp_groups": [],
            "groups": sorted(request.user.groups.values_list("name", flat=True)),
        }
    )


urlpatterns = [path("plain/me/", plain_me), *example_urlpatterns]

"""A login page shaped like oidc-provider's dev interactions (hidden ``prompt=login``, fields
``login`` and ``password``) so the interop tests' one browser driver signs in at every provider."""

from __future__ import annotations

from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    if request.method == "POST":
        user = authenticate(request, username=request.POST.get("login", ""), password=request.POST.get("password", ""))
        if user is not None:
            login(request, user)
            return HttpResponseRedirect(next_url)
    return HttpResponse(
        "<!DOCTYPE html><html><body><h1>Sign in (django-oauth-toolkit)</h1>"
        '<form method="post" action="/accounts/login/">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}">'
        f'<input type="hidden" name="next" value="{escape(next_url)}">'
        '<input type="hidden" name="prompt" value="login">'
        '<input name="login"><input name="password" type="password"><button type="submit">Sign in</button>'
        "</form></body></html>"
    )

"""tenant_sso.session: get_sso, sso_required and SSORequiredMixin, as a project's views use them."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.views import View

from tenant_sso.session import SSOInfo, SSORequiredMixin, get_sso, sso_required
from tests.support import urls
from tests.support.driver import sso_login

pytestmark = pytest.mark.django_db


@sso_required
def any_org(request: HttpRequest) -> HttpResponse:
    sso = get_sso(request)
    assert sso is not None
    return HttpResponse(f"{sso.organization}:{','.join(sso.idp_groups)}")


@sso_required(org="acme")
def acme_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("acme page")


class GlobexView(SSORequiredMixin, View):
    sso_organization = "globex"

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("globex page")


def call(client: Any, view: Any, path: str = "/page/?x=1") -> HttpResponse:
    """Run ``view`` on a request carrying the test client's session and user."""
    from django.contrib.auth import get_user
    from django.core.exceptions import PermissionDenied

    request = RequestFactory().get(path)
    request.session = client.session
    request.user = get_user(request)
    try:
        response: HttpResponse = view(request)
    except PermissionDenied:
        return HttpResponse(status=403)
    return response


def test_get_sso_after_login(client: Any, tenants: Any, browser: Any) -> None:
    before = time.time()
    sso_login(client, browser, email="alice@acme.test", org="acme")
    request = RequestFactory().get("/")
    from django.contrib.auth import get_user

    request.session = client.session
    request.user = get_user(request)
    sso = get_sso(request)
    assert isinstance(sso, SSOInfo)
    assert sso.organization == "acme"
    assert sso.idp_groups == ("engineering", "sso-admins")
    assert sso.connection == tenants["acme"] and sso.connection_id == tenants["acme"].pk
    assert sso.organization_object is not None and sso.organization_object.name == "Acme Corp"
    assert sso.login_at.tzinfo is dt.UTC and before - 1 <= sso.login_at.timestamp() <= time.time() + 1
    with pytest.raises(AttributeError):
        sso.organization = "globex"  # type: ignore[misc]


def test_no_sso_for_anonymous_and_password_users(client: Any, tenants: Any, browser: Any) -> None:
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert get_sso(request) is None
    # SSO first, then the same person signs in with a password in that browser: the SSO data of
    # the first login must not describe the second.
    sso_login(client, browser, email="alice@acme.test", org="acme")
    user = get_user_model().objects.get(email="alice@acme.test")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert call(client, any_org).status_code == 403


def test_decorator_redirects_anonymous_to_the_login_page(client: Any, db: Any) -> None:
    response = call(client, any_org)
    assert response.status_code == 302 and response["Location"] == "/login/?next=/page/%3Fx%3D1"


def test_decorator_and_mixin_check_the_organization(client: Any, tenants: Any, browser: Any) -> None:
    sso_login(client, browser, email="alice@acme.test", org="acme")
    assert call(client, any_org).content == b"acme:engineering,sso-admins"
    assert call(client, acme_only).content == b"acme page"
    assert call(client, GlobexView.as_view()).status_code == 403
    client.post(urls.logout())
    sso_login(client, browser, email="carol@globex.test", org="globex")
    assert call(client, acme_only).status_code == 403
    assert call(client, GlobexView.as_view()).content == b"globex page"


def test_example_home_uses_the_session_api(client: Any, tenants: Any, browser: Any) -> None:
    assert client.get("/")["Location"] == "/login/?next=/"
    sso_login(client, browser, email="carol@globex.test", org="globex")
    html = client.get("/").content.decode()
    assert '<td id="organization">globex</td>' in html
    assert re.search(r'<td id="login-at">20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC</td>', html)
    body = client.get("/api/me/").json()
    assert body["organization"] == "globex" and body["login_at"]

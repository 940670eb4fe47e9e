"""The package's login page, the POST login start, the landing URL and the error page's link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from tenant_sso.models import LoginEvent
from tests.support import urls
from tests.support.driver import path_of, sso_login

pytestmark = pytest.mark.django_db


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def post_login(client: Client, page: str, **fields: str) -> Any:
    """Submit the login page's form as a browser would (CSRF token from the page and the cookie)."""
    html = client.get(page).content.decode()
    action = re.search(r'<form method="post" action="([^"]+)"', html)
    assert action and action.group(1) == reverse("tenant_sso:login")
    return client.post(action.group(1), {"csrfmiddlewaretoken": csrf_of(html), **fields})


def test_login_page_asks_for_the_email_and_posts_it_with_csrf(tenants: Any, browser: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(urls.signin(), {"next": "/reports/"})
    assert page.status_code == 200
    # "no-referrer" would make browsers send "Origin: null" with the form, refused by CSRF.
    assert page["Referrer-Policy"] == "same-origin" and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert 'id="email" name="email" type="email"' in html
    assert '<input type="hidden" name="next" value="/reports/">' in html
    start = post_login(client, f"{urls.signin()}?next=/reports/", email="alice@acme.test", next="/reports/")
    assert start.status_code == 302 and "/oauth2/authorize?" in start["Location"]
    answer = browser.authorize(start["Location"], "alice@acme.test")
    assert answer.headers["location"].startswith(urls.callback_url())
    done = client.get(path_of(answer.headers["location"]))
    assert done.status_code == 302 and done["Location"] == "/reports/"


def test_post_without_csrf_token_is_refused(tenants: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(urls.signin())
    response = client.post(urls.login(), {"email": "alice@acme.test"})
    assert response.status_code == 403
    assert not LoginEvent.objects.exists()


def test_unsafe_next_is_not_carried_by_the_page(tenants: Any) -> None:
    html = Client().get(urls.signin(), {"next": "https://evil.test/"}).content.decode()
    assert "evil.test" not in html and 'name="next"' not in html


@override_settings(TENANT_SSO_LOGIN_PAGE_ORGANIZATIONS=True)
def test_login_page_lists_organizations_when_configured(tenants: Any, browser: Any) -> None:
    tenants["globex"].enabled = False
    tenants["globex"].save()
    client = Client(enforce_csrf_checks=True)
    html = client.get(urls.signin()).content.decode()
    assert 'name="org" value="acme"' in html and ">Acme Corp</button>" in html
    assert "globex" not in html  # no enabled connection: not offered
    assert 'name="email"' not in html
    start = post_login(client, urls.signin(), org="acme")
    assert start.status_code == 302
    answer = browser.authorize(start["Location"], "alice@acme.test")
    assert client.get(path_of(answer.headers["location"]))["Location"] == "/"


def test_signed_in_user_is_told_so(client: Any, tenants: Any, browser: Any) -> None:
    sso_login(client, browser, email="alice@acme.test", org="acme")
    html = client.get(urls.signin(), {"next": "/reports/"}).content.decode()
    assert 'id="signed-in"' in html and "alice@acme.test" in html and "<strong>acme</strong>" in html
    assert 'id="continue" href="/reports/"' in html
    assert f'action="{reverse("tenant_sso:logout")}"' in html
    assert 'name="email"' not in html


def test_admin_password_user_is_told_so_without_an_organization(client: Any, db: Any) -> None:
    user = get_user_model().objects.create_user("staff", "staff@example.test", "pw")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get(urls.signin()).content.decode()
    assert 'id="signed-in"' in html and "staff@example.test" in html and " through " not in html


def test_landing_defaults_to_root_not_accounts_profile(client: Any, tenants: Any, browser: Any) -> None:
    with override_settings(LOGIN_REDIRECT_URL="/accounts/profile/"):
        response = sso_login(client, browser, email="alice@acme.test", org="acme")
    assert response["Location"] == "/"


@override_settings(TENANT_SSO_LOGIN_REDIRECT_URL="me")
def test_landing_setting_takes_a_url_name(client: Any, tenants: Any, browser: Any) -> None:
    response = sso_login(client, browser, email="alice@acme.test", org="acme", next_url="//evil.test/")
    assert response["Location"] == "/api/me/"


def test_missing_email_message_and_error_link(client: Any, tenants: Any) -> None:
    response = client.get(urls.login())
    html = response.content.decode()
    assert response.status_code == 400 and "organization_missing" in html
    assert "enter your work email" not in html and "start again from the sign-in page" in html
    # The example sets LOGIN_URL = "/login/" (its short URL for the package page): the link uses it.
    link = re.search(r'id="sso-error-retry" href="([^"]+)"', html)
    assert link and link.group(1) == "/login/" and client.get(link.group(1)).status_code == 200


def test_error_link_without_login_url_is_the_package_page(client: Any, tenants: Any) -> None:
    with override_settings(LOGIN_URL="/accounts/login/"):  # Django's default: a 404 here
        assert client.get("/accounts/login/").status_code == 404
        html = client.post(urls.login(), {"email": "x@unknown.test"}).content.decode()
    link = re.search(r'id="sso-error-retry" href="([^"]+)"', html)
    assert link and link.group(1) == urls.signin() and client.get(urls.signin()).status_code == 200


def test_post_fields_are_bounded(client: Any, tenants: Any) -> None:
    response = client.post(urls.login(), {"email": "a" * 5000 + "@acme.test"})
    assert response.status_code == 400 and b"email_invalid" in response.content


def test_login_template_can_be_overridden(client: Any, tenants: Any, tmp_path: Any) -> None:
    from django.conf import settings

    (tmp_path / "tenant_sso").mkdir()
    (tmp_path / "tenant_sso" / "login.html").write_text("<p id='ours'>Our own page for {{ next }}</p>")
    templates = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    with override_settings(TEMPLATES=templates):
        html = client.get(urls.signin(), {"next": "/x/"}).content.decode()
    assert html == "<p id='ours'>Our own page for /x/</p>"

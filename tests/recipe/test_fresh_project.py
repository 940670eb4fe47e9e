"""README's recipe in a fresh ``django-admin startproject``: a working SSO login, Django 5.2, 6.0, 6.1.

Each project gets its own venv (Python 3.11 for Django 5.2, 3.13 for 6.x), the wheel built from
this checkout, the README's blocks, ``migrate``, a connection made with the documented command
against the identity provider the recipe starts, and the app's own ``runserver``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.recipe.project import FreshProject
from tests.support.html import parse_forms


def sign_in(project: FreshProject, email: str) -> tuple[httpx.Client, httpx.Response]:
    """What a browser does: open the app, be sent to the login page, type the email, pick the user
    at the identity provider, come back. Returns the client (cookies) and the last response."""
    http = httpx.Client(follow_redirects=True, timeout=30)
    page = http.get(f"{project.app_url}/")
    assert page.status_code == 200 and page.url.path == "/api/oidc/cognito/signin/", (page.url, page.text[:300])
    assert page.url.params["next"] == "/"
    (form,) = parse_forms(page.text)
    assert form["method"] == "post" and 'name="email"' in page.text
    at_idp = http.post(urljoin(str(page.url), form["action"]), data={**form["hidden"], "email": email})
    assert at_idp.url.host == "127.0.0.1" and at_idp.url.port == int(project.idp_url.rsplit(":", 1)[1])
    idp_form = next(f for f in parse_forms(at_idp.text) if ("user", email) in f["buttons"])
    back = http.post(urljoin(str(at_idp.url), idp_form["action"] or str(at_idp.url)),
                     data={**idp_form["hidden"], "user": email})
    return http, back


@pytest.mark.services
@pytest.mark.slow
@pytest.mark.parametrize("django", ["5.2", "6.0", "6.1"])
def test_readme_recipe_gives_a_working_login(fresh_project: Callable[[str], FreshProject], django: str) -> None:
    project = fresh_project(django)
    version = project.run("python -m django --version").strip()
    assert version.startswith(f"{django}."), version

    http, home = sign_in(project, "alice@acme.test")
    assert home.status_code == 200 and home.url == f"{project.app_url}/", (home.url, home.text[:500])
    assert re.search(r"Signed in as alice@acme.test through acme \(IdP groups: engineering\)", home.text)
    # The login page tells a signed-in user so.
    again = http.get(f"{project.app_url}/api/oidc/cognito/signin/")
    assert 'id="signed-in"' in again.text and "alice@acme.test" in again.text
    http.close()

    # Outside the allowed groups: a clear refusal with its reason code, and a link that works.
    http, refused = sign_in(project, "bob@acme.test")
    assert refused.status_code == 403 and "not_in_allowed_group" in refused.text
    link = re.search(r'id="sso-error-retry" href="([^"]+)"', refused.text)
    assert link and http.get(urljoin(project.app_url, link.group(1))).status_code == 200
    http.close()

    # The recipe's commands work as documented: the connection is listed, checks pass.
    assert "acme" in project.run("python manage.py sso_connection list")
    project.run("python manage.py check --fail-level WARNING")


@pytest.mark.browser
def test_login_page_in_a_browser(fresh_project: Callable[[str], FreshProject], page: Any, shot: Any) -> None:
    project = fresh_project("5.2")
    page.goto(f"{project.app_url}/")
    assert "/api/oidc/cognito/signin/" in page.url
    assert page.title() == "Sign in"
    page.fill("#email", "alice@acme.test")
    shot(page, "fresh-project-login")
    page.click("#continue")
    page.wait_for_url(f"{project.idp_url}/**")
    page.click("button[value='alice@acme.test']")
    page.wait_for_url(f"{project.app_url}/")
    assert page.inner_text("#welcome") == "Signed in as alice@acme.test through acme (IdP groups: engineering)"
    page.goto(f"{project.app_url}/api/oidc/cognito/signin/")
    assert "Signed in as alice@acme.test through acme" in page.inner_text("#signed-in")
    with page.expect_navigation(url=f"{project.app_url}/api/oidc/cognito/signin/?next=/"):
        page.click("#logout")  # app session, then the identity provider's, then back: signed out
    assert page.is_visible("#email")

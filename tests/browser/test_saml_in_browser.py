"""A SAML tenant in a real browser: the app -> the devidp playing Cognito -> mcguinness's saml-idp
(a third-party SAML IdP on Node, tests/saml/idp) -> back, signed in; a user outside the allowed
groups refused; IdP-initiated sign-in from the IdP's own page allowed when on, refused when off;
logout. The same three processes as ``make demo``'s ``initech`` tenant."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from example_project import demo, saml_idp
from tenant_sso.models import Connection, LoginEvent

pytestmark = [pytest.mark.browser, pytest.mark.node, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SIGN_IN = "#btn-sign-in"  # saml-idp's "Sign in" button on its user page


@dataclass
class SamlSite:
    app_url: str
    idp: saml_idp.SamlIdP
    pool: Any


@pytest.fixture
def saml_site(live_server: Any, devidp_factory: Any, tmp_path: Path) -> Iterator[SamlSite]:
    saml_idp.ensure_installed()
    app_url = str(live_server.url)
    port = saml_idp.free_port()
    server = devidp_factory(demo.idp_config(app_url, f"http://127.0.0.1:{port}/metadata"))
    idp = saml_idp.SamlIdP(
        # Relative, as `make demo`'s state folder is (saml-idp runs in its own folder: the paths
        # it is given must be made absolute first).
        Path(os.path.relpath(tmp_path / "saml-idp")), acs_url=f"{server.base_url}/saml2/idpresponse",
        audience=f"urn:amazon:cognito:sp:{demo.POOL_ID}", user=dict(demo.SAML_USER), port=port,
        relay_state=demo.saml_relay_state(app_url),
    ).start()
    demo.seed(server.issuer, server.base_url, app_url, saml=True)
    try:
        yield SamlSite(app_url, idp, server.idp)
    finally:
        idp.stop()


def start(page: Any, site: SamlSite, email: str) -> None:
    page.goto(f"{site.app_url}/login/")
    page.fill("#email", email)
    page.click("#continue")
    page.wait_for_selector(SIGN_IN)
    assert page.url.startswith(f"{site.idp.base_url}/saml/sso?SAMLRequest=")


def set_user(page: Any, email: str, groups: str) -> None:
    """Be someone else at saml-idp: its form is the assertion's subject and attributes."""
    page.fill("#userName", email)
    page.fill("#email", email)
    page.evaluate(
        """groups => { const el = document.querySelector('#groups');
        if (window.jQuery && jQuery(el).tagsinput) { jQuery(el).tagsinput('removeAll');
          groups.split(',').forEach(g => jQuery(el).tagsinput('add', g)); }
        else { el.value = groups; } }""",
        groups,
    )


def test_saml_user_signs_in_sees_mapped_groups_and_logs_out(page: Any, saml_site: SamlSite, shot: Any) -> None:
    start(page, saml_site, "peter@initech.test")
    shot(page, "saml-1-identity-provider")
    page.click(SIGN_IN)
    page.wait_for_selector("#organization")
    assert page.url == f"{saml_site.app_url}/"
    assert page.inner_text("#organization") == "initech"
    assert page.inner_text("#idp-groups") == "engineering, sso-admins"
    assert page.inner_text("#django-groups") == "Administrators, Engineers"
    shot(page, "saml-2-home")
    pool_user = saml_site.pool.pool_user(demo.SAML_IDP, "peter@initech.test")
    assert pool_user.provider_type == "SAML" and pool_user.custom_groups == "[engineering, sso-admins]"

    page.click("#logout")
    page.wait_for_selector("#logged-out")
    assert page.url.startswith(f"{saml_site.app_url}/login/")
    assert page.request.get(f"{saml_site.app_url}/api/me/").status == 401
    # Cognito's session ended: the next login goes to the SAML IdP again.
    start(page, saml_site, "peter@initech.test")


def test_saml_user_outside_the_allowed_groups_is_refused(page: Any, saml_site: SamlSite, shot: Any) -> None:
    start(page, saml_site, "milton@initech.test")
    set_user(page, "milton@initech.test", "sales")
    page.click(SIGN_IN)
    page.wait_for_selector("#sso-error-code")
    assert page.inner_text("#sso-error-code") == "not_in_allowed_group"
    shot(page, "saml-3-denied")
    assert page.request.get(f"{saml_site.app_url}/api/me/").status == 401
    assert saml_site.pool.pool_user(demo.SAML_IDP, "milton@initech.test").custom_groups == "[sales]"


def test_idp_initiated_sign_in_when_on_signs_in_through_a_fresh_login(page: Any, saml_site: SamlSite) -> None:
    # The user starts at the IdP (its page, no AuthnRequest): the app's "tile".
    page.goto(f"{saml_site.idp.base_url}/")
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.click(SIGN_IN)
    # The app's fresh SP-initiated login goes through Cognito (identity_provider: no Cognito page)
    # to the SAML IdP with an AuthnRequest. A production IdP answers it from its own session
    # without a page; saml-idp keeps no session and shows its form again: sign in there once more.
    home = f"{saml_site.app_url}/"
    page.wait_for_url(lambda url: "SAMLRequest=" in url or url == home)
    if page.url != home:
        page.click(SIGN_IN)
    page.wait_for_selector("#organization")
    assert page.inner_text("#organization") == "initech"
    assert page.url == f"{saml_site.app_url}/"
    landing = [u for u in urls if u.startswith(demo.idp_initiated_url(saml_site.app_url))]
    assert landing and "code=" in landing[0] and "state=" not in landing[0]
    # ... and the app signed in through its own SP-initiated login (state + PKCE), not that code.
    authorize = [u for u in urls if "/oauth2/authorize?" in u]
    assert authorize and "state=" in authorize[-1] and "code_challenge=" in authorize[-1]


def test_idp_initiated_sign_in_when_off_is_refused(page: Any, saml_site: SamlSite) -> None:
    Connection.objects.filter(organization__slug="initech").update(idp_initiated=False)
    page.goto(f"{saml_site.idp.base_url}/")
    page.click(SIGN_IN)
    page.wait_for_selector("#sso-error-code")
    assert page.inner_text("#sso-error-code") == "idp_initiated_disabled"
    assert page.request.get(f"{saml_site.app_url}/api/me/").status == 401
    assert LoginEvent.objects.filter(reason="idp_initiated_disabled").exists()

"""The connection page's read-only SAML panel (values for the customer, with copy buttons) and the
days left of its certificates and secret; the secret's expiry date set in the form."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tenant_sso.models import Connection
from tenant_sso.saml.metadata import parse_metadata
from tenant_sso.saml_store import record_upstream
from tests.support.admin import new_connection
from tests.support.saml import now_utc, okta_metadata, valid_certificate

pytestmark = pytest.mark.django_db


def change_url(connection: Connection) -> str:
    return reverse("admin:tenant_sso_connection_change", args=[connection.pk])


def copyable(html: str) -> dict[str, str]:
    """{key: value} of the SAML values panel, only those with a copy button for their element."""
    values = dict(re.findall(r'<pre class="sso-copy-value" id="sso-sp-([a-z_]+)">(.*?)</pre>', html, re.S))
    buttons = set(re.findall(r'data-copy="sso-sp-([a-z_]+)"', html))
    return {k: unescape(v) for k, v in values.items() if k in buttons}


def test_saml_connection_page_shows_the_values_with_copy_buttons(admin_client: Any, make_connection: Any) -> None:
    connection = make_connection(
        "acme", issuer="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz",
        cognito_domain="acme.auth.eu-west-1.amazoncognito.com",
    )
    now = now_utc()
    metadata = parse_metadata(okta_metadata([valid_certificate(now, days_left=12)]), now=now)
    record_upstream(connection, metadata=metadata, preset="okta", groups_attribute="okta-groups")

    html = admin_client.get(change_url(connection)).content.decode()
    values = copyable(html)
    assert values["sp_entity_id"] == "urn:amazon:cognito:sp:eu-west-1_AbC123xyz"
    assert values["acs_url"] == "https://acme.auth.eu-west-1.amazoncognito.com/saml2/idpresponse"
    assert values["groups_attribute"] == "okta-groups" and values["email_attribute"] == "email"
    assert "http://www.okta.com/exk1fcia6d6EMsf331d8" in html  # the IdP's entity ID
    expiry = re.search(r'<section class="module sso-panel" id="sso-expiry">(.*?)</section>', html, re.S)
    assert expiry and "SAML signing certificate CN=idp.example.com (from the metadata)" in expiry.group(1)
    assert re.search(r'class="sso-expiry-warned" data-days-left="1[12]"', expiry.group(1))


def test_an_oidc_connection_has_no_saml_panel_and_shows_its_secret_expiry(admin_client: Any, make_connection: Any) -> None:
    connection = make_connection("acme", kind="oidc", issuer="https://acme.okta.com")
    html = admin_client.get(change_url(connection)).content.decode()
    assert 'id="sso-saml"' not in html and 'id="sso-expiry"' not in html
    connection.client_secret_expires_on = (timezone.now() + timedelta(days=100)).date()
    connection.save()
    html = admin_client.get(change_url(connection)).content.decode()
    assert "OIDC client secret" in html and 'id="sso-saml"' not in html
    assert "class=\"sso-expiry-warned\"" not in html and "data-days-left=\"99\"" in html


def test_the_form_records_the_secret_expiry_date(admin_client: Any, make_organization: Any) -> None:
    org = make_organization("initech")
    data = new_connection(organization=str(org.pk), client_secret_expires_on="2031-05-17")
    response = admin_client.post(reverse("admin:tenant_sso_connection_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert str(Connection.objects.get().client_secret_expires_on) == "2031-05-17"

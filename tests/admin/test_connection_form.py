"""Editing a connection in the admin: grouped fields, a write-only secret, groups one per line,
mappings as ``idp-group = Django group`` lines, and messages a person can act on."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tenant_sso.models import Connection, Organization
from tests.support.admin import errors_of, messages_of, new_connection
from tests.support.html import form_values
from tests.support.idp import GLOBEX_ADMINS, GLOBEX_ENGINEERS

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/tenant_sso/connection/add/"


def change_url(connection: Connection) -> str:
    return reverse("admin:tenant_sso_connection_change", args=[connection.pk])


@pytest.fixture
def org(make_organization: Any) -> Organization:
    return make_organization("initech")


def add(admin_client: Any, org: Organization, **overrides: str) -> Any:
    return admin_client.post(ADD_URL, {"organization": str(org.pk), **new_connection(**overrides)}, follow=True)


def test_pool_id_becomes_the_issuer_and_lines_are_stored_as_json(admin_client: Any, org: Organization) -> None:
    response = add(admin_client, org)
    assert response.status_code == 200, errors_of(response.content.decode())
    connection = Connection.objects.get(organization=org)
    assert connection.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz"
    assert connection.allowed_groups == ["engineering", "sso-admins"]
    assert connection.group_mapping == {"sso-admins": "Administrators", "engineering": "Engineers"}
    assert connection.get_client_secret() == "s3cret-from-cognito"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("issuer", "https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123xyz",
         "is in eu-west-1 but the issuer's host says us-east-1"),
        ("issuer", "https://cognito-idp.eu-west-1.amazonaws.com/", "A Cognito issuer is https://cognito-idp.{region}"),
        ("issuer", "acme.okta.com", "Enter the issuer URL (https://...)"),
        ("issuer", "http://idp.example.com/", "must be an https URL"),
        ("cognito_domain", "cognito-idp.eu-west-1.amazonaws.com", "That is the issuer's host"),
        ("cognito_domain", "https://initech.auth.eu-west-1.amazoncognito.com/oauth2/authorize", "without a path"),
        ("allowed_groups", f"engineering\n{GLOBEX_ENGINEERS[:-1]}",
         "Line 2: '8d3c2a6b-1f2e-4c5d-9e8f-0a1b2c3d4e5' looks like an Entra object ID but is not one"),
        ("group_mapping", "sso-admins: Administrators", "Line 1: write 'IdP group = Django group'"),
        ("group_mapping", "sso-admins = Admins\nSSO-ADMINS = x\nsso-admins = Other", "is already mapped on line 1"),
        ("groups_claim", "custom groups", "A claim name has no spaces"),
        ("client_secret", "", "A client secret is required"),
    ],
)
def test_bad_input_gets_a_message_that_says_what_to_do(
    admin_client: Any, org: Organization, field: str, value: str, message: str
) -> None:
    response = add(admin_client, org, **{field: value})
    html = response.content.decode()
    assert message in errors_of(html), errors_of(html)
    assert not Connection.objects.exists()
    if field in ("allowed_groups", "group_mapping"):
        assert value.splitlines()[0] in html  # what was typed is kept for correction


def test_entra_object_ids_are_accepted_as_groups(admin_client: Any, org: Organization) -> None:
    add(admin_client, org, allowed_groups=f"{GLOBEX_ENGINEERS.upper()}\n{GLOBEX_ADMINS}",
        group_mapping=f"{GLOBEX_ADMINS} = Administrators")
    assert Connection.objects.get().allowed_groups == [GLOBEX_ENGINEERS.upper(), GLOBEX_ADMINS]


def test_a_mapping_for_a_group_that_cannot_sign_in_is_saved_with_a_warning(admin_client: Any, org: Organization) -> None:
    response = add(admin_client, org, group_mapping="sso-admins = Administrators\nfinance = Accounting")
    text = messages_of(response.content.decode())
    assert "The group mapping names finance, which is not in the allowed groups" in text
    assert Connection.objects.get().group_mapping["finance"] == "Accounting"


def test_cognito_groups_claim_is_saved_with_a_warning(admin_client: Any, org: Organization) -> None:
    response = add(admin_client, org, groups_claim="cognito:groups")
    assert "holds the pool's own groups" in messages_of(response.content.decode())


def test_secret_is_write_only_shown_as_set_and_kept_when_left_empty(admin_client: Any, tenants: Any) -> None:
    acme = tenants["acme"]
    html = admin_client.get(change_url(acme)).content.decode()
    assert "acme-secret" not in html and acme.client_secret_encrypted not in html
    assert 'data-secret-state="set"' in html
    data = form_values(html, "connection_form")
    assert data["client_secret"] == ""
    assert data["allowed_groups"] == "engineering\nsso-admins"
    assert data["group_mapping"] == "engineering = Engineers\nsso-admins = Administrators"
    data["name"] = "production"
    response = admin_client.post(change_url(acme), data)
    assert response.status_code == 302, errors_of(response.content.decode())
    acme.refresh_from_db()
    assert acme.name == "production" and acme.get_client_secret() == "acme-secret"
    assert acme.allowed_groups == ["engineering", "sso-admins"]
    data["client_secret"] = "rotated-secret"
    admin_client.post(change_url(acme), data)
    acme.refresh_from_db()
    assert acme.get_client_secret() == "rotated-secret"


def test_new_connection_page_says_secret_not_set(admin_client: Any, org: Organization) -> None:
    html = admin_client.get(ADD_URL).content.decode()
    assert 'data-secret-state="not set"' in html
    assert "App integration > App clients" in html and "Branding > Domain" in html


def test_organization_page_edits_the_connection_inline(admin_client: Any, tenants: Any) -> None:
    acme = tenants["acme"]
    url = reverse("admin:tenant_sso_organization_change", args=[acme.organization.pk])
    html = admin_client.get(url).content.decode()
    assert "acme-secret" not in html and 'data-secret-state="set"' in html
    assert change_url(acme) in html  # "Test connection and try login on the connection's page"
    data = form_values(html, "organization_form")
    prefix = next(k for k in data if k.endswith("-allowed_groups")).rsplit("-", 1)[0]
    data[f"{prefix}-group_mapping"] += "\ncontractors = Contractors"
    response = admin_client.post(url, data, follow=True)
    text = response.content.decode()
    assert "not in the allowed groups" in messages_of(text), errors_of(text)
    acme.refresh_from_db()
    assert acme.group_mapping["contractors"] == "Contractors"
    assert acme.get_client_secret() == "acme-secret"


def test_organization_list_shows_domains_connection_and_last_login(admin_client: Any, tenants: Any) -> None:
    html = admin_client.get("/admin/tenant_sso/organization/").content.decode()
    assert "acme.test" in html and "globex.test" in html
    assert "AWS, enabled" in html and "never" in html


def test_organizations_offer_the_cognito_onboarding_action(admin_client: Any, tenants: Any) -> None:
    html = admin_client.get("/admin/tenant_sso/organization/").content.decode()
    assert '<option value="onboard_to_cognito">Onboard to Cognito (preview, then apply)</option>' in html

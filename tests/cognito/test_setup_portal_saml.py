"""The setup portal's SAML choices (ADFS, generic SAML, Okta / Entra ID as SAML presets) on the
Cognito route: the values to paste on the IdP's side, metadata checked live in the customer's
terms, apply through Cognito onboarding on moto's server, and every hostile document or URL
refused with its code and nothing saved (docs/setup-portal.md, "SAML identity providers")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from tenant_sso.models import Connection, SAMLUpstream, SetupEvent, SetupState
from tenant_sso.saml.presets import CLAIM_EMAIL, CLAIM_GROUP_ADFS
from tests.support import setup as portal
from tests.support.driver import path_of
from tests.support.saml import adfs_metadata, expired_certificate, now_utc, okta_metadata, valid_certificate
from tests.support.stubs import StubServer, reply

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol3;"/>"""



@pytest.fixture
def wizard(client: Client, make_organization: Any) -> Client:
    make_organization("acme", name="Acme Corp")
    client.get(path_of(portal.new_link()))
    return client


def adfs_xml() -> str:
    return adfs_metadata([valid_certificate(now_utc())]).decode()


def nothing_saved(cognito: Any, pool: str) -> None:
    assert not Connection.objects.exists()
    assert not SAMLUpstream.objects.exists()
    assert cognito.list_identity_providers(UserPoolId=pool)["Providers"] == []
    assert SetupState.objects.filter(configured_at__isnull=False).count() == 0


def test_adfs_page_gives_the_values_to_paste(wizard: Client, cognito_route: str, pool: str) -> None:
    overview = wizard.get(portal.url("overview")).content.decode()
    assert 'id="choose-adfs"' in overview and 'id="choose-saml"' in overview

    page = wizard.get(portal.url("provider", key="adfs")).content.decode()
    assert f"urn:amazon:cognito:sp:{pool}" in page  # relying party identifier
    assert f"https://{cognito_route}/saml2/idpresponse" in page  # SAML 2.0 SSO service URL
    assert f"https://{cognito_route}/saml2/logout" in page  # SAML Logout endpoint
    assert CLAIM_GROUP_ADFS in page and CLAIM_EMAIL in page  # the claim types ADFS must send
    assert page.count('class="copy') >= 5  # each value with its copy button
    assert 'name="metadata_xml"' in page and "<textarea" in page


def test_adfs_metadata_applied_through_cognito_onboarding(
    wizard: Client, cognito_route: str, cognito: Any, pool: str
) -> None:
    xml = adfs_xml()
    checked = wizard.post(portal.url("provider", key="adfs"), {"metadata_xml": xml, "action": "check"})
    assert checked.status_code == 200
    assert "http://adfs.contoso.com/adfs/services/trust" in checked.content.decode() or "adfs.contoso.com" in (
        checked.content.decode()
    )
    assert not Connection.objects.exists()  # a check saves nothing

    applied = wizard.post(portal.url("provider", key="adfs"), {"metadata_xml": xml, "action": "apply"})
    assert applied.status_code == 200, applied.content[:3000]
    assert "create_identity_provider" in applied.content.decode()
    connection = Connection.objects.get(organization__slug="acme")
    assert (connection.kind, connection.enabled) == ("cognito", False)  # disabled until go-live
    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName=connection.identity_provider)
    idp = idp["IdentityProvider"]
    assert idp["ProviderType"] == "SAML"
    assert idp["ProviderDetails"]["MetadataFile"] == xml
    assert idp["AttributeMapping"] == {"email": CLAIM_EMAIL, "custom:groups": CLAIM_GROUP_ADFS}
    upstream = SAMLUpstream.objects.get(connection=connection)
    assert upstream.preset == "adfs"
    state = SetupState.objects.get(organization__slug="acme")
    assert (state.provider, state.configured_at is not None) == ("adfs", True)
    configured = SetupEvent.objects.get(action="configured")
    assert configured.detail["metadata_bytes"] == len(xml.encode()) and "metadata_xml" not in configured.detail

    # Pressing the button again is idempotent: one IdP, one connection.
    again = wizard.post(portal.url("provider", key="adfs"), {"metadata_xml": xml, "action": "apply"})
    assert again.status_code == 200, again.content[:3000]
    assert Connection.objects.count() == 1
    assert len(cognito.list_identity_providers(UserPoolId=pool)["Providers"]) == 1


def test_generic_saml_by_metadata_url_with_its_own_attribute_names(
    wizard: Client, cognito_route: str, cognito: Any, pool: str
) -> None:
    server = StubServer(reply(200, okta_metadata([valid_certificate(now_utc())]), "application/samlmetadata+xml"))
    try:
        url = f"{server.base_url}/app/exk1/sso/saml/metadata"
        applied = wizard.post(portal.url("provider", key="saml"), {
            "metadata_url": url, "email_attribute": "mail", "groups_attribute": "memberOf", "action": "apply",
        })
    finally:
        server.stop()
    assert applied.status_code == 200, applied.content[:3000]
    connection = Connection.objects.get()
    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName=connection.identity_provider)
    assert idp["IdentityProvider"]["ProviderDetails"]["MetadataURL"] == url
    assert idp["IdentityProvider"]["AttributeMapping"] == {"email": "mail", "custom:groups": "memberOf"}
    assert SetupEvent.objects.get(action="configured").detail["metadata_url"] == url


@pytest.mark.parametrize(
    ("name", "document", "code"),
    [
        ("expired certificate", lambda: adfs_metadata([expired_certificate(now_utc())]).decode(),
         "saml_metadata_certificate_expired"),
        ("billion laughs", lambda: BILLION_LAUGHS, "saml_metadata_forbidden_xml"),
        ("service provider metadata", lambda: '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
         'entityID="urn:sp"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
         "</md:EntityDescriptor>", "saml_metadata_not_idp"),
        ("not XML", lambda: "{not xml", "saml_metadata_malformed"),
    ],
)
@pytest.mark.parametrize("action", ["check", "apply"])
def test_hostile_or_unusable_metadata_is_refused_with_its_code(
    wizard: Client, cognito_route: str, cognito: Any, pool: str, name: str, document: Any, code: str, action: str
) -> None:
    answer = wizard.post(portal.url("provider", key="adfs"), {"metadata_xml": document(), "action": action})
    assert answer.status_code == 200
    text = answer.content.decode()
    assert f"({code})" in text and 'id="checks-failed"' in text
    assert "ask the customer" not in text  # the customer's words, not the operator's
    nothing_saved(cognito, pool)
    assert SetupEvent.objects.filter(action="checked", reason=code).exists()


def test_an_expired_certificate_is_explained_with_its_date(wizard: Client, cognito_route: str) -> None:
    xml = adfs_metadata([expired_certificate(now_utc(), days_ago=3)]).decode()
    text = wizard.post(portal.url("provider", key="adfs"), {"metadata_xml": xml, "action": "check"}).content.decode()
    expired_on = f"{now_utc() - timedelta(days=3):%Y-%m-%d}"
    assert f"expired on {expired_on}: renew the token-signing certificate" in text


def test_a_huge_document_is_refused_unparsed(wizard: Client, cognito_route: str, cognito: Any, pool: str) -> None:
    xml = adfs_xml()
    huge = xml.replace("</EntityDescriptor>", "<!--" + "x" * 1_100_000 + "--></EntityDescriptor>")
    assert len(huge) > 1_000_000
    answer = wizard.post(portal.url("provider", key="adfs"), {"metadata_xml": huge, "action": "apply"})
    assert answer.status_code == 400
    assert b"[saml_metadata_too_large]" in answer.content
    nothing_saved(cognito, pool)
    assert SetupEvent.objects.filter(action="refused", reason="saml_metadata_too_large").exists()

    # Beyond twice the limit, the form is not even parsed.
    far = wizard.post(portal.url("provider", key="adfs"), {"metadata_xml": "x" * 2_100_000, "action": "apply"})
    assert far.status_code == 400 and b"setup_request_too_large" in far.content


@pytest.mark.parametrize(
    ("url", "codes"),
    [
        ("https://169.254.169.254/latest/meta-data", ("internal_address",)),
        ("https://10.0.0.1/FederationMetadata/2007-06/FederationMetadata.xml", ("internal_address",)),
        ("http://127.0.0.1:9/metadata", ("insecure_endpoint", "internal_address")),
        ("file:///etc/passwd", ("endpoint_invalid", "insecure_endpoint")),
    ],
)
def test_ssrf_metadata_urls_are_refused(
    wizard: Client, cognito_route: str, cognito: Any, pool: str, settings: Any, url: str, codes: tuple[str, ...]
) -> None:
    settings.TENANT_SSO_ALLOW_LOOPBACK_HTTP = False
    answer = wizard.post(portal.url("provider", key="adfs"), {"metadata_url": url, "action": "apply"})
    text = answer.content.decode()
    assert answer.status_code == 200 and 'id="checks-failed"' in text
    assert any(f"({code}" in text for code in codes), text[-3000:]
    nothing_saved(cognito, pool)


def test_json_check_of_a_saml_choice(wizard: Client, cognito_route: str) -> None:
    good = wizard.post(portal.url("check", key="entra-saml"), {"metadata_xml": adfs_xml()},
                       HTTP_ACCEPT="application/json").json()
    assert good["results"][0]["ok"] is True
    both = wizard.post(portal.url("check", key="entra-saml"),
                       {"metadata_xml": adfs_xml(), "metadata_url": "https://idp.example.com/m"},
                       HTTP_ACCEPT="application/json")
    assert both.status_code == 400 and "not both" in both.json()["errors"]["metadata_url"]
    assert not Connection.objects.exists()


def test_direct_oidc_route_offers_no_saml(wizard: Client, settings: Any) -> None:
    settings.TENANT_SSO_SETUP_ROUTE = "oidc"
    overview = wizard.get(portal.url("overview")).content.decode()
    assert 'id="choose-adfs"' not in overview and 'id="choose-okta"' in overview
    assert 'id="saml-unavailable"' in overview
    page = wizard.get(portal.url("provider", key="adfs"))
    assert page.status_code == 400 and b"setup_saml_needs_cognito" in page.content
    posted = wizard.post(portal.url("provider", key="adfs"), {"metadata_xml": adfs_xml(), "action": "apply"})
    assert posted.status_code == 400 and b"setup_saml_needs_cognito" in posted.content
    assert not Connection.objects.exists()


def test_adfs_customer_from_link_to_live(
    client: Client, cognito_route: str, cognito: Any, pool: str, devidp_factory: Any, make_organization: Any,
) -> None:
    """After apply, the test sign-in and go-live are the Cognito route's (the local IdP plays the
    pool's hosted domain, which federates to ADFS: moto serves no /oauth2/* nor /saml2/*)."""
    from tenant_sso.models import OrganizationDomain
    from tests.support.driver import IdPBrowser, sso_login

    acme = make_organization("acme", name="Acme Corp")
    client.get(path_of(portal.new_link()))
    applied = client.post(portal.url("provider", key="adfs"), {"metadata_xml": adfs_xml(), "action": "apply"})
    assert applied.status_code == 200, applied.content[:3000]
    connection = Connection.objects.get(organization=acme)
    users = [{"sub": "adfs-alice", "email": "alice@acme.test", "email_verified": True, "groups": ["Domain Users",
                                                                                                 "engineering"]}]
    hosted = devidp_factory(portal.hosted_domain_config(cognito, pool, connection, users))
    Connection.objects.filter(pk=connection.pk).update(issuer=hosted.issuer, cognito_domain=hosted.base_url)

    browser = IdPBrowser.new()
    answer = browser.authorize(client.post(portal.url("test"))["Location"], "alice@acme.test")
    assert client.get(path_of(answer.headers["location"])).status_code == 302
    assert "engineering" in client.get(portal.url("test")).content.decode()
    client.post(portal.url("policy"), {"group": ["engineering"], "allowed": ["engineering"]})
    OrganizationDomain.objects.create(organization=acme, domain="acme.test", verified_at="2026-01-01T00:00Z")
    assert client.post(portal.url("live")).status_code == 302
    assert SetupState.objects.get(organization=acme).live_at is not None
    assert Connection.objects.get(pk=connection.pk).enabled

    signed_in = sso_login(Client(), IdPBrowser.new(), email="alice@acme.test", org="acme")
    assert signed_in.status_code == 302, signed_in.content[:500]


def test_aws_errors_on_a_saml_apply_are_coded_messages(
    wizard: Client, cognito_route: str, cognito: Any, pool: str
) -> None:
    from tests.support.cognito import AwsErrors

    cognito.meta.events.register(
        "before-call.cognito-idp.CreateIdentityProvider", AwsErrors("LimitExceededException", times=10)
    )
    answer = wizard.post(portal.url("provider", key="adfs"), {"metadata_xml": adfs_xml(), "action": "apply"})
    assert answer.status_code == 502
    assert b'id="form-error"' in answer.content
    assert b"(cognito_limit_exceeded)" in answer.content and b"TENANT_SSO_COGNITO_POOLS" not in answer.content
    assert not Connection.objects.filter(enabled=True).exists()
    assert SetupEvent.objects.filter(action="apply_failed", reason="setup_apply_failed").exists()


@pytest.mark.parametrize("field", ["metadata_xml", "metadata_url", "groups_attribute"])
def test_script_in_a_saml_field_is_shown_as_text(wizard: Client, cognito_route: str, field: str) -> None:
    hostile = '</textarea><script>alert("x")</script>'
    data = {"metadata_xml": adfs_xml(), field: hostile, "action": "check"}
    if field == "metadata_url":
        del data["metadata_xml"]
    text = wizard.post(portal.url("provider", key="adfs"), data).content.decode()
    assert '<script>alert("x")' not in text and "&lt;script&gt;" in text
    assert not Connection.objects.exists()


def test_switching_from_oidc_to_saml_is_refused_with_its_code(
    wizard: Client, cognito_route: str, cognito: Any, pool: str, devidp_factory: Any
) -> None:
    okta = devidp_factory(portal.okta_config())
    first = wizard.post(portal.url("provider", key="okta"), {**portal.values(okta.issuer), "action": "apply"})
    assert first.status_code == 200, first.content[:3000]

    answer = wizard.post(portal.url("provider", key="adfs"), {"metadata_xml": adfs_xml(), "action": "apply"})
    assert answer.status_code == 400
    assert b"[setup_protocol_change]" in answer.content
    providers = cognito.list_identity_providers(UserPoolId=pool)["Providers"]
    assert [p["ProviderType"] for p in providers] == ["OIDC"]  # nothing changed in Cognito
    assert not SAMLUpstream.objects.exists()
    assert SetupState.objects.get(organization__slug="acme").provider == "okta"

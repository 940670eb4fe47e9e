"""What we keep of a SAML upstream: recorded at onboarding, Cognito's copy, re-read metadata."""

from __future__ import annotations

from typing import Any

import pytest

from tenant_sso.exceptions import InvalidMetadata
from tenant_sso.models import SAMLUpstream
from tenant_sso.saml.metadata import parse_metadata
from tenant_sso.saml_store import record_cognito_certificates, record_upstream
from tests.support.saml import entra_metadata, expired_certificate, now_utc, okta_metadata, valid_certificate

NOW = now_utc()


@pytest.mark.django_db
def test_record_upstream_keeps_settings_and_certificates(make_connection: Any) -> None:
    connection = make_connection("acme")
    cert = valid_certificate(NOW, days_left=90)
    metadata = parse_metadata(entra_metadata([cert]), now=NOW)
    upstream = record_upstream(
        connection,
        metadata=metadata,
        metadata_url="https://login.microsoftonline.com/x/federationmetadata.xml",
        preset="entra",
        sign_requests=True,
        now=NOW,
    )
    upstream = SAMLUpstream.objects.get(connection=connection)
    assert upstream.entity_id == metadata.entity_id
    assert upstream.groups_attribute == "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
    assert upstream.roles_attribute == "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
    assert upstream.sign_requests is True and upstream.encrypted_responses is False
    [record] = upstream.certificates
    assert record["source"] == "metadata"
    assert record["fingerprint_sha256"] == metadata.signing_certificates[0].fingerprint_sha256
    assert upstream.metadata_xml.startswith("<?xml")

    # onboarding again (new metadata, overridden attribute, no roles) updates the same row
    rolled = parse_metadata(entra_metadata([valid_certificate(NOW, days_left=700)]), now=NOW)
    record_upstream(
        connection, metadata=rolled, preset="entra", groups_attribute="groups", roles_attribute="", now=NOW
    )
    upstream.refresh_from_db()
    assert SAMLUpstream.objects.count() == 1
    assert upstream.groups_attribute == "groups" and upstream.roles_attribute == ""
    assert [c["fingerprint_sha256"] for c in upstream.certificates] == [
        rolled.signing_certificates[0].fingerprint_sha256
    ]


@pytest.mark.django_db
def test_unknown_preset_is_refused(make_connection: Any) -> None:
    metadata = parse_metadata(okta_metadata([valid_certificate(NOW)]), now=NOW)
    with pytest.raises(InvalidMetadata) as caught:
        record_upstream(make_connection("acme"), metadata=metadata, preset="onelogin")
    assert caught.value.code == "saml_preset_unknown"


@pytest.mark.django_db
def test_cognito_copy_is_recorded_next_to_ours_even_when_expired(make_connection: Any) -> None:
    connection = make_connection("acme")
    record_upstream(
        connection, metadata=parse_metadata(okta_metadata([valid_certificate(NOW)]), now=NOW), preset="okta"
    )
    certificates = record_cognito_certificates(connection, okta_metadata([expired_certificate(NOW)]).decode())
    assert [c.days_left(NOW) for c in certificates] == [-1]
    sources = sorted(c["source"] for c in SAMLUpstream.objects.get().certificates)
    assert sources == ["cognito", "metadata"]


@pytest.mark.django_db
def test_sso_endpoints_only_browsers_visit_may_be_intranet_but_not_plaintext(settings: Any) -> None:
    from tenant_sso.saml_store import load_metadata
    from tests.support.saml import adfs_metadata

    intranet = adfs_metadata([valid_certificate(NOW)], host="10.20.30.40")
    assert load_metadata(xml=intranet, now=NOW).sso_url == "https://10.20.30.40/adfs/ls/"
    loopback = okta_metadata([valid_certificate(NOW)]).replace(b"https://acme.okta.com", b"http://127.0.0.1:7000")
    assert load_metadata(xml=loopback, now=NOW).sso_url.startswith("http://127.0.0.1:7000/")  # tests allow loopback
    settings.TENANT_SSO_ALLOW_LOOPBACK_HTTP = False
    with pytest.raises(InvalidMetadata) as caught:
        load_metadata(xml=loopback, now=NOW)
    assert caught.value.code == "saml_metadata_insecure_endpoint"

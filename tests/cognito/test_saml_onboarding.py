"""Onboarding a SAML tenant against moto's Cognito: what an operator sees from ``manage.py sso_cognito``.

The metadata documents are shaped like each vendor's (tests/support/saml.py), with real
certificates; a metadata URL is served by a local server (loopback http is allowed in tests, as
``TENANT_SSO_ALLOW_LOOPBACK_HTTP`` allows it in development).
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tenant_sso.models import Connection, SAMLUpstream
from tenant_sso.saml.presets import CLAIM_EMAIL, CLAIM_GROUPS_MS
from tests.support import urls
from tests.support.saml import entra_metadata, expired_certificate, now_utc, okta_metadata, valid_certificate
from tests.support.stubs import StubServer, reply

pytestmark = pytest.mark.django_db

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol3;"/>"""


@pytest.fixture(autouse=True)
def _idp_initiated_routed(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.cognito.saml_urls"


def run(provisioner: Any, *args: str) -> str:
    out = StringIO()
    call_command("sso_cognito", *args, provisioner=provisioner, stdout=out, stderr=StringIO())
    return out.getvalue()


def idp_initiated_url(org: str = "acme") -> str:
    from django.urls import reverse

    return f"{urls.APP}{reverse('tenant_sso:idp_initiated', args=[org])}"


@pytest.fixture
def entra_file(tmp_path: Path) -> Path:
    path = tmp_path / "entra.xml"
    path.write_bytes(entra_metadata([valid_certificate(now_utc())]))
    return path


def saml_args(pool: str, metadata: Path, *extra: str, org: str = "acme") -> list[str]:
    return ["onboard", "--org", org, "--user-pool-id", pool, "--saml-metadata-file", str(metadata),
            "--idp-preset", "entra", "--email-domain", f"{org}.test", "--allowed-group", "engineering", *extra]


def test_onboard_a_saml_idp_from_a_metadata_file(
    provisioner: Any, cognito: Any, pool: str, entra_file: Path
) -> None:
    output = run(provisioner, *saml_args(pool, entra_file))
    assert "Created acme" in output

    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"]
    assert idp["ProviderType"] == "SAML"
    details = idp["ProviderDetails"]
    assert details["MetadataFile"] == entra_file.read_text()
    assert "MetadataURL" not in details
    assert details["IDPSignout"] == "true"  # Entra's metadata names a SingleLogoutService
    assert details["IDPInit"] == "false"
    assert details["EncryptedResponses"] == "false"
    assert "RequestSigningAlgorithm" not in details
    # Entra's claim URIs (the preset), and no username mapping: Cognito names SAML users by NameID.
    assert idp["AttributeMapping"] == {"email": CLAIM_EMAIL, "custom:groups": CLAIM_GROUPS_MS}
    assert idp["IdpIdentifiers"] == ["acme.test"]

    connection = Connection.objects.get(organization__slug="acme", enabled=True)
    client = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=connection.client_id)["UserPoolClient"]
    assert client["SupportedIdentityProviders"] == ["acme"]
    assert client["CallbackURLs"] == [urls.callback_url()]  # no IdP-initiated URL unless asked
    assert connection.kind == "cognito" and connection.identity_provider == "acme"
    assert connection.idp_initiated is False

    recorded = SAMLUpstream.objects.get(connection=connection)
    assert recorded.preset == "entra"
    assert recorded.metadata_url == ""
    assert recorded.entity_id.startswith("https://sts.windows.net/")
    assert recorded.groups_attribute == CLAIM_GROUPS_MS
    assert [c["source"] for c in recorded.certificates] == ["metadata"]
    # The plan names the document, it does not print it.
    assert "<EntityDescriptor" not in output and "metadata document" in output


def test_idp_initiated_signed_requests_and_encryption(
    provisioner: Any, cognito: Any, pool: str, entra_file: Path
) -> None:
    run(provisioner, *saml_args(pool, entra_file, "--idp-initiated", "--sign-requests", "--encrypted-responses"))

    details = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"][
        "ProviderDetails"
    ]
    assert details["IDPInit"] == "true"
    assert details["RequestSigningAlgorithm"] == "rsa-sha256"
    assert details["EncryptedResponses"] == "true"
    connection = Connection.objects.get(organization__slug="acme", enabled=True)
    assert connection.idp_initiated is True
    client = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=connection.client_id)["UserPoolClient"]
    # The RelayState the customer's IdP sends names this URL as redirect_uri: Cognito must know it.
    assert sorted(client["CallbackURLs"]) == sorted([urls.callback_url(), idp_initiated_url()])
    assert client["SupportedIdentityProviders"] == ["acme"]  # IdP-initiated: no other provider allowed
    recorded = SAMLUpstream.objects.get(connection=connection)
    assert recorded.sign_requests and recorded.encrypted_responses


def test_rerun_changes_nothing_and_turning_idp_initiated_off_updates_all_three_places(
    provisioner: Any, cognito: Any, call_log: Any, pool: str, entra_file: Path
) -> None:
    run(provisioner, *saml_args(pool, entra_file, "--idp-initiated"))
    call_log.clear()

    assert "No changes: acme is already onboarded" in run(provisioner, *saml_args(pool, entra_file, "--idp-initiated"))
    assert call_log.writes() == []

    output = run(provisioner, *saml_args(pool, entra_file))  # given again without --idp-initiated: off

    assert "IDPInit: 'true' -> 'false'" in output
    assert call_log.writes() == ["UpdateIdentityProvider", "UpdateUserPoolClient"]
    connection = Connection.objects.get(organization__slug="acme", enabled=True)
    assert connection.idp_initiated is False
    client = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=connection.client_id)["UserPoolClient"]
    assert client["CallbackURLs"] == [urls.callback_url()]


def test_status_shows_saml_drift_and_onboard_repairs_it(
    provisioner: Any, cognito: Any, pool_admin: Any, pool: str, entra_file: Path
) -> None:
    run(provisioner, *saml_args(pool, entra_file, "--sign-requests"))
    assert "acme: in sync" in run(provisioner, "status")
    # Someone changes the provider in the console: IdP-initiated on, request signing off.
    details = pool_admin.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"][
        "ProviderDetails"
    ]
    changed = {k: v for k, v in details.items() if k != "RequestSigningAlgorithm"} | {"IDPInit": "true"}
    pool_admin.update_identity_provider(UserPoolId=pool, ProviderName="acme", ProviderDetails=changed)

    output = run(provisioner, "status")
    assert "acme: DRIFT" in output
    assert "IDPInit: 'true' -> 'false'" in output
    assert "RequestSigningAlgorithm: (none) -> 'rsa-sha256'" in output
    with pytest.raises(CommandError, match=r"\[cognito_drift\]"):
        run(provisioner, "status", "--check")

    run(provisioner, "onboard", "--org", "acme")  # no upstream given: the recorded SAML settings

    details = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"][
        "ProviderDetails"
    ]
    assert details["IDPInit"] == "false" and details["RequestSigningAlgorithm"] == "rsa-sha256"
    assert details["MetadataFile"] == entra_file.read_text()
    assert "acme: in sync" in run(provisioner, "status")


def test_metadata_url_is_read_through_the_http_seam_and_given_to_cognito(
    provisioner: Any, cognito: Any, pool: str
) -> None:
    server = StubServer(reply(200, okta_metadata([valid_certificate(now_utc())]), "application/samlmetadata+xml"))
    try:
        url = f"{server.base_url}/app/exk1/sso/saml/metadata"
        run(provisioner, "onboard", "--org", "acme", "--user-pool-id", pool, "--saml-metadata-url", url,
            "--idp-preset", "okta", "--email-domain", "acme.test", "--allowed-group", "Everyone")
    finally:
        server.stop()

    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"]
    assert idp["ProviderDetails"]["MetadataURL"] == url
    assert "MetadataFile" not in idp["ProviderDetails"]
    assert idp["ProviderDetails"]["IDPSignout"] == "false"  # Okta's metadata has no SingleLogoutService
    assert idp["AttributeMapping"] == {"email": "email", "custom:groups": "groups"}
    recorded = SAMLUpstream.objects.get(connection__organization__slug="acme")
    assert recorded.metadata_url == url and recorded.preset == "okta"


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (lambda: entra_metadata([expired_certificate(now_utc())]), "saml_metadata_certificate_expired"),
        (lambda: BILLION_LAUGHS, "saml_metadata_forbidden_xml"),
        (lambda: b"<html><body>Sign in</body></html>", "saml_metadata_"),
    ],
    ids=["expired", "billion-laughs", "html"],
)
def test_bad_metadata_is_refused_before_any_aws_call(
    provisioner: Any, call_log: Any, pool: str, tmp_path: Path, document: Any, code: str
) -> None:
    path = tmp_path / "metadata.xml"
    path.write_bytes(document())

    with pytest.raises(CommandError, match=rf"\[{code}"):
        run(provisioner, *saml_args(pool, path))

    assert call_log.operations == []  # not even a describe
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    ("status", "code"), [(404, "saml_metadata_failed"), (200, "saml_metadata_malformed")], ids=["404", "not-xml"]
)
def test_a_metadata_url_that_cannot_be_used_is_refused_before_any_aws_call(
    provisioner: Any, call_log: Any, pool: str, status: int, code: str
) -> None:
    server = StubServer(reply(status, b"{not xml", "text/plain"))
    try:
        with pytest.raises(CommandError, match=rf"\[{code}\]"):
            run(provisioner, "onboard", "--org", "acme", "--user-pool-id", pool,
                "--saml-metadata-url", f"{server.base_url}/metadata")
    finally:
        server.stop()
    assert call_log.operations == []


def test_a_metadata_url_on_an_internal_address_is_refused(provisioner: Any, call_log: Any, pool: str, settings: Any) -> None:
    settings.TENANT_SSO_ALLOW_LOOPBACK_HTTP = False

    with pytest.raises(CommandError, match=r"\[(insecure_endpoint|internal_address)\]"):
        run(provisioner, "onboard", "--org", "acme", "--user-pool-id", pool,
            "--saml-metadata-url", "http://169.254.169.254/latest/meta-data/")
    assert call_log.operations == []


def test_dry_run_prints_the_saml_provider_and_writes_nothing(
    provisioner: Any, call_log: Any, pool: str, entra_file: Path
) -> None:
    output = run(provisioner, *saml_args(pool, entra_file, "--idp-initiated", "--dry-run"))

    assert "create_identity_provider acme" in output
    assert "ProviderType: (none) -> 'SAML'" in output
    assert "IDPInit: (none) -> 'true'" in output
    assert f"AttributeMapping: (none) -> 'custom:groups<-{CLAIM_GROUPS_MS}, email<-{CLAIM_EMAIL}'" in output
    assert idp_initiated_url() in output
    assert call_log.writes() == []
    assert not Connection.objects.exists() and not SAMLUpstream.objects.exists()


def test_offboard_deletes_the_saml_provider_and_disables_the_connection(
    provisioner: Any, cognito: Any, pool: str, entra_file: Path
) -> None:
    run(provisioner, *saml_args(pool, entra_file))

    output = run(provisioner, "offboard", "--org", "acme")

    assert "Offboarded acme" in output
    assert cognito.list_identity_providers(UserPoolId=pool, MaxResults=60)["Providers"] == []
    assert not Connection.objects.filter(organization__slug="acme", enabled=True).exists()


def test_an_oidc_tenant_cannot_become_saml_in_place(
    provisioner: Any, call_log: Any, pool: str, entra_file: Path, upstream_secret: str
) -> None:
    from tests.support.cognito import onboard_args

    run(provisioner, *onboard_args(pool))
    call_log.clear()

    with pytest.raises(CommandError, match=r"\[cognito_provider_type_change\].*Offboard the tenant"):
        run(provisioner, *saml_args(pool, entra_file))
    assert call_log.writes() == []


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--idp-initiated"], "saml_metadata_required"),
        (["--saml-metadata-url", "https://idp.test/m", "--saml-metadata-file", "m.xml"], "saml_metadata_conflict"),
        (["--saml-metadata-file", "/nonexistent/metadata.xml"], "saml_metadata_file_unreadable"),
        (["--saml-metadata-url", "https://idp.test/m", "--issuer", "https://idp.test", "--upstream-client-id", "c",
          "--upstream-client-secret-env", "ACME_OKTA_SECRET"], "upstream_conflict"),
    ],
    ids=["options-without-metadata", "url-and-file", "file-missing", "oidc-and-saml"],
)
def test_inconsistent_saml_options_are_refused_with_a_code(
    provisioner: Any, call_log: Any, pool: str, args: list[str], code: str, upstream_secret: str
) -> None:
    with pytest.raises(CommandError, match=rf"\[{code}\]"):
        run(provisioner, "onboard", "--org", "acme", "--user-pool-id", pool, *args)
    assert call_log.operations == []


def test_without_the_idp_initiated_route_the_option_is_refused_before_any_write(
    provisioner: Any, call_log: Any, pool: str, entra_file: Path, settings: Any
) -> None:
    settings.ROOT_URLCONF = "tests.cognito.admin_urls"  # a project that does not route tenant_sso.urls

    with pytest.raises(CommandError, match=r"\[cognito_idp_initiated_url_missing\]"):
        run(provisioner, *saml_args(pool, entra_file, "--idp-initiated"))
    assert call_log.writes() == []


@pytest.fixture
def metadata_server() -> Iterator[str]:
    server = StubServer(reply(200, okta_metadata([valid_certificate(now_utc())]), "application/xml"))
    yield f"{server.base_url}/metadata"
    server.stop()


def test_bulk_csv_with_saml_columns(
    provisioner: Any, cognito: Any, pool: str, tmp_path: Path, metadata_server: str
) -> None:
    (tmp_path / "globex.xml").write_bytes(entra_metadata([valid_certificate(now_utc())]))
    csv_file = tmp_path / "tenants.csv"
    csv_file.write_text(
        "org,user_pool_id,email_domains,allowed_groups,saml_metadata_url,saml_metadata_file,idp_preset,"
        "saml_groups_attribute,idp_initiated,sign_requests,encrypted_responses\n"
        f"acme,{pool},acme.test,Everyone,{metadata_server},,okta,okta_groups,true,,\n"
        f"globex,{pool},globex.test,{'0b1c'},,globex.xml,entra,,,yes,no\n"
        f"initech,{pool},initech.test,Staff,,missing.xml,generic,,,,\n"
        f"umbrella,{pool},umbrella.test,Staff,{metadata_server},,okta,,maybe,,\n"
    )
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match=r"\[bulk_failed\] 2 ok, 0 unchanged, 2 failed, of 4 rows"):
        call_command("sso_cognito", "onboard-bulk", str(csv_file), provisioner=provisioner, stdout=out, stderr=err)

    report = out.getvalue()
    assert "row 2 (acme): ok" in report and "row 3 (globex): ok" in report
    assert "row 4 (initech): failed: [saml_metadata_file_unreadable]" in report
    assert "row 5 (umbrella): failed: [bulk_row_invalid]" in report
    acme = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"]
    assert acme["ProviderDetails"]["MetadataURL"] == metadata_server
    assert acme["ProviderDetails"]["IDPInit"] == "true"
    assert acme["AttributeMapping"]["custom:groups"] == "okta_groups"
    globex = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="globex")["IdentityProvider"]
    assert globex["ProviderDetails"]["RequestSigningAlgorithm"] == "rsa-sha256"
    assert globex["ProviderDetails"]["EncryptedResponses"] == "false"
    assert globex["AttributeMapping"]["custom:groups"] == CLAIM_GROUPS_MS

    # The same file again: the rows done report unchanged.
    out = StringIO()
    with pytest.raises(CommandError, match=r"0 ok, 2 unchanged, 2 failed"):
        call_command("sso_cognito", "onboard-bulk", str(csv_file), provisioner=provisioner, stdout=out, stderr=err)


def test_admin_action_onboards_a_saml_idp_from_a_pasted_document(
    provisioner: Any, cognito: Any, pool: str, settings: Any, make_organization: Any
) -> None:
    from django.contrib.messages import get_messages

    from tenant_sso.cognito.admin_actions import onboard_to_cognito
    from tenant_sso.models import Organization

    from .test_admin_action import _admin, _request

    settings.TENANT_SSO_COGNITO_POOLS = [{"user_pool_id": pool}]
    org = make_organization("acme")
    org.domains.create(domain="acme.test")
    queryset = Organization.objects.filter(pk=org.pk)
    fields = {"saml_metadata_xml": entra_metadata([valid_certificate(now_utc())]).decode(), "idp_preset": "entra",
              "idp_initiated": "on", "allowed_groups": "engineering"}

    first = onboard_to_cognito(_admin(provisioner), _request({"action": "onboard_to_cognito"}), queryset)
    assert first is not None
    for label in ("SAML metadata URL", "SAML metadata document", "SAML IdP vendor", "IdP-initiated sign-in",
                  "Sign requests", "Encrypted responses"):
        assert label in first.content.decode()

    page = onboard_to_cognito(_admin(provisioner), _request({**fields, "preview": "1"}), queryset)
    assert page is not None
    html = page.content.decode()
    assert "ProviderType: (none) -&gt; &#x27;SAML&#x27;" in html and "IDPInit: (none) -&gt; &#x27;true&#x27;" in html
    assert not Connection.objects.exists()

    request = _request({**fields, "apply": "1"})
    assert onboard_to_cognito(_admin(provisioner), request, queryset) is None
    assert [str(m) for m in get_messages(request)] == [
        "Onboarding acme: created (add_custom_attributes, create_identity_provider, create_user_pool_client, store_connection)."
    ]
    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"]
    assert idp["ProviderType"] == "SAML" and idp["ProviderDetails"]["IDPInit"] == "true"
    assert idp["AttributeMapping"]["custom:groups"] == CLAIM_GROUPS_MS
    connection = Connection.objects.get(organization=org, enabled=True)
    assert connection.idp_initiated is True and connection.saml_upstream.preset == "entra"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"idp_initiated": "on"}, "go with the IdP&#x27;s metadata"),
        ({"saml_metadata_url": "https://idp.test/m", "saml_metadata_xml": "<x/>"}, "not both"),
        ({"saml_metadata_url": "https://idp.test/m", "issuer": "https://idp.test", "upstream_client_id": "c",
          "upstream_client_secret": "s"}, "OIDC identity provider or a SAML one"),
    ],
    ids=["switch-without-metadata", "url-and-document", "oidc-and-saml"],
)
def test_admin_form_refuses_inconsistent_saml_fields(fields: dict[str, str], error: str) -> None:
    from tenant_sso.cognito.admin_actions import UpstreamForm

    form = UpstreamForm(fields)
    assert not form.is_valid()
    assert error.replace("&#x27;", "'") in " ".join(form.non_field_errors())


def test_bad_metadata_in_the_admin_is_a_coded_problem_and_nothing_is_created(
    provisioner: Any, call_log: Any, pool: str, settings: Any, make_organization: Any
) -> None:
    from tenant_sso.cognito.admin_actions import onboard_to_cognito
    from tenant_sso.models import Organization

    from .test_admin_action import _admin, _request

    settings.TENANT_SSO_COGNITO_POOLS = [{"user_pool_id": pool}]
    org = make_organization("acme")
    fields = {"saml_metadata_xml": BILLION_LAUGHS.decode(), "preview": "1"}

    page = onboard_to_cognito(_admin(provisioner), _request(fields), Organization.objects.filter(pk=org.pk))

    assert page is not None and "[saml_metadata_forbidden_xml]" in page.content.decode()
    assert call_log.operations == []


def test_a_saml_provider_deleted_in_the_console_is_drift_and_recreated_from_the_record(
    provisioner: Any, cognito: Any, pool_admin: Any, pool: str, entra_file: Path
) -> None:
    run(provisioner, *saml_args(pool, entra_file, "--encrypted-responses"))
    pool_admin.delete_identity_provider(UserPoolId=pool, ProviderName="acme")

    output = run(provisioner, "status")
    assert "acme: DRIFT" in output and "create_identity_provider acme" in output

    run(provisioner, "onboard", "--org", "acme")

    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"]
    assert idp["ProviderType"] == "SAML"
    assert idp["ProviderDetails"]["MetadataFile"] == entra_file.read_text()
    assert idp["ProviderDetails"]["EncryptedResponses"] == "true"
    assert idp["AttributeMapping"] == {"email": CLAIM_EMAIL, "custom:groups": CLAIM_GROUPS_MS}
    assert "acme: in sync" in run(provisioner, "status")


def test_a_metadata_file_in_utf16_is_refused_with_a_code(
    provisioner: Any, call_log: Any, pool: str, tmp_path: Path
) -> None:
    path = tmp_path / "utf16.xml"
    text = okta_metadata([valid_certificate(now_utc())]).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path.write_bytes(text.encode("utf-16"))

    with pytest.raises(CommandError, match=r"\[saml_metadata_"):
        run(provisioner, *saml_args(pool, path))
    assert call_log.operations == []


@pytest.mark.parametrize(
    ("base_url", "callback", "expected"),
    [
        ("", "https://app.example.com/api/oidc/cognito/callback/",
         "https://app.example.com/api/oidc/cognito/idp-initiated/acme/"),
        ("https://public.example.com", "https://app.example.com/api/oidc/cognito/callback/",
         "https://public.example.com/api/oidc/cognito/idp-initiated/acme/"),
        ("", "https://app.example.com/elsewhere/cb/", ""),  # another mount: cannot be derived
    ],
    ids=["from-the-callback", "base-url-first", "unrelated-callback"],
)
def test_the_idp_initiated_url_is_built_on_our_mount(settings: Any, base_url: str, callback: str, expected: str) -> None:
    from tenant_sso.cognito.config import configured_urls

    settings.TENANT_SSO_BASE_URL = base_url
    settings.TENANT_SSO_COGNITO_CALLBACK_URL = callback

    assert configured_urls().idp_initiated_url("acme") == expected

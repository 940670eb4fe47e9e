"""``sso_cognito sp-metadata``: the values the customer pastes into their IdP, from moto's pool;
``sso_cognito status``: days left of the SAML certificates, Cognito's copy included."""

from __future__ import annotations

import base64
import json
from io import StringIO
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped]
from django.core.management import CommandError, call_command

from tenant_sso.models import Connection, SAMLUpstream
from tenant_sso.saml.metadata import parse_metadata
from tenant_sso.saml_store import record_upstream
from tests.support.cognito import onboard_args
from tests.support.saml import now_utc, okta_metadata, valid_certificate

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
NOW = now_utc()


def run(provisioner: Any, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("sso_cognito", *args, provisioner=provisioner, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def domain_of(cognito: Any, pool: str) -> str:
    return f"{cognito.describe_user_pool(UserPoolId=pool)['UserPool']['Domain']}.auth.us-east-1.amazoncognito.com"


def saml_tenant(provisioner: Any, pool: str, **upstream: Any) -> Connection:
    """A tenant onboarded through the OIDC path, then given a SAML upstream record (saml-onboard
    onboards SAML itself; what sp-metadata reads is the connection and this record)."""
    run(provisioner, *onboard_args(pool))
    connection = Connection.objects.get(organization__slug="acme")
    metadata = parse_metadata(okta_metadata([valid_certificate(NOW, days_left=20)]), now=NOW)
    record_upstream(connection, metadata=metadata, preset="okta", **upstream)
    return connection


def test_values_from_the_pool_and_the_connection(provisioner: Any, cognito: Any, pool: str, upstream_secret: str) -> None:
    connection = saml_tenant(provisioner, pool)
    out, _ = run(provisioner, "sp-metadata", "--org", "acme", "--json")
    values = {v["key"]: v["value"] for v in json.loads(out)}
    assert values["sp_entity_id"] == f"urn:amazon:cognito:sp:{pool}"
    assert values["acs_url"] == f"https://{domain_of(cognito, pool)}/saml2/idpresponse"
    assert values["slo_url"] == f"https://{domain_of(cognito, pool)}/saml2/logout"
    assert values["email_attribute"] == "email" and values["groups_attribute"] == "groups"
    assert "relay_state" not in values  # IdP-initiated off
    assert connection.client_id


def test_idp_initiated_gives_the_relay_state(provisioner: Any, pool: str, upstream_secret: str, settings: Any) -> None:
    connection = saml_tenant(provisioner, pool)
    connection.idp_initiated = True
    connection.save()
    settings.TENANT_SSO_BASE_URL = "https://app.example.com"
    out, _ = run(provisioner, "sp-metadata", "--org", "acme", "--json")
    values = {v["key"]: v["value"] for v in json.loads(out)}
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("tenant_sso:idp_initiated", args=["acme"])
    except NoReverseMatch:
        assert "relay_state" not in values  # the route comes with the IdP-initiated view
    else:
        assert f"client_id={connection.client_id}" in values["relay_state"]
        assert "redirect_uri=https%3A%2F%2Fapp.example.com" in values["relay_state"]


def test_signed_requests_fetch_cognitos_signing_certificate(
    provisioner: Any, cognito: Any, pool: str, upstream_secret: str
) -> None:
    saml_tenant(provisioner, pool, sign_requests=True)
    body = base64.b64encode(valid_certificate(NOW, common_name=pool)).decode()

    def signing_certificate(**kwargs: Any) -> Any:  # moto lacks GetSigningCertificate
        return AWSResponse("https://cognito-idp.us-east-1.amazonaws.com/", 200, {}, None), {"Certificate": body}

    cognito.meta.events.register("before-call.cognito-idp.GetSigningCertificate", signing_certificate)
    out, _ = run(provisioner, "sp-metadata", "--org", "acme")
    assert "SP signing certificate (signed AuthnRequests):\n-----BEGIN CERTIFICATE-----\n" + body[:64] in out
    assert SAMLUpstream.objects.get().sp_signing_certificate.startswith("-----BEGIN CERTIFICATE-----")


def test_before_onboarding_the_pool_alone_gives_entity_id_and_acs(provisioner: Any, cognito: Any, pool: str) -> None:
    out, _ = run(provisioner, "sp-metadata", "--org", "newco", "--user-pool-id", pool, "--preset", "entra")
    assert f"urn:amazon:cognito:sp:{pool}" in out
    assert f"https://{domain_of(cognito, pool)}/saml2/idpresponse" in out
    assert "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups" in out
    with pytest.raises(CommandError, match=r"\[saml_not_onboarded\]"):
        run(provisioner, "sp-metadata", "--org", "newco")


def test_status_shows_days_left_and_cognitos_copy(
    provisioner: Any, cognito: Any, pool: str, upstream_secret: str, pool_admin: Any
) -> None:
    connection = saml_tenant(provisioner, pool)
    out, _ = run(provisioner, "status")
    assert "acme: WARNING SAML signing certificate CN=idp.example.com (from the metadata):" in out
    assert "days left" in out

    # Cognito holds a copy of the metadata (created from a file): its certificates are tracked too
    stale = okta_metadata([valid_certificate(NOW, days_left=3, common_name="cognito-copy")]).decode()
    pool_admin.create_identity_provider(
        UserPoolId=pool, ProviderName="acme-saml", ProviderType="SAML", ProviderDetails={"MetadataFile": stale},
    )
    connection.identity_provider = "acme-saml"
    connection.save()
    out, _ = run(provisioner, "status")
    assert "acme: WARNING SAML signing certificate CN=cognito-copy (as Cognito holds it): 2 days left" in out

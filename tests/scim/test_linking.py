"""The linking rule (docs/scim.md, "Linking"): a SCIM user and an SSO login are the same account
when the upstream subject matches the externalId, else when the login's verified email is the SCIM
user's, in one of the organization's domains (verified ones, when the organization requires it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tenant_sso.adapter import SSOAdapter
from tenant_sso.models import FederatedIdentity, OrganizationDomain, ScimUser
from tenant_sso.provisioning import provision, scim_user_for_login
from tests.scim.conftest import user_body

ISSUER = "https://acme.idp.example"


def claims(sub: str = "00u-ann", email: str = "ann@acme.com", verified: Any = True, **extra: Any) -> dict[str, Any]:
    return {"iss": ISSUER, "sub": sub, "email": email, "email_verified": verified, **extra}


@pytest.fixture
def ann(scim: Any) -> Any:
    assert scim("POST", "/Users", user_body()).status_code == 201
    return ScimUser.objects.get().user


def test_by_upstream_subject(scim_connection: Any, ann: Any) -> None:
    assert scim_user_for_login(scim_connection, claims(email="other@elsewhere.org")) == ann
    provisioned = provision(SSOAdapter(), scim_connection, claims(email="other@elsewhere.org"), [])
    assert provisioned.user == ann and not provisioned.created


def test_by_verified_email_in_the_organizations_domain(scim_connection: Any, ann: Any) -> None:
    assert scim_user_for_login(scim_connection, claims(sub="pairwise-xyz")) == ann
    assert scim_user_for_login(scim_connection, claims(sub="pairwise-xyz", verified="true")) == ann
    assert scim_user_for_login(scim_connection, claims(sub="pairwise-xyz", verified=False)) is None


def test_not_by_an_email_outside_the_organizations_domains(scim: Any, scim_connection: Any) -> None:
    scim("POST", "/Users", user_body("ann@gmail.com", external_id="x"))
    assert scim_user_for_login(scim_connection, claims(sub="other", email="ann@gmail.com")) is None


def test_unverified_domain_when_the_organization_requires_verified(scim_connection: Any, ann: Any) -> None:
    organization = scim_connection.organization
    organization.require_verified_domains = True
    organization.save()
    assert scim_user_for_login(scim_connection, claims(sub="pairwise-xyz")) is None
    OrganizationDomain.objects.filter(organization=organization).update(verified_at="2026-01-01T00:00:00Z")
    assert scim_user_for_login(scim_connection, claims(sub="pairwise-xyz")) == ann


def test_not_across_organizations(scim: Any, make_connection: Any, ann: Any) -> None:
    globex = make_connection("globex", kind="oidc", email_domains=["globex.com"])
    assert scim_user_for_login(globex, claims()) is None


def test_configured_subject_claim(scim_connection: Any, ann: Any, settings: Any) -> None:
    settings.TENANT_SSO_SCIM_SUBJECT_CLAIM = "oid"
    assert scim_user_for_login(scim_connection, claims(sub="pairwise", email="x@y.org", oid="00u-ann")) == ann
    assert scim_user_for_login(scim_connection, claims(sub="00u-ann", email="x@y.org")) is None


def test_scim_after_sso_links_to_the_existing_account(scim: Any, scim_connection: Any) -> None:
    existing = provision(SSOAdapter(), scim_connection, claims(sub="00u-ann"), []).user
    assert scim("POST", "/Users", user_body(external_id="00u-ann")).status_code == 201
    assert ScimUser.objects.get().user == existing
    assert get_user_model().objects.count() == 1
    assert FederatedIdentity.objects.get().user == existing


def test_scim_after_sso_links_by_email_too(scim: Any, scim_connection: Any) -> None:
    existing = provision(SSOAdapter(), scim_connection, claims(sub="pairwise"), []).user
    assert scim("POST", "/Users", user_body(external_id="entra-mailnickname")).status_code == 201
    assert ScimUser.objects.get().user == existing


def test_an_inactive_scim_user_is_found_and_the_login_refused(scim: Any, scim_connection: Any, ann: Any) -> None:
    from tenant_sso.exceptions import AccessDenied

    uid = str(ScimUser.objects.get().scim_id)
    scim("PATCH", f"/Users/{uid}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                    "Operations": [{"op": "replace", "path": "active", "value": False}]})
    with pytest.raises(AccessDenied) as refused:
        provision(SSOAdapter(), scim_connection, claims(), [])
    assert refused.value.code == "user_inactive"
    assert not FederatedIdentity.objects.exists()  # refused before any write


def test_never_links_a_user_another_organization_also_has(scim: Any, scim_connection: Any, make_connection: Any,
                                                          make_identity: Any) -> None:
    existing = provision(SSOAdapter(), scim_connection, claims(sub="00u-ann"), []).user
    globex = make_connection("globex", kind="oidc", email_domains=["globex.com"])
    make_identity(globex, user=existing, subject="g-ann")
    assert scim("POST", "/Users", user_body(external_id="00u-ann")).status_code == 201
    assert ScimUser.objects.get().user != existing  # a new account: acme's SCIM cannot deactivate it

"""Managed login branding: moto lacks the API, so botocore's Stubber plays it on a client of its own.

An app client created by API has no branding style, and its managed login pages do not work until
``create_managed_login_branding`` gives it one (docs/cognito.md, "Onboarding with boto3", step 4): onboarding must create it,
must not create it twice, and must stop with a clear error when Cognito refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from botocore.stub import ANY, Stubber  # type: ignore[import-untyped]
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.support.cognito import build_provisioner, make_client, onboard_args

pytestmark = pytest.mark.django_db


class BrandingRouter:
    """The boto3 client onboarding gets: branding calls go to the stubbed client, the rest to moto."""

    def __init__(self, moto: Any, stubbed: Any) -> None:
        self.moto, self.stubbed = moto, stubbed

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stubbed if "managed_login_branding" in name else self.moto, name)


@pytest.fixture
def stubber() -> Iterator[Stubber]:
    client = make_client("https://cognito-idp.us-east-1.amazonaws.com")
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def branded(cognito: Any, stubber: Stubber, sleeps: list[float]) -> Any:
    return build_provisioner(BrandingRouter(cognito, stubber.client), sleeps, managed_login_branding=True)


BRANDING = {"ManagedLoginBranding": {"ManagedLoginBrandingId": "b-123", "UserPoolId": "x", "UseCognitoProvidedValues": True}}


def test_onboarding_creates_the_branding_once(branded: Any, stubber: Stubber, pool: str, upstream_secret: str) -> None:
    stubber.add_response(
        "create_managed_login_branding", BRANDING,
        expected_params={"UserPoolId": pool, "ClientId": ANY, "UseCognitoProvidedValues": True},
    )
    out = StringIO()
    call_command("sso_cognito", *onboard_args(pool), provisioner=branded, stdout=out)
    assert "create_managed_login_branding tenant-sso-acme" in out.getvalue()

    # The re-run finds the branding and creates nothing.
    stubber.add_response("describe_managed_login_branding_by_client", BRANDING,
                         expected_params={"UserPoolId": pool, "ClientId": ANY})
    out = StringIO()
    call_command("sso_cognito", *onboard_args(pool), provisioner=branded, stdout=out)
    assert "No changes" in out.getvalue()


def test_a_branding_failure_is_an_error_and_a_rerun_finishes_the_job(
    branded: Any, stubber: Stubber, pool: str, upstream_secret: str
) -> None:
    stubber.add_client_error("create_managed_login_branding", "InternalErrorException", "boom", 500)
    with pytest.raises(CommandError, match=r"^\[cognito_managed_login_failed\] Creating the managed login branding"):
        call_command("sso_cognito", *onboard_args(pool), provisioner=branded, stdout=StringIO())

    stubber.add_client_error("describe_managed_login_branding_by_client", "ResourceNotFoundException", "none", 404)
    stubber.add_response("create_managed_login_branding", BRANDING)
    out = StringIO()
    call_command("sso_cognito", *onboard_args(pool), provisioner=branded, stdout=out)
    assert "create_managed_login_branding" in out.getvalue()
    assert "store_connection" in out.getvalue()  # the step after the failed one runs now


def test_offboarding_deletes_the_branding_before_the_app_client(
    branded: Any, cognito: Any, stubber: Stubber, pool: str, upstream_secret: str
) -> None:
    stubber.add_response("create_managed_login_branding", BRANDING)
    call_command("sso_cognito", *onboard_args(pool), provisioner=branded, stdout=StringIO())
    stubber.add_response("describe_managed_login_branding_by_client", BRANDING)
    stubber.add_response("delete_managed_login_branding", {},
                         expected_params={"UserPoolId": pool, "ManagedLoginBrandingId": "b-123"})

    out = StringIO()
    call_command("sso_cognito", "offboard", "--org", "acme", provisioner=branded, stdout=out)

    lines = out.getvalue().splitlines()
    steps = [line.split()[0] for line in lines if line.startswith("  ") and not line.startswith("    ")]
    assert steps == ["delete_managed_login_branding", "delete_user_pool_client", "delete_identity_provider",
                     "disable_connection"]
    assert cognito.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"] == []

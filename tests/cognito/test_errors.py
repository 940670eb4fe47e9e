"""AWS refusals become one clear line with a stable code; a failed run is finished by a re-run."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tenant_sso.models import Connection
from tests.support.cognito import AwsErrors, onboard_args

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("operation", "aws_code", "message", "code"),
    [
        ("DescribeUserPool", "NotAuthorizedException", "Access denied", "cognito_access_denied"),
        ("DescribeUserPool", "AccessDeniedException", "not authorized to perform", "cognito_access_denied"),
        ("CreateIdentityProvider", "DuplicateProviderException", "A provider with the name acme already exists",
         "cognito_provider_name_taken"),
        ("CreateUserPoolClient", "InvalidParameterException", "CallbackURLs must use https", "cognito_invalid_parameter"),
        ("CreateIdentityProvider", "LimitExceededException", "quota of identity providers", "cognito_limit_exceeded"),
    ],
)
def test_aws_errors_are_clear_command_errors(
    provisioner: Any, cognito: Any, pool: str, upstream_secret: str,
    operation: str, aws_code: str, message: str, code: str,
) -> None:
    cognito.meta.events.register(f"before-call.cognito-idp.{operation}", AwsErrors(aws_code, 1, message))
    with pytest.raises(CommandError) as caught:
        call_command("sso_cognito", *onboard_args(pool), provisioner=provisioner, stdout=StringIO())
    text = str(caught.value)
    assert text.startswith(f"[{code}] ")
    assert "Traceback" not in text and "\n" not in text
    assert not Connection.objects.exists()


def test_a_run_that_failed_half_way_is_finished_by_the_next(
    provisioner: Any, cognito: Any, call_log: Any, pool: str, upstream_secret: str
) -> None:
    cognito.meta.events.register("before-call.cognito-idp.CreateUserPoolClient",
                                 AwsErrors("InternalErrorException", 1, "try later", 500))
    with pytest.raises(CommandError, match=r"^\[cognito_error\]"):
        call_command("sso_cognito", *onboard_args(pool), provisioner=provisioner, stdout=StringIO())
    assert cognito.list_identity_providers(UserPoolId=pool, MaxResults=60)["Providers"]  # the IdP step was done
    call_log.clear()

    out = StringIO()
    call_command("sso_cognito", *onboard_args(pool), provisioner=provisioner, stdout=out)

    assert "Created acme" in out.getvalue()
    assert call_log.writes() == ["CreateUserPoolClient"]  # only what was missing
    assert Connection.objects.get(organization__slug="acme").identity_provider == "acme"


def test_an_aws_message_echoing_the_upstream_secret_is_redacted(
    provisioner: Any, cognito: Any, pool: str, upstream_secret: str
) -> None:
    echo = "1 validation error: Value '{client_secret=okta-secret-1}' at 'providerDetails' failed to satisfy constraint"
    cognito.meta.events.register("before-call.cognito-idp.CreateIdentityProvider",
                                 AwsErrors("InvalidParameterException", 1, echo))
    with pytest.raises(CommandError) as caught:
        call_command("sso_cognito", *onboard_args(pool), provisioner=provisioner, stdout=StringIO())
    assert "okta-secret-1" not in str(caught.value)
    assert "{client_secret=(secret)}" in str(caught.value)


def test_every_code_of_the_aws_error_table_is_documented() -> None:
    from pathlib import Path

    from tenant_sso.cognito import aws

    entries = [*aws.AWS_ERRORS.values(), *aws.CLIENT_ERRORS.values(), aws.OTHER_AWS_ERROR, aws.OTHER_ERROR]
    documented = (Path(__file__).resolve().parents[2] / "docs/cognito-onboarding.md").read_text()
    assert [code for code, _message in entries if f"`{code}`" not in documented] == []

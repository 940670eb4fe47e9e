"""The federated Cognito user's admin calls (tenant_sso.cognito.users) and their tasks, on moto's server.

moto implements ``AdminDeleteUserAttributes`` and ``AdminUserGlobalSignOut`` on a real pool: the
tests read the pool user back, and use a refresh token to show the sign-out took effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tenant_sso.cognito import users
from tenant_sso.cognito.aws import CognitoAPI
from tenant_sso.cognito.throttle import RateLimiter, RetryPolicy
from tenant_sso.models import LoginEvent
from tenant_sso.tasks import clear_cognito_attributes, cognito_global_sign_out
from tests.support.cognito import AwsErrors
from tests.support.tasks import DUMMY, queued

pytestmark = [pytest.mark.django_db]

USERNAME = "acme_00u-alice"


@pytest.fixture(autouse=True)
def _api(cognito: Any) -> Iterator[None]:
    users.set_api(CognitoAPI(lambda region: cognito, limiter=RateLimiter(1000.0, burst=1000),
                             retry=RetryPolicy(max_attempts=2, sleep=lambda s: None)))
    yield
    users.set_api(None)


@pytest.fixture
def federated(pool_admin: Any, pool: str, make_connection: Any, make_identity: Any) -> Any:
    """A Cognito connection on ``pool`` and alice's identity, her pool user holding stale groups."""
    pool_admin.add_custom_attributes(UserPoolId=pool, CustomAttributes=[
        {"Name": "groups", "AttributeDataType": "String", "Mutable": True},
        {"Name": "roles", "AttributeDataType": "String", "Mutable": True},
    ])
    pool_admin.admin_create_user(UserPoolId=pool, Username=USERNAME, MessageAction="SUPPRESS", UserAttributes=[
        {"Name": "email", "Value": "alice@acme.test"},
        {"Name": "custom:groups", "Value": "[engineering, sales]"},
        {"Name": "custom:roles", "Value": "[admin]"},
    ])
    connection = make_connection(issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pool}", roles_claim="custom:roles")
    return make_identity(connection, subject="pool-sub-alice", cognito_username=USERNAME)


def attributes(pool_admin: Any, pool: str) -> dict[str, str]:
    found = pool_admin.admin_get_user(UserPoolId=pool, Username=USERNAME)["UserAttributes"]
    return {a["Name"]: a["Value"] for a in found}


def test_clearing_removes_the_groups_and_roles_cognito_would_keep(federated: Any, pool_admin: Any, pool: str) -> None:
    result = clear_cognito_attributes.enqueue(federated.pk)

    assert result.return_value == "done"
    left = attributes(pool_admin, pool)
    assert "custom:groups" not in left and "custom:roles" not in left
    assert left["email"] == "alice@acme.test"  # only the stale-prone attributes go
    # Idempotent: clearing again (a retry, a second login) succeeds and changes nothing.
    assert clear_cognito_attributes.enqueue(federated.pk).return_value == "done"
    assert not LoginEvent.objects.filter(outcome="error").exists()


def test_only_custom_attributes_of_the_connection_are_cleared(federated: Any) -> None:
    connection = federated.connection
    connection.roles_claim = ""
    assert users.stale_attributes(connection) == ["custom:groups"]
    connection.groups_claim = "groups"  # not a custom attribute: nothing Cognito keeps for us
    assert users.stale_attributes(connection) == []


def test_global_sign_out_revokes_the_users_refresh_tokens(
    federated: Any, pool_admin: Any, pool: str, call_log: Any
) -> None:
    client_id = pool_admin.create_user_pool_client(
        UserPoolId=pool, ClientName="probe", ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH"]
    )["UserPoolClient"]["ClientId"]
    pool_admin.admin_set_user_password(UserPoolId=pool, Username=USERNAME, Password="Pa55word!x", Permanent=True)
    tokens = pool_admin.admin_initiate_auth(
        UserPoolId=pool, ClientId=client_id, AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": USERNAME, "PASSWORD": "Pa55word!x"},
    )["AuthenticationResult"]

    result = cognito_global_sign_out.enqueue(federated.pk)

    assert result.return_value == "done"
    assert call_log.operations == ["AdminUserGlobalSignOut"]
    with pytest.raises(Exception, match="NotAuthorized"):
        pool_admin.admin_initiate_auth(
            UserPoolId=pool, ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    event = LoginEvent.objects.get(reason="cognito_signed_out")
    assert event.outcome == "revoked" and event.user_id == federated.user_id


def test_a_user_gone_from_the_pool_is_nothing_to_do(federated: Any, pool_admin: Any, pool: str) -> None:
    pool_admin.admin_delete_user(UserPoolId=pool, Username=USERNAME)

    assert clear_cognito_attributes.enqueue(federated.pk).return_value == "gone"
    assert cognito_global_sign_out.enqueue(federated.pk).return_value == "gone"
    assert not LoginEvent.objects.filter(outcome="error").exists()


def test_a_refused_call_is_audited_and_not_retried(federated: Any, cognito: Any) -> None:
    cognito.meta.events.register(
        "before-call.cognito-idp.AdminDeleteUserAttributes", AwsErrors("AccessDeniedException", times=5)
    )

    result = clear_cognito_attributes.enqueue(federated.pk)

    assert result.return_value == "failed"
    event = LoginEvent.objects.get(reason="cognito_attributes_not_cleared")
    assert event.outcome == "error"
    assert event.detail["code"] == "cognito_access_denied"
    assert event.detail["retry"] is False
    assert event.user_id == federated.user_id


def test_a_failure_is_retried_later_on_a_backend_that_can_wait(federated: Any, cognito: Any, settings: Any) -> None:
    settings.TASKS = DUMMY
    errors = AwsErrors("InternalErrorException", times=1, status=500)
    cognito.meta.events.register("before-call.cognito-idp.AdminDeleteUserAttributes", errors)

    # The dummy backend stores tasks: run the first attempt by hand, as a worker would.
    assert clear_cognito_attributes.call(federated.pk) == "retrying"

    waiting = [r for r in queued() if r.task.name == "clear_cognito_attributes"]
    assert len(waiting) == 1
    assert waiting[0].kwargs == {"attempt": 2}
    assert waiting[0].task.run_after is not None
    assert LoginEvent.objects.get(reason="cognito_attributes_not_cleared").detail["retry"] is True
    # The retry succeeds (the error answered once).
    assert clear_cognito_attributes.call(federated.pk, attempt=2) == "done"


def test_the_last_attempt_gives_up(federated: Any, cognito: Any, settings: Any) -> None:
    settings.TASKS = DUMMY
    settings.TENANT_SSO_TASK_MAX_ATTEMPTS = 3
    cognito.meta.events.register(
        "before-call.cognito-idp.AdminUserGlobalSignOut", AwsErrors("InternalErrorException", times=9, status=500)
    )
    assert cognito_global_sign_out.call(federated.pk, attempt=3) == "failed"
    detail = LoginEvent.objects.get(reason="cognito_sign_out_failed").detail
    assert (detail["code"], detail["attempt"], detail["retry"]) == ("cognito_error", 3, False)


def test_identities_without_a_cognito_user_are_skipped(make_connection: Any, make_identity: Any) -> None:
    oidc = make_identity(make_connection(org="globex", kind="oidc"), subject="x", cognito_username="")
    assert clear_cognito_attributes.enqueue(oidc.pk).return_value == "skipped"
    assert cognito_global_sign_out.enqueue(999_999).return_value == "gone"


def test_the_endpoint_setting_points_boto3_elsewhere(
    federated: Any, moto_endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch, pool_admin: Any, pool: str
) -> None:
    """Without a test seam: the default client, aimed by TENANT_SSO_COGNITO_ENDPOINT_URL."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings.TENANT_SSO_COGNITO_ENDPOINT_URL = moto_endpoint
    users.set_api(None)

    users.clear_stale_attributes(federated.connection_id, USERNAME)

    assert "custom:groups" not in attributes(pool_admin, pool)


def test_pool_of_issuer() -> None:
    assert users.pool_of("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC") == ("eu-west-1_AbC", "eu-west-1")
    # The local identity provider's issuer ends with the pool ID too.
    assert users.pool_of("http://127.0.0.1:9000/us-east-1_Dev") == ("us-east-1_Dev", "us-east-1")
    with pytest.raises(Exception, match="cognito_not_a_pool"):
        users.pool_of("https://acme.okta.com")


def test_status_checks_the_deprovisioning_permissions(
    provisioner: Any, cognito: Any, pool: str, upstream_secret: str
) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    from tests.support.cognito import onboard_args

    def status(*extra: str) -> str:
        out = StringIO()
        call_command("sso_cognito", "status", *extra, provisioner=provisioner, stdout=out)
        return out.getvalue()

    call_command("sso_cognito", *onboard_args(pool), provisioner=provisioner, stdout=StringIO())
    assert f"{pool}: deprovisioning permissions ok" in status()
    assert users.PROBE_USERNAME  # the probes act on a user that does not exist: nothing changes

    # Credentials without cognito-idp:AdminUserGlobalSignOut (AWS answers AccessDeniedException).
    cognito.meta.events.register(
        "before-call.cognito-idp.AdminUserGlobalSignOut", AwsErrors("AccessDeniedException", times=2)
    )
    report = status()
    assert f"{pool}: cognito_access_denied: cognito-idp:AdminUserGlobalSignOut refused" in report
    assert "1 pool lacking deprovisioning permissions." in report
    with pytest.raises(CommandError, match="cognito_drift"):
        status("--check")

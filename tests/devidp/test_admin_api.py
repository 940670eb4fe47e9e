"""The devidp answers boto3's cognito-idp admin calls (AWS JSON 1.1 at its base URL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tenant_sso.devidp import DevIdPServer
from tests.support.cognito import make_client

from .helpers import POOL, Browser, config, exchange, new_client, rp, verify

Factory = Callable[..., DevIdPServer]
ALICE = "AcmeOkta_00u1alice"


@pytest.fixture
def stale_server(devidp_factory: Factory) -> DevIdPServer:
    cfg = config()
    cfg["identity_providers"][0]["keep_stale_attributes"] = True
    return devidp_factory(cfg)


def test_deleted_attributes_stay_gone_when_the_idp_stops_sending_them(stale_server: DevIdPServer) -> None:
    idp = stale_server.idp
    aws = make_client(stale_server.base_url)
    idp.issue_tokens_for("acme-client", "alice@acme.test")
    got = {a["Name"]: a["Value"] for a in aws.admin_get_user(UserPoolId=POOL, Username=ALICE)["UserAttributes"]}
    assert got["custom:groups"] == "[engineering, sso-admins]"

    aws.admin_delete_user_attributes(UserPoolId=POOL, Username=ALICE, UserAttributeNames=["custom:groups", "custom:roles"])
    idp.set_groups("AcmeOkta", "alice@acme.test", [])  # the IdP now omits the claim
    tokens = idp.issue_tokens_for("acme-client", "alice@acme.test")

    claims = verify(stale_server, tokens["id_token"])[1]
    assert "custom:groups" not in claims  # without the delete, Cognito would replay the old groups
    assert idp.admin_calls == [("AdminDeleteUserAttributes", ALICE, ("custom:groups", "custom:roles"))]


def test_global_sign_out_stops_refresh_tokens(server: DevIdPServer, browser: Browser) -> None:
    tokens = exchange(server, browser.login()["code"]).json()
    make_client(server.base_url).admin_user_global_sign_out(UserPoolId=POOL, Username=ALICE)

    refreshed = rp().post(
        f"{server.base_url}/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("acme-client", "acme-secret"),
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("call", "kwargs", "code"),
    [
        ("admin_user_global_sign_out", {"UserPoolId": POOL, "Username": "AcmeOkta_nobody"}, "UserNotFoundException"),
        ("admin_user_global_sign_out", {"UserPoolId": "us-east-1_Other", "Username": ALICE}, "ResourceNotFoundException"),
        ("admin_delete_user_attributes",
         {"UserPoolId": POOL, "Username": ALICE, "UserAttributeNames": ["email"]}, "InvalidParameterException"),
    ],
)
def test_errors_are_aws_errors(server: DevIdPServer, call: str, kwargs: dict[str, Any], code: str) -> None:
    server.idp.issue_tokens_for("acme-client", "alice@acme.test")
    with pytest.raises(Exception) as raised:
        getattr(make_client(server.base_url), call)(**kwargs)
    assert raised.value.response["Error"]["Code"] == code  # type: ignore[attr-defined]


def test_unsigned_or_unknown_requests_are_refused(server: DevIdPServer) -> None:
    with new_client() as http:
        unsigned = http.post(server.base_url + "/", content=b"{}", headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminGetUser",
            "Content-Type": "application/x-amz-json-1.1"})
        unknown = http.post(server.base_url + "/", content=b"{}", headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.DeleteUserPool", "Authorization": "AWS4-HMAC-SHA256 x",
            "Content-Type": "application/x-amz-json-1.1"})
        garbage = http.post(server.base_url + "/", content=b"[not json", headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminGetUser", "Authorization": "AWS4-HMAC-SHA256 x"})
    assert unsigned.status_code == 403
    assert unknown.status_code == 400 and unknown.json()["__type"] == "UnknownOperationException"
    assert garbage.status_code == 400 and garbage.json()["__type"] == "SerializationException"

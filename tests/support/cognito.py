"""Cognito onboarding tests' helpers: boto3 clients on moto, the onboard command's arguments, AWS errors.

The fixtures that use them (moto's server, a recorded client, pools, a provisioner) are in
tests/cognito/conftest.py.
"""

from __future__ import annotations

import uuid
from typing import Any

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class CallLog:
    """Operation names a boto3 client sent, recorded through botocore's event system."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def __call__(self, model: Any, **kwargs: Any) -> None:
        self.operations.append(model.name)

    def clear(self) -> None:
        self.operations.clear()

    def writes(self) -> list[str]:
        return [op for op in self.operations if not op.startswith(("Describe", "List"))]


_SESSION: Any = None


def make_client(endpoint: str, region: str = "us-east-1") -> Any:
    """A cognito-idp client on ``endpoint``; one boto3 session for all (its model loading is cached)."""
    global _SESSION
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    if _SESSION is None:
        _SESSION = boto3.session.Session()
    return _SESSION.client(
        "cognito-idp", region_name=region, endpoint_url=endpoint,
        config=Config(retries={"total_max_attempts": 1}), **CREDENTIALS,
    )


def build_provisioner(client: Any, sleeps: list[float], **kwargs: Any) -> Any:
    from tenant_sso.cognito.aws import CognitoAPI
    from tenant_sso.cognito.onboarding import Provisioner
    from tenant_sso.cognito.throttle import RateLimiter, RetryPolicy

    api = CognitoAPI(
        lambda region: client,
        limiter=RateLimiter(1000.0, burst=1000),
        retry=RetryPolicy(max_attempts=4, sleep=sleeps.append),
    )
    kwargs.setdefault("managed_login_branding", False)
    return Provisioner(api=api, **kwargs)


def onboard_args(pool_id: str | None, *extra: str, org: str = "acme") -> list[str]:
    args = ["onboard", "--org", org, "--issuer", f"https://{org}.okta.test",
            "--upstream-client-id", f"{org}-okta-client", "--upstream-client-secret-env", "ACME_OKTA_SECRET",
            "--email-domain", f"{org}.test", "--allowed-group", "engineering"]
    if pool_id:
        args += ["--user-pool-id", pool_id]
    return args + list(extra)


def new_id() -> str:
    return uuid.uuid4().hex[:8]


class AwsErrors:
    """A botocore ``before-call`` handler answering the first ``times`` calls with an AWS error
    (``code``), as Cognito would, then letting calls through to moto. Register it with
    ``client.meta.events.register("before-call.cognito-idp.<Operation>", handler)``."""

    def __init__(self, code: str, times: int = 1, message: str = "", status: int = 400) -> None:
        self.code, self.remaining, self.message, self.status = code, times, message or code, status
        self.answered = 0

    def __call__(self, **kwargs: Any) -> Any:
        from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped]

        if self.remaining <= 0:
            return None
        self.remaining -= 1
        self.answered += 1
        error = {"Error": {"Code": self.code, "Message": self.message},
                 "ResponseMetadata": {"HTTPStatusCode": self.status}}
        return AWSResponse("https://cognito-idp.us-east-1.amazonaws.com/", self.status, {}, None), error

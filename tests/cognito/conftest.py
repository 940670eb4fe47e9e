"""Fixtures for Cognito onboarding: one moto server per test session, a fresh user pool per test.

moto (PyPI) implements the cognito-idp control plane except managed login branding; it runs as a
real HTTP server on 127.0.0.1 and boto3 talks to it through ``endpoint_url``, as it would to AWS.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import urls

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "slow: starts servers or runs whole onboarding batches (seconds)")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server on a free loopback port, for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # port 0: the OS picks
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


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


@pytest.fixture
def call_log() -> CallLog:
    return CallLog()


@pytest.fixture
def cognito(moto_endpoint: str, call_log: CallLog) -> Any:
    """A boto3 cognito-idp client on moto whose calls are recorded in ``call_log``."""
    client = make_client(moto_endpoint)
    client.meta.events.register("before-call.cognito-idp.*", call_log)
    return client


@pytest.fixture(scope="session")
def pool_admin(moto_endpoint: str) -> Any:
    """A client of its own for setting pools up, so that ``call_log`` holds only the calls under test."""
    return make_client(moto_endpoint)


@pytest.fixture
def make_pool(pool_admin: Any) -> Any:
    """``make_pool() -> pool id``: a new user pool with a domain (a unique prefix per pool)."""
    admin = pool_admin

    def make(name: str = "tenants") -> str:
        pool_id = admin.create_user_pool(PoolName=name)["UserPool"]["Id"]
        admin.create_user_pool_domain(Domain=f"t{uuid.uuid4().hex[:12]}", UserPoolId=pool_id)
        return str(pool_id)

    return make


@pytest.fixture
def pool(make_pool: Any) -> str:
    return str(make_pool())


@pytest.fixture(autouse=True)
def _cognito_settings(settings: Any) -> None:
    settings.TENANT_SSO_COGNITO_CALLBACK_URL = urls.callback_url()
    settings.TENANT_SSO_COGNITO_LOGOUT_URLS = [urls.logged_out_url()]
    settings.TENANT_SSO_COGNITO_POOLS = []


@pytest.fixture
def sleeps() -> list[float]:
    """Delays the retry policy would have slept (tests never sleep for real)."""
    return []


@pytest.fixture
def provisioner(cognito: Any, sleeps: list[float]) -> Any:
    """A Provisioner on moto: no real waiting, and no managed login branding (moto lacks that API)."""
    return build_provisioner(cognito, sleeps)


def build_provisioner(client: Any, sleeps: list[float], **kwargs: Any) -> Any:
    from tenant_sso.cognito.provisioning import CognitoAPI, Provisioner
    from tenant_sso.cognito.throttle import RateLimiter, RetryPolicy

    api = CognitoAPI(
        lambda region: client,
        limiter=RateLimiter(1000.0, burst=1000),
        retry=RetryPolicy(max_attempts=4, sleep=sleeps.append),
    )
    kwargs.setdefault("managed_login_branding", False)
    return Provisioner(api=api, **kwargs)


@pytest.fixture
def upstream_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ACME_OKTA_SECRET", "okta-secret-1")
    return "ACME_OKTA_SECRET"


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

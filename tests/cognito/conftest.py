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
from tests.support.cognito import CallLog, build_provisioner, make_client


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


@pytest.fixture
def upstream_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ACME_OKTA_SECRET", "okta-secret-1")
    return "ACME_OKTA_SECRET"


@pytest.fixture
def cognito_route(settings: Any, provisioner: Any, pool: str, cognito: Any) -> str:
    """The setup portal on its Cognito route, onboarding into ``pool`` (moto): the pool's domain."""
    from tests.support import setup as portal

    domain = cognito.describe_user_pool(UserPoolId=pool)["UserPool"]["Domain"]
    settings.TENANT_SSO_SETUP_ROUTE = "cognito"
    settings.TENANT_SSO_SETUP_COGNITO_DOMAIN = f"{domain}.auth.us-east-1.amazoncognito.com"
    settings.TENANT_SSO_SETUP_PROVISIONER = "tests.support.setup.provisioner"
    settings.TENANT_SSO_COGNITO_POOLS = [{"user_pool_id": pool, "region": "us-east-1"}]
    portal.PROVISIONERS.append(provisioner)
    return str(settings.TENANT_SSO_SETUP_COGNITO_DOMAIN)

"""Fixtures of the end-to-end security tests (the login driver is :mod:`tests.support.driver`).

Every attack goes through the app's real views (Django's test client) and the local identity
provider's real token endpoint and JWKS over HTTP; tokens are forged with ``idp.id_token_hook``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.support.stubs import RequestLog, StubServer


@pytest.fixture
def pool(idp: Any) -> Any:
    """The running :class:`~tenant_sso.devidp.DevIdP` behind the ``idp`` server handle."""
    return getattr(idp, "idp", idp)


@pytest.fixture
def idp_requests() -> Iterator[RequestLog]:
    handler = RequestLog()
    logger = logging.getLogger("tenant_sso.devidp")
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


@pytest.fixture
def stub_server() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler], None]], StubServer]]:
    servers: list[StubServer] = []

    def make(answer: Callable[[BaseHTTPRequestHandler], None]) -> StubServer:
        server = StubServer(answer)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()

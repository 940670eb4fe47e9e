"""Fixtures for the devidp tests, which need no Django.

The project-wide autouse fixture that clears Django's cache is neutralised here so that
``pytest tests/devidp -p no:django`` works. ``shared_server`` is one server per module for the
(parametrized) tests that do not change its state: generating an RSA key per server is most of a
server's start-up time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tenant_sso.devidp import DevIdP, DevIdPConfig, DevIdPServer

from .helpers import Browser, config, new_client


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    yield


@pytest.fixture(scope="module")
def shared_server() -> Iterator[DevIdPServer]:
    with DevIdP(DevIdPConfig.from_dict(config())).serve() as server:
        yield server


@pytest.fixture
def shared_browser(shared_server: DevIdPServer) -> Iterator[Browser]:
    """A new browser (empty cookie jar) at the module's shared server."""
    with new_client(follow_redirects=False) as http:
        yield Browser(shared_server, http)


@pytest.fixture
def server(devidp_factory: Callable[..., DevIdPServer]) -> DevIdPServer:
    """A server of its own, for tests that change its state."""
    return devidp_factory(config())


@pytest.fixture
def browser(server: DevIdPServer) -> Iterator[Browser]:
    with new_client(follow_redirects=False) as http:
        yield Browser(server, http)

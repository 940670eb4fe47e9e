"""pytest fixtures that run the development identity provider (registered as ``pytest11``).

Installing ``tenant-sso`` registers this plugin (entry point ``tenant_sso_devidp``), so any test
suite gets these fixtures without a ``conftest.py`` import:

``devidp_factory``
    ``make(config=None, *, key_file=None, port=0) -> DevIdPServer``: starts a
    :class:`~tenant_sso.devidp.DevIdP` for ``config`` (a dict, a
    :class:`~tenant_sso.devidp.DevIdPConfig`, or ``None`` for :func:`default_config`) on
    127.0.0.1 and returns the running server (``.base_url``, ``.issuer``, ``.idp``...). Every
    server started through it is stopped when the test ends.

``devidp_config``
    The config dict used by ``devidp``: :func:`default_config`. Override this fixture in your
    ``conftest.py`` to change the callback URLs, users or groups.

``devidp``
    A running server for ``devidp_config``. The default pool ``us-east-1_DevPool01`` has one app
    client ``acme-client`` / ``acme-secret`` whose only provider is ``AcmeOkta`` (bracketed
    ``custom:groups``), with two users:

    * ``alice@acme.test`` -- groups ``engineering``, ``sso-admins``; role ``admin`` (allowed);
    * ``bob@acme.test`` -- group ``contractors`` only (meant to be refused by your policy).

    Callback URLs: ``http://testserver/api/oidc/cognito/callback/`` (Django's test client) and
    the same path on ``http://127.0.0.1:8000`` and ``http://localhost:8000``; sign-out URLs: the
    roots of those three. Use ``devidp.idp.add_callback_url(...)`` for a live server's URL.

Example::

    def test_login(devidp, client):
        idp = devidp.idp
        idp.set_groups("AcmeOkta", "bob@acme.test", ["engineering"])
        callback = idp.complete_login(authorize_url_from_your_app, "bob@acme.test")
        response = client.get(callback)  # your app exchanges the code with devidp
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest

from .config import DevIdPConfig
from .provider import DevIdP
from .server import DevIdPServer

DEFAULT_CLIENT_ID = "acme-client"
DEFAULT_CLIENT_SECRET = "acme-secret"
DEFAULT_IDP = "AcmeOkta"
ALLOWED_USER = "alice@acme.test"
DENIED_USER = "bob@acme.test"
_APP_ORIGINS = ("http://testserver", "http://127.0.0.1:8000", "http://localhost:8000")

_DEFAULT_CONFIG: dict[str, Any] = {
    "region": "us-east-1",
    "user_pool_id": "us-east-1_DevPool01",
    "token_ttl": 3600,
    "clients": [
        {
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "callback_urls": [f"{origin}/api/oidc/cognito/callback/" for origin in _APP_ORIGINS],
            "logout_urls": [f"{origin}/" for origin in _APP_ORIGINS],
            "identity_providers": [DEFAULT_IDP],
        }
    ],
    "identity_providers": [
        {
            "name": DEFAULT_IDP,
            "groups_format": "bracketed",
            "users": [
                {
                    "sub": "00u1alice",
                    "email": ALLOWED_USER,
                    "email_verified": True,
                    "given_name": "Alice",
                    "family_name": "Anders",
                    "groups": ["engineering", "sso-admins"],
                    "roles": ["admin"],
                },
                {
                    "sub": "00u2bob",
                    "email": DENIED_USER,
                    "email_verified": True,
                    "given_name": "Bob",
                    "family_name": "Baker",
                    "groups": ["contractors"],
                },
            ],
        }
    ],
}


def default_config() -> dict[str, Any]:
    """A fresh copy of the default pool configuration (see the module docstring)."""
    return copy.deepcopy(_DEFAULT_CONFIG)


class DevIdPFactory(Protocol):
    """The type of the ``devidp_factory`` fixture."""

    def __call__(
        self,
        config: Mapping[str, Any] | DevIdPConfig | None = None,
        *,
        key_file: str | Path | None = None,
        port: int = 0,
    ) -> DevIdPServer: ...


@pytest.fixture
def devidp_factory() -> Iterator[DevIdPFactory]:
    """Start development identity providers; all are stopped at teardown."""
    servers: list[DevIdPServer] = []

    def make(
        config: Mapping[str, Any] | DevIdPConfig | None = None,
        *,
        key_file: str | Path | None = None,
        port: int = 0,
    ) -> DevIdPServer:
        if config is None:
            config = default_config()
        parsed = config if isinstance(config, DevIdPConfig) else DevIdPConfig.from_dict(config)
        server = DevIdP(parsed, key_file=key_file).serve(port=port)
        servers.append(server)
        return server

    yield make
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def devidp_config() -> dict[str, Any]:
    """The configuration of the ``devidp`` fixture; override it to change the pool."""
    return default_config()


@pytest.fixture
def devidp(devidp_factory: DevIdPFactory, devidp_config: Mapping[str, Any]) -> DevIdPServer:
    """A running development identity provider with ``devidp_config``."""
    return devidp_factory(devidp_config)


__all__ = [
    "ALLOWED_USER",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_IDP",
    "DENIED_USER",
    "DevIdPFactory",
    "default_config",
    "devidp",
    "devidp_config",
    "devidp_factory",
]

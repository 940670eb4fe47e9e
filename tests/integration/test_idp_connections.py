"""One back-channel round trip per login on a warm process (issue 17): the token call reuses a
pooled keep-alive connection to the identity provider across requests, through the network
policy's guarded transport (which checks each new connection when it opens)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tenant_sso.devidp import DevIdP, DevIdPConfig
from tenant_sso.oidc import netguard
from tests.conftest import idp_config
from tests.services.servers import TcpProxy
from tests.support import urls
from tests.support.driver import IdPBrowser, path_of

pytestmark = pytest.mark.django_db

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate"}


class CountingRoute(TcpProxy):
    """The app's route to the provider's back channel: counts the TCP connections opened on it."""

    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.opened = 0
        self._count_lock = threading.Lock()

    def _connect(self, client: socket.socket) -> None:
        with self._count_lock:
            self.opened += 1
        super()._connect(client)


@pytest.fixture
def keep_alive_idp() -> Iterator[Any]:
    with DevIdP(DevIdPConfig.from_dict(idp_config())).serve(keep_alive=True) as server:
        yield server


@pytest.fixture
def route(keep_alive_idp: Any) -> Iterator[CountingRoute]:
    proxy = CountingRoute(keep_alive_idp.port)
    proxy.start()
    yield proxy
    proxy.stop()


def login(client: Any, browser: IdPBrowser, route: CountingRoute, idp: Any) -> None:
    client.cookies.clear()
    start = client.get(urls.login(), {"org": "acme"}, headers=SAME_ORIGIN)
    assert start.status_code == 302, start.content[:300]
    # The browser reaches the provider directly; the app's calls go through the counting route.
    answer = browser.authorize(start["Location"].replace(route.url, idp.base_url, 1), "alice@acme.test")
    assert answer.headers["location"].startswith(urls.callback_url())
    done = client.get(path_of(answer.headers["location"]))
    assert done.status_code == 302 and done["Location"] == "/", done.content[:300]


def test_two_logins_in_one_process_open_one_back_channel_connection(
    client: Any, keep_alive_idp: Any, route: CountingRoute, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tenant_sso.connections import ConnectionSpec, upsert_connection

    upsert_connection(ConnectionSpec(
        org_slug="acme", org_name="Acme Corp", kind="cognito", issuer=keep_alive_idp.issuer,
        cognito_domain=route.url, identity_provider="AcmeOkta", client_id="acme-client",
        client_secret="acme-secret", email_domains=["acme.test"], allowed_groups=["engineering"],
        group_mapping={"engineering": "Engineers"},
    ))
    checked: list[str] = []
    connect = netguard.GuardedBackend.connect_tcp

    def counting_connect(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        checked.append(f"{host}:{port}")
        return connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(netguard.GuardedBackend, "connect_tcp", counting_connect)
    browser = IdPBrowser.new()
    try:
        login(client, browser, route, keep_alive_idp)
        login(client, browser, route, keep_alive_idp)
        login(client, browser, route, keep_alive_idp)
    finally:
        browser.http.close()
    assert route.opened == 1  # three token calls on one pooled connection
    # ... which the network guard checked when it opened (and the JWKS fetch's, once).
    assert checked.count(f"127.0.0.1:{route.port}") == 1

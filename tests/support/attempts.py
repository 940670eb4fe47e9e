"""The login attempts a test client's browser holds: one sealed cookie each (tenant_sso.stash)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.http import HttpResponse

from tenant_sso import stash


def _request(client: Any) -> Any:
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    return SimpleNamespace(COOKIES=cookies, is_secure=lambda: False)


def pending(client: Any) -> dict[str, dict[str, Any]]:
    """The attempts in the client's cookies, by state (what the callback would open)."""
    return stash.entries(_request(client), stash.ATTEMPTS)


def cookie_of(client: Any, state: str) -> tuple[str, str]:
    """(name, sealed value) of the cookie holding the attempt ``state``."""
    for name, morsel in client.cookies.items():
        found = stash.entries(SimpleNamespace(COOKIES={name: morsel.value}, is_secure=lambda: False), stash.ATTEMPTS)
        if state in found:
            return name, morsel.value
    raise LookupError(state)


def reseal(client: Any, state: str, **changes: Any) -> None:
    """Seal the attempt ``state`` again with ``changes``: what only someone holding the server's
    keys could do, to test what the callback does with such an attempt."""
    request = _request(client)
    value = {key: item for key, item in pending(client)[state].items() if key != "at"}
    stash.stash(request, stash.ATTEMPTS, {**value, **changes}, id=state)
    client.cookies.update(stash.write_cookies(request, HttpResponse()).cookies)

"""A cache server that cannot be reached counts as a miss: logins go on, a warning is logged.

No Redis needed: the cache points at a port where nothing listens (connection refused), which is
what a Redis that went away looks like to the app. Runs in the fast suite.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import override_settings

from tests.services.servers import free_port
from tests.support.driver import sso_login

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.mark.django_db
def test_login_works_while_the_cache_server_is_unreachable(
    client: Any, browser: Any, tenants: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tenant_sso")
    with override_settings(CACHES=DEAD_REDIS):
        response = sso_login(client, browser, email="alice@acme.test", org="acme")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/api/me/").json()["email"] == "alice@acme.test"
    warnings = [r.getMessage() for r in caplog.records if r.name == "tenant_sso"]
    assert any("cache get tenant_sso:jwks:" in w and "continuing without the cache" in w for w in warnings)


def test_the_tolerant_cache_passes_through_a_working_cache() -> None:
    from django.core.cache import caches

    from tenant_sso.wiring import TolerantCache

    cache = TolerantCache(caches["default"])
    cache.set("k", "v", 30)
    assert cache.get("k") == "v"
    assert cache.add("k", "other", 30) is False
    cache.delete("k")
    assert cache.get("k", "gone") == "gone"

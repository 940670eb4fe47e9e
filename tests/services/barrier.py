"""An adapter that holds every login at a cross-process barrier just before provisioning.

Used by the concurrency tests through ``tests.services.barrier_settings``: each callback waits in
``check_access`` (the last hook before :func:`tenant_sso.provisioning.provision`) until as many
callbacks as the test announced (Redis key ``SIZE_KEY``), in any gunicorn worker, have arrived --
or 10 seconds passed -- so they all race into provisioning together. The barrier is a Redis
counter, so the test can also check that every callback really took part in the race.
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis

from tenant_sso.adapter import SSOAdapter
from tenant_sso.models import Connection

BARRIER_KEY = "services-test:barrier"
SIZE_KEY = "services-test:barrier-size"


class BarrierAdapter(SSOAdapter):
    def check_access(self, connection: Connection, claims: dict[str, Any], groups: list[str]) -> list[str]:
        matched = super().check_access(connection, claims, groups)
        deadline = time.monotonic() + 10
        with redis.Redis.from_url(os.environ["REDIS_URL"]) as client:
            size = int(client.get(SIZE_KEY) or 1)
            client.incr(BARRIER_KEY)
            while int(client.get(BARRIER_KEY) or 0) < size and time.monotonic() < deadline:
                time.sleep(0.005)
        return matched

"""Settings of the in-process benchmarks: the example project, plus two more databases and a view.

``one`` holds one organization, ``many`` 100,000; :mod:`benchmarks.bench_router` sends every query
to whichever of them a benchmark round selects. ``/plain/me/`` is ``/api/me/`` without SSO: the
baseline of the authenticated-request benchmark.
"""

from __future__ import annotations

import os

import dj_database_url

from example_project.settings import *  # noqa: F403
from example_project.settings import DATABASES

DATABASES["one"] = dj_database_url.parse(os.environ["BENCH_DB_ONE"], conn_max_age=600)
DATABASES["many"] = dj_database_url.parse(os.environ["BENCH_DB_MANY"], conn_max_age=600)
DATABASE_ROUTERS = ["benchmarks.bench_router.ActiveDatabase"]
ROOT_URLCONF = "benchmarks.bench_urls"

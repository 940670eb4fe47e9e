"""gunicorn settings of the example project: ``gunicorn -c example/gunicorn.conf.py``.

Every value comes from the environment so one file serves development, CI and production:

GUNICORN_BIND        default 127.0.0.1:8000 (put a TLS-terminating proxy in front; see
                     docs/production.md). A unix socket works too: unix:/run/app.sock
WEB_CONCURRENCY      worker processes, default 2 x cores + 1 (read by gunicorn itself too)
GUNICORN_MAX_REQUESTS  requests before a worker is recycled, default 2000 (0: never)
GUNICORN_THREADS     threads per worker, default 1 (sync workers); > 1 selects gthread workers
GUNICORN_TIMEOUT     seconds before a stuck worker is restarted, default 30. A login waits on the
                     identity provider (TENANT_SSO_HTTP_TIMEOUT, 5 s per call) so keep this above
                     a few of those
GUNICORN_ACCESS_LOG  "-" (stdout, the default) or a path; empty to switch the access log off
FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers are trusted, default 127.0.0.1

Nothing a login needs lives in a worker's memory: the pending login (state, nonce, PKCE
verifier) is in the session store, discovery documents and JWKS in Django's cache (Redis), so
workers can be restarted (max_requests) or spread over hosts freely.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

_here = Path(__file__).resolve().parent
chdir = str(_here)
if str(_here) not in sys.path:
    sys.path.insert(0, str(_here))  # so "example_project.wsgi" imports from any working directory

wsgi_app = "example_project.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5

# Recycle workers now and then (bounds any slow leak); jitter so they do not restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))  # 0: never (make bench's memory figure)
max_requests_jitter = 200

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The access log never shows query strings: the callback's carries the authorization code.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'

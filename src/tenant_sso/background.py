"""Background work: the one seam to Django's tasks framework.

Work that must not hold a request (Cognito admin calls after a login or a SCIM deactivation,
re-reading SAML metadata, DNS checks...) is a task defined with :func:`task` in
:mod:`tenant_sso.tasks` and queued with :func:`defer`. The host project picks the backend with its
``TASKS`` setting: ``django.tasks`` on Django 6, the ``django-tasks`` backport on Django 5.2 (the
same setting; the example uses ``django-tasks-db`` and runs its worker). Without a ``TASKS``
setting, both run a task at once, in the caller (``ImmediateBackend``).

Tasks take JSON-able arguments only (primary keys, not model instances), are idempotent and
retry what can fail (docs/deprovisioning.md).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.utils import timezone

try:  # Django 6.0+
    from django.tasks import task
except ImportError:  # Django 5.2: the backport, same API
    from django_tasks import task  # type: ignore[no-redef]

__all__ = ["defer", "later", "task"]

logger = logging.getLogger("tenant_sso.audit")


def defer(work: Any, *args: Any, **kwargs: Any) -> Any:
    """Queue ``work`` (a :func:`task`); never raises: a backend that refuses is logged.

    Returns the task result handle, or ``None`` when the backend could not take the task.
    """
    try:
        return work.enqueue(*args, **kwargs)
    except Exception as error:  # a queue that is down must not turn a login into a 500
        logger.error("task %s not queued: %s", getattr(work, "name", work), type(error).__name__)
        return None


def later(work: Any, seconds: float) -> Any:
    """``work`` set to run ``seconds`` from now when its backend can wait (a worker's queue);
    ``work`` unchanged otherwise (the immediate backend runs it at once)."""
    if seconds <= 0:
        return work
    try:
        if not work.get_backend().supports_defer:
            return work
    except Exception:  # an unknown backend: defer() reports it
        return work
    return work.using(run_after=timezone.now() + timedelta(seconds=seconds))

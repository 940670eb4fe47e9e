"""Task backends for tests, on Django 6 (``django.tasks``) and 5.2 (the ``django-tasks`` backport)."""

from __future__ import annotations

from typing import Any

try:  # Django 6.0+
    import django.tasks  # noqa: F401

    FRAMEWORK = "django.tasks"
except ImportError:
    FRAMEWORK = "django_tasks"

#: Stores enqueued tasks without running them (as a queue whose worker is away); can wait (run_after).
DUMMY = {"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}}
IMMEDIATE = {"default": {"BACKEND": f"{FRAMEWORK}.backends.immediate.ImmediateBackend"}}


def queued() -> list[Any]:
    """What the dummy backend holds."""
    if FRAMEWORK == "django.tasks":
        from django.tasks import default_task_backend
    else:
        from django_tasks import default_task_backend  # type: ignore[no-redef]
    return list(default_task_backend.results)

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
    import importlib

    backend: Any = importlib.import_module(FRAMEWORK).default_task_backend
    return list(backend.results)

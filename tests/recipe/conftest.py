"""One wheel of this checkout per session; one fresh project per Django release, shared by tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.recipe.project import FreshProject, build_project, build_wheel


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: Any) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def fresh_project(tmp_path_factory: Any, wheel: Path) -> Iterator[Callable[[str], FreshProject]]:
    """``fresh_project("5.2")``: built on first use, its servers stopped at the end of the session."""
    built: dict[str, FreshProject] = {}

    def get(django: str) -> FreshProject:
        if django not in built:
            built[django] = build_project(tmp_path_factory.mktemp(f"django{django}"), wheel, django)
        return built[django]

    yield get
    for project in built.values():
        project.stop()

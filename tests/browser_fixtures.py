"""Playwright driving Debian's Chromium (``apt-get install chromium``); no browser download.

Loaded by tests/conftest.py for every browser test (``tests/browser``, ``tests/admin``): one Chromium per session, a fresh
context per test, and ``shot(page, name)`` saving screenshots to tests/artifacts/screenshots/, or to
docs/screenshots/ with ``TENANT_SSO_UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("TENANT_SSO_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / ("docs/screenshots" if os.environ.get("TENANT_SSO_UPDATE_SCREENSHOTS") else "tests/artifacts/screenshots")
MAX_SHOT_BYTES = 300 * 1024
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """``shot(page, name)`` saves ``<name>.png`` (under 300 KB, so the docs stay light)."""

    def take(page: Any, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size < MAX_SHOT_BYTES, f"{path} is {path.stat().st_size} bytes"
        return path

    return take

"""The one HTTP seam: every call to an identity provider goes through :class:`ProviderHTTP`.

Tests and callers inject an ``httpx.Client`` (a real one, or one with ``httpx.MockTransport``);
nothing patches import paths. Every call has bounded timeouts and a bounded response size, and
every failure becomes a :class:`~tenant_sso.exceptions.ProviderError` with a stable code.
"""

from __future__ import annotations

import json
import time
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from ..exceptions import ProviderError

MAX_RESPONSE_BYTES = 512 * 1024


class ProviderHTTP:
    """JSON calls to identity providers, each bounded in size and in total duration.

    httpx's timeouts bound each network operation, not the whole answer: a server dripping one
    byte at a time keeps every read short and the call alive for hours. So the body must also be
    complete within ``total_timeout`` of the request start (default: twice the client's read timeout).
    """

    def __init__(self, client: httpx.Client, *, total_timeout: float | None = None) -> None:
        self.client = client
        self.total_timeout = total_timeout or 2 * (client.timeout.read or 5.0)

    def _read(self, response: httpx.Response, what: str, deadline: float) -> bytes:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_RESPONSE_BYTES:
                raise ProviderError(
                    f"{what}_too_large", detail=f"{what} answer over {MAX_RESPONSE_BYTES} bytes"
                )
            if time.monotonic() > deadline:
                raise ProviderError(
                    f"{what}_timeout", detail=f"{what} answer not complete within {self.total_timeout:g}s"
                )
        return bytes(body)

    def request_json(self, method: str, url: str, *, what: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """Send a request and parse a JSON object answer; returns (status, document)."""
        deadline = time.monotonic() + self.total_timeout
        try:
            with self.client.stream(method, url, **kwargs) as response:
                body = self._read(response, what, deadline)
                status = response.status_code
        except httpx.TimeoutException as exc:
            raise ProviderError(f"{what}_timeout", detail=f"{method} {url}: timed out") from exc
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"{what}_unreachable", detail=f"{method} {url}: {type(exc).__name__}"
            ) from exc
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: [[[[...]]]]
            raise ProviderError(
                f"{what}_invalid", detail=f"{method} {url}: HTTP {status}, answer is not JSON"
            ) from exc
        if not isinstance(document, dict):
            raise ProviderError(f"{what}_invalid", detail=f"{method} {url}: answer is not an object")
        return status, document

    def get_json(self, url: str, *, what: str, **kwargs: Any) -> dict[str, Any]:
        status, document = self.request_json("GET", url, what=what, **kwargs)
        if status != 200:
            raise ProviderError(f"{what}_failed", detail=f"GET {url}: HTTP {status}")
        return document


def make_client(timeout: float, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An ``httpx.Client`` with bounded timeouts, no redirects followed, no cookies kept.

    The client is shared by every tenant: a cookie set by one identity provider must never be
    sent on behalf of another, so the cookie jar refuses all cookies.
    """
    return httpx.Client(
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        transport=transport,
        headers={"User-Agent": "tenant-sso", "Accept": "application/json"},
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
    )

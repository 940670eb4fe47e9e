"""The one HTTP seam: every call to an identity provider goes through :class:`ProviderHTTP`.

Tests and callers inject an ``httpx.Client`` (a real one, or one with ``httpx.MockTransport``);
nothing patches import paths. Every call has bounded timeouts and a bounded response size, and
every failure becomes a :class:`~tenant_sso.exceptions.ProviderError` subclass with a stable code
and attributes (``what`` names the call, e.g. ``discovery``; ``endpoint`` the request)::

    ProviderError
    ├── EndpointError                  .what .endpoint
    │   ├── TransportError
    │   │   ├── ProviderTimeout        {what}_timeout       (no answer, or not complete, in time)
    │   │   └── ProviderUnreachable    {what}_unreachable   .reason (httpx's error name)
    │   ├── BadStatus                  {what}_failed        .provider_status (get_json: not 200)
    │   ├── ResponseTooLarge           {what}_too_large     .limit (MAX_RESPONSE_BYTES)
    │   └── InvalidDocument            {what}_invalid       .provider_status (not a JSON object)
    └── URLRefused                     endpoint_invalid, insecure_endpoint, internal_address

Callers test the type and read the attributes; the codes are for pages and the audit log.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from ..exceptions import (
    BadStatus,
    InvalidDocument,
    ProviderError,
    ProviderTimeout,
    ProviderUnreachable,
    ResponseTooLarge,
    URLRefused,
)
from .netguard import GuardedTransport, NetworkPolicy, describe, refused

MAX_RESPONSE_BYTES = 512 * 1024


class ProviderHTTP:
    """JSON calls to identity providers, each bounded in size and in total duration.

    httpx's timeouts bound each network operation, not the whole answer: a server dripping one
    byte at a time keeps every read short and the call alive for hours. So the body must also be
    complete within ``total_timeout`` of the request start (default: twice the client's read timeout).
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        total_timeout: float | None = None,
        policy: NetworkPolicy | None = None,
    ) -> None:
        self.client = client
        #: Every URL is checked against it before a request (strict unless told otherwise).
        self.policy = policy or NetworkPolicy()
        self.total_timeout = total_timeout or 2 * (client.timeout.read or 5.0)

    def _read(self, response: httpx.Response, what: str, endpoint: str, deadline: float) -> bytes:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_RESPONSE_BYTES:
                raise ResponseTooLarge(what, endpoint, limit=MAX_RESPONSE_BYTES)
            if time.monotonic() > deadline:
                raise ProviderTimeout(
                    what, endpoint, detail=f"{what} answer not complete within {self.total_timeout:g}s"
                )
        return bytes(body)

    def request_json(self, method: str, url: str, *, what: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """Send a request and parse a JSON object answer; returns (status, document)."""
        endpoint = f"{method} {describe(url)}"
        with self._stream(method, url, what=what, **kwargs) as (response, deadline):
            body = self._read(response, what, endpoint, deadline)
            status = response.status_code
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: [[[[...]]]]
            raise InvalidDocument(
                what, endpoint, provider_status=status, detail=f"{endpoint}: HTTP {status}, answer is not JSON"
            ) from exc
        if not isinstance(document, dict):
            raise InvalidDocument(
                what, endpoint, provider_status=status, detail=f"{endpoint}: answer is not an object"
            )
        return status, document

    def probe(self, url: str, *, what: str, max_bytes: int) -> tuple[int, str, bytes]:
        """GET ``url`` without following redirects: (status, Location, the body's first bytes).

        For the admin's diagnostics, on the same checks as every other call.
        """
        with self._stream("GET", url, what=what, headers={"Accept": "text/html"}) as (response, deadline):
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= max_bytes or time.monotonic() > deadline:
                    break
            return response.status_code, response.headers.get("location", ""), bytes(body[:max_bytes])

    @contextmanager
    def _stream(self, method: str, url: str, *, what: str, **kwargs: Any) -> Iterator[tuple[httpx.Response, float]]:
        """The one place a request is sent: URL checked first, every failure a ProviderError.

        Codes: those of :meth:`NetworkPolicy.check_url`; ``internal_address`` when the host
        resolves to a refused address; ``{what}_timeout``, ``{what}_unreachable``; and
        ``endpoint_invalid`` for a request that cannot even be built (a host httpx or the IDNA
        codec refuses at connection time, a header that is not ASCII...).
        """
        self.policy.check_url(url)
        endpoint = f"{method} {describe(url)}"
        deadline = time.monotonic() + self.total_timeout
        try:
            with self.client.stream(method, url, **kwargs) as response:
                yield response, deadline
        except ProviderError:
            raise
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(what, endpoint, detail=f"{endpoint}: timed out") from exc
        except httpx.HTTPError as exc:
            if refused(exc):
                raise URLRefused(
                    "internal_address", endpoint, detail=f"{endpoint}: host resolves to an internal address"
                ) from exc
            raise ProviderUnreachable(what, endpoint, reason=type(exc).__name__) from exc
        except (httpx.InvalidURL, httpx.StreamError, ValueError, UnicodeError, OSError) as exc:
            # UnicodeError / IDNAError are ValueErrors; raised by the IDNA codec at connect time.
            raise URLRefused("endpoint_invalid", endpoint, detail=f"{endpoint}: {type(exc).__name__}") from exc

    def get_bytes(self, url: str, *, what: str, max_bytes: int = MAX_RESPONSE_BYTES, **kwargs: Any) -> bytes:
        """GET a document that is not JSON (SAML metadata): its body, when the answer is a 200
        within ``max_bytes`` (:class:`ResponseTooLarge` beyond) and the call's time budget."""
        endpoint = f"GET {describe(url)}"
        with self._stream("GET", url, what=what, **kwargs) as (response, deadline):
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise ResponseTooLarge(what, endpoint, limit=max_bytes)
                if time.monotonic() > deadline:
                    raise ProviderTimeout(
                        what, endpoint, detail=f"{what} answer not complete within {self.total_timeout:g}s"
                    )
            status = response.status_code
        if status != 200:
            raise BadStatus(what, endpoint, provider_status=status)
        return bytes(body)

    def get_json(self, url: str, *, what: str, **kwargs: Any) -> dict[str, Any]:
        status, document = self.request_json("GET", url, what=what, **kwargs)
        if status != 200:
            raise BadStatus(what, f"GET {describe(url)}", provider_status=status)
        return document


def make_client(
    timeout: float, transport: httpx.BaseTransport | None = None, *, policy: NetworkPolicy | None = None
) -> httpx.Client:
    """An ``httpx.Client`` with bounded timeouts, no redirects followed, no cookies kept.

    The client is shared by every tenant: a cookie set by one identity provider must never be
    sent on behalf of another, so the cookie jar refuses all cookies. Without an injected
    ``transport`` (tests), connections go through :class:`~.netguard.GuardedTransport`: only
    to addresses ``policy`` allows (strict by default).
    """
    # Pooled per origin, bounded per process; an idle connection is kept 30 s (httpx's default 5 s
    # would reopen one, with its TLS handshake, for nearly every login of a quiet tenant).
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20, keepalive_expiry=30.0)
    return httpx.Client(
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        transport=transport or GuardedTransport(policy or NetworkPolicy(), limits=limits),
        headers={"User-Agent": "tenant-sso", "Accept": "application/json"},
        limits=limits,
    )

"""Minimal request/response values shared by the provider logic and the HTTP adaptor.

The provider (:mod:`tenant_sso.devidp.provider`) maps a :class:`Request` to a :class:`Response`
without touching sockets, which keeps the protocol logic testable in-process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

MAX_FIELDS = 100

#: Security headers for every HTML page (no scripts at all; inline CSS only). No ``form-action``:
#: Chrome applies it to the redirect that follows a form POST, which goes to the app.
HTML_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
)


class BadRequest(Exception):
    """Malformed input (e.g. a parameter given twice); answered with a clean 400."""


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    form: dict[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    content_type: str = ""
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """A header value, case-insensitively."""
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return None


@dataclass
class Response:
    """One HTTP response: status, headers (a list: Set-Cookie may repeat) and body.

    ``context`` carries values for in-process callers (e.g. the id of a pending login); it is
    never sent.
    """

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    context: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def parse_params(raw: str) -> dict[str, list[str]]:
    """Parse a query string or form body; raises :class:`BadRequest` when it is unreasonable."""
    try:
        return parse_qs(raw, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="replace")
    except ValueError as exc:
        raise BadRequest(str(exc)) from exc


def single(params: Mapping[str, list[str]], name: str) -> str | None:
    """The one value of a parameter, ``None`` when absent or empty.

    A parameter sent twice is a :class:`BadRequest` (RFC 6749 3.1: parameters MUST NOT be
    included more than once).
    """
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadRequest(f"parameter {name!r} was given more than once")
    return values[0] or None


def parse_cookies(header: str | None) -> dict[str, str]:
    """A forgiving Cookie header parser (``http.cookies`` rejects some real-world headers)."""
    cookies: dict[str, str] = {}
    if not header:
        return cookies
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in cookies:
            cookies[name] = value.strip().strip('"')
    return cookies


def add_query(url: str, params: Mapping[str, str | None]) -> str:
    """Append parameters (skipping ``None``) to a URL that may already have a query."""
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query and extra else (parts.query or extra)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def json_response(
    status: int, data: Any, headers: list[tuple[str, str]] | None = None, *, no_store: bool = True
) -> Response:
    """A JSON response; token-ish answers must not be cached (RFC 6749 5.1)."""
    body = json.dumps(data, separators=(",", ":")).encode("utf-8")
    cache = [("Cache-Control", "no-store"), ("Pragma", "no-cache")] if no_store else []
    return Response(
        status, body, [("Content-Type", "application/json;charset=UTF-8"), *cache, *(headers or [])]
    )


def html_response(status: int, html: str, headers: list[tuple[str, str]] | None = None) -> Response:
    """An HTML page with the security headers above."""
    return Response(
        status,
        html.encode("utf-8"),
        [("Content-Type", "text/html; charset=utf-8"), *HTML_HEADERS, *(headers or [])],
    )


def text_response(status: int, text: str) -> Response:
    """A plain-text response (404s and the like)."""
    return Response(status, text.encode("utf-8"), [("Content-Type", "text/plain; charset=utf-8")])


def redirect(location: str, headers: list[tuple[str, str]] | None = None) -> Response:
    """A 302, as Cognito answers (browsers turn the POST of a login form into a GET)."""
    return Response(302, b"", [("Location", location), ("Cache-Control", "no-store"), *(headers or [])])

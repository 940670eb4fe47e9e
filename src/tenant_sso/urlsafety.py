"""Where a user may be sent after login: local paths only."""

from __future__ import annotations

from urllib.parse import unquote

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(value: str | None, default: str) -> str:
    """``value`` if it is a local absolute path, else ``default``.

    Refuses ``//host``, ``/\\host``, ``\\\\host``, schemes (``https:``, ``javascript:``), control
    characters, and the same once percent-decoded (``/%2F%2Fevil``).
    """
    if not value or len(value) > 2000:
        return default
    for candidate in (value, unquote(value)):
        if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
            return default
        if "\\" in candidate or any(ord(c) < 32 or ord(c) == 127 for c in candidate):
            return default
        if not url_has_allowed_host_and_scheme(candidate, allowed_hosts=set()):
            return default
    return value

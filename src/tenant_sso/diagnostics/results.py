"""The diagnostics' vocabulary: a check's result, how an error of the HTTP seam reads, the probe.

Shared by the generic checks (:mod:`.checks`) and the kind-specific ones (:mod:`.cognito`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..conf import app_settings
from ..exceptions import (
    BadStatus,
    InvalidDocument,
    ProviderTimeout,
    ProviderUnreachable,
    ResponseTooLarge,
    SSOError,
    TransportError,
)
from ..oidc.http import ProviderHTTP

#: Bytes of an error page read to find an OAuth error code in it (Cognito's pages name it).
ERROR_PAGE_BYTES = 8192
JWKS = "Signing keys (JWKS)"
TOKEN = "Token endpoint (client ID and secret)"
REDIRECT = "Authorization request (redirect URI)"
SIGNOUT = "Sign-out URL"
#: OAuth errors looked for in an error page, most specific first.
KNOWN_ERRORS = (
    "redirect_mismatch",
    "invalid_client",
    "unauthorized_client",
    "invalid_request",
    "invalid_scope",
)


@dataclass(frozen=True)
class CheckResult:
    """One line of the diagnostics: ``ok`` passed; ``skipped`` not run (an earlier check failed)."""

    name: str
    ok: bool
    detail: str
    skipped: bool = False

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else ("passed" if self.ok else "failed")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(str(data["name"]), bool(data["ok"]), str(data["detail"]), bool(data.get("skipped")))


def passed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, True, detail)


def failed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, False, detail)


def skipped(name: str, detail: str) -> CheckResult:
    return CheckResult(name, False, f"Not run: {detail}", skipped=True)


def explain(error: SSOError) -> str:
    """A sentence for an error of the HTTP seam, followed by its stable code and detail."""
    code = error.code
    if isinstance(error, ProviderTimeout):
        text = f"No answer within {app_settings.HTTP_TIMEOUT:g} s"
    elif isinstance(error, ProviderUnreachable):
        text = "Could not connect (wrong host name, port or region, or a firewall)"
    elif isinstance(error, ResponseTooLarge):
        text = "The answer is too large to be a discovery document or key set"
    elif isinstance(error, InvalidDocument):
        text = "The answer is not the expected JSON document"
    elif isinstance(error, BadStatus):
        text = "The provider answered with an HTTP error"
    elif code == "internal_address":
        text = "Refused: the provider's host is, or resolves to, a loopback or internal network address"
    elif code in ("insecure_endpoint", "insecure_issuer"):
        text = "Refused: identity providers must be https (plain http only for loopback in development)"
    elif code == "endpoint_invalid":
        text = "Refused: not a valid URL or host name"
    elif code == "discovery_issuer_mismatch":
        text = "The provider names a different issuer than the one configured"
    else:
        text = error.message
    return f"{text} ({code}: {error.detail})" if error.detail else f"{text} ({code})"


def is_unreachable(error: SSOError) -> bool:
    return isinstance(error, TransportError)


def error_in(location: str, body: bytes) -> str:
    """The OAuth error named by a refusal: in the redirect's query, else in the page's text."""
    if location:
        values = parse_qs(urlsplit(location).query).get("error")
        return values[0][:64] if values else ""
    text = body[:ERROR_PAGE_BYTES].decode("utf-8", "replace")
    for known in KNOWN_ERRORS:
        if known in text:
            return known
    return ""


def probe(http: ProviderHTTP, url: str, what: str) -> tuple[int, str, str]:
    """GET ``url`` without following redirects: (status, Location, OAuth error named).

    Through the HTTP seam like every other call: the same network policy (no plaintext, no
    internal address: refused before any connection, so open and closed ports look the same),
    the same bounded time and size, failures as :class:`ProviderError`.
    """
    status, location, body = http.probe(url, what=what, max_bytes=ERROR_PAGE_BYTES)
    return status, location, error_in(location, body)

"""The one error tree of tenant_sso.

Every refusal of a login is an :class:`SSOError` subclass carrying a stable ``code`` (the
reason code shown on the error page, stored in the audit log and safe to grep for), a safe
``message`` for the person in front of the browser, and an HTTP ``status``. The ``detail``
is for the audit log and operators only: it never reaches the page and never holds secrets.

This module has no Django imports: the protocol layer (``tenant_sso.oidc``) raises these too.

::

    SSOError
    ├── RequestError          400  the browser's request is wrong (state, params, next)
    ├── ConfigurationError    400/404  no connection, disabled connection, bad settings
    │   └── InvalidMetadata        a SAML IdP's metadata is unusable: saml_metadata_* (tenant_sso.saml)
    ├── ProviderError         502  the identity provider answered an error or garbage, or is down
    │   ├── EndpointError          a call to one endpoint failed: .what, .endpoint
    │   │   ├── TransportError     no answer at all
    │   │   │   ├── ProviderTimeout       {what}_timeout
    │   │   │   └── ProviderUnreachable   {what}_unreachable   .reason (the transport error)
    │   │   ├── BadStatus              {what}_failed        .provider_status
    │   │   ├── ResponseTooLarge       {what}_too_large     .limit
    │   │   └── InvalidDocument        {what}_invalid       .provider_status (None: not known)
    │   ├── URLRefused             endpoint_invalid, insecure_endpoint, internal_address (the network
    │   │                          policy refused the URL before or while connecting): .endpoint
    │   └── ProviderRefused        the provider answered with an OAuth error: .provider_error
    │                              (token_exchange_failed, idp_cancelled, idp_error...)
    ├── TokenError            401  the ID token failed a validation step
    └── AccessDenied          403  the token is valid but the policy refuses the user

The codes of :class:`EndpointError` are ``{what}_{suffix}``, where ``what`` names the call
(``discovery``, ``jwks``, ``token``, ``userinfo``, ``authorize``...): ``discovery_timeout``,
``token_unreachable``... are a stable interface (docs/security.md). Callers that need to know
*what kind* of failure it was test the type (``isinstance(error, TransportError)``) and read
the attributes, never the code's suffix or the detail's text. ``provider_status`` is the
provider's HTTP status; ``status`` stays, as everywhere in the tree, the status of our own page.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SSOError(Exception):
    """Root of every error tenant_sso raises on purpose."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "sso_error"
    default_message: ClassVar[str] = "Single sign-on failed."

    def __init__(
        self,
        code: str | None = None,
        message: str | None = None,
        *,
        detail: str = "",
        status: int | None = None,
        **context: Any,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or self.default_message
        self.detail = detail
        self.context = context
        if status is not None:
            self.status = status  # type: ignore[misc]
        super().__init__(f"{self.code}: {detail or self.message}")


class RequestError(SSOError):
    status = 400
    default_code = "bad_request"
    default_message = "The sign-in request was not valid. Please start again."


class ConfigurationError(SSOError):
    status = 400
    default_code = "configuration_error"
    default_message = "Single sign-on is not set up for this organization."


class InvalidMetadata(ConfigurationError):
    """A SAML identity provider's metadata cannot be used: malformed, hostile (DTD, entities),
    no entity id, no SSO endpoint, no valid signing certificate... ``code`` is one of the
    ``saml_metadata_*`` reason codes (docs/security.md); ``message`` says what to fix."""

    default_code = "saml_metadata_invalid"
    default_message = "The SAML metadata of the identity provider cannot be used."

    def __init__(self, code: str, message: str | None = None, *, detail: str = "", **context: Any) -> None:
        super().__init__(code, message, detail=detail or (message or ""), **context)


class ProviderError(SSOError):
    status = 502
    default_code = "provider_error"
    default_message = "Your identity provider could not complete the sign-in. Please try again."


class EndpointError(ProviderError):
    """A call to one of the provider's endpoints failed; the code is ``f"{what}_{suffix}"``.

    ``what`` names the call, ``endpoint`` the request as logged (method and URL without query).
    """

    suffix: ClassVar[str] = "error"

    def __init__(self, what: str, endpoint: str, *, detail: str = "", **context: Any) -> None:
        self.what = what
        self.endpoint = endpoint
        super().__init__(f"{what}_{self.suffix}", detail=detail or f"{endpoint}: {self.suffix}", **context)


class TransportError(EndpointError):
    """No answer: the host could not be reached, or did not answer in time."""


class ProviderTimeout(TransportError):
    suffix = "timeout"


class ProviderUnreachable(TransportError):
    """No connection (DNS, refused, TLS...); ``reason`` names the transport error."""

    suffix = "unreachable"

    def __init__(self, what: str, endpoint: str, *, reason: str, detail: str = "", **context: Any) -> None:
        self.reason = reason
        super().__init__(what, endpoint, detail=detail or f"{endpoint}: {reason}", **context)


class BadStatus(EndpointError):
    """The provider answered with an HTTP status the call does not accept."""

    suffix = "failed"

    def __init__(self, what: str, endpoint: str, *, provider_status: int, detail: str = "", **context: Any) -> None:
        self.provider_status = provider_status
        super().__init__(what, endpoint, detail=detail or f"{endpoint}: HTTP {provider_status}", **context)


class ResponseTooLarge(EndpointError):
    suffix = "too_large"

    def __init__(self, what: str, endpoint: str, *, limit: int, detail: str = "", **context: Any) -> None:
        self.limit = limit
        super().__init__(what, endpoint, detail=detail or f"{what} answer over {limit} bytes", **context)


class InvalidDocument(EndpointError):
    """The answer is not the document expected (not JSON, not an object, a field missing).

    ``provider_status``: the HTTP status it came with, None when not known (or not relevant)."""

    suffix = "invalid"

    def __init__(
        self, what: str, endpoint: str, *, provider_status: int | None = None, detail: str = "", **context: Any
    ) -> None:
        self.provider_status = provider_status
        super().__init__(what, endpoint, detail=detail, **context)


class URLRefused(ProviderError):
    """The network policy refused a URL: ``endpoint_invalid`` (not a usable URL),
    ``insecure_endpoint`` (not https), ``internal_address`` (loopback or internal network)."""

    def __init__(self, code: str, endpoint: str, *, detail: str = "", **context: Any) -> None:
        self.endpoint = endpoint
        super().__init__(code, detail=detail, **context)


class ProviderRefused(ProviderError):
    """The provider answered with an OAuth error (RFC 6749 4.1.2.1, 5.2): ``provider_error`` is
    its ``error`` value (cleaned, at most 64 characters; "" when it sent none)."""

    def __init__(self, code: str, message: str | None = None, *, provider_error: str, **kwargs: Any) -> None:
        self.provider_error = provider_error
        super().__init__(code, message, provider_error=provider_error, **kwargs)


class TokenError(SSOError):
    status = 401
    default_code = "invalid_token"
    default_message = "The identity provider's answer could not be verified."


class UnknownKeyError(TokenError):
    """The token's ``kid`` is not in the JWKS we hold: the caller may refetch once."""

    default_code = "unknown_kid"


class AccessDenied(SSOError):
    status = 403
    default_code = "access_denied"
    default_message = "Your account is not allowed to sign in to this application."

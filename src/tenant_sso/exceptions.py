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
    ├── ProviderError         502  the identity provider answered an error or garbage, or is down
    ├── TokenError            401  the ID token failed a validation step
    └── AccessDenied          403  the token is valid but the policy refuses the user
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


class ProviderError(SSOError):
    status = 502
    default_code = "provider_error"
    default_message = "Your identity provider could not complete the sign-in. Please try again."


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

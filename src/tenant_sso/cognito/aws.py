"""The AWS API seam: boto3 ``cognito-idp`` clients, rate-limited and retried, errors translated.

The only module of tenant_sso that imports boto3 and botocore, lazily (the ``[cognito]`` extra):
without them, :class:`~tenant_sso.exceptions.ConfigurationError` ``boto3_missing`` says what to install.

Every call goes through :meth:`CognitoAPI.call`: a token of the client-side rate limit, retries of
throttled calls with backoff and jitter (:mod:`.throttle`), and an AWS error turned into a
:class:`CognitoError` with a stable code by :func:`translate_error`, which reads one table
(:data:`AWS_ERRORS`) from AWS error codes to our codes and messages: ``cognito_access_denied``,
``cognito_pool_not_found``, ``cognito_resource_not_found``, ``cognito_provider_name_taken``,
``cognito_invalid_parameter``, ``cognito_limit_exceeded``, ``cognito_throttled``,
``cognito_no_credentials``, ``cognito_unreachable``, ``cognito_error``. A secret sent in a call
never comes back in a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from ..exceptions import ConfigurationError, ProviderError, SSOError
from .throttle import RateLimiter, RetryPolicy, ThrottledOut, error_code

logger = logging.getLogger("tenant_sso.cognito")

ClientFactory = Callable[[str], Any]
"""``factory(region) -> boto3 cognito-idp client``: the seam tests use to point at moto's server."""

PAGE_SIZE = 60  # the largest MaxResults the list_* calls accept
MAX_PAGES = 100  # 6,000 items: far above the quotas (300 IdPs, 1,000 app clients per pool)


class CognitoError(ProviderError):
    """Cognito refused or failed an onboarding call; ``code`` says which way."""

    default_code = "cognito_error"
    default_message = "Amazon Cognito refused the request."


def _boto3() -> Any:
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ConfigurationError(
            "boto3_missing", "boto3 missing: pip install 'tenant-sso[cognito]' to talk to Cognito."
        ) from exc
    return boto3


def require_boto3() -> None:
    """Raise ``boto3_missing`` now rather than once per tenant later."""
    _boto3()


def default_client_factory(region: str) -> Any:
    """A real ``cognito-idp`` client, with botocore's own retries off (:mod:`.throttle` retries).

    ``TENANT_SSO_COGNITO_ENDPOINT_URL``, when set, replaces AWS's endpoint (moto, the devidp).
    """
    boto3 = _boto3()
    from botocore.config import Config  # type: ignore[import-untyped]

    from ..conf import app_settings

    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    endpoint = app_settings.COGNITO_ENDPOINT_URL or None
    return boto3.client("cognito-idp", region_name=region, config=config, endpoint_url=endpoint)


class CognitoAPI:
    """boto3 ``cognito-idp`` clients (one per region), rate-limited, retried, errors translated.

    ``calls`` records every operation attempted, in order (an operator's ``--verbose`` and tests).
    """

    def __init__(
        self,
        client_factory: ClientFactory | None = None,
        *,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        from ..conf import app_settings

        self._factory = client_factory or default_client_factory
        self._clients: dict[str, Any] = {}
        self.limiter = limiter or RateLimiter(app_settings.COGNITO_CALLS_PER_SECOND)
        self.retry = retry or RetryPolicy(max_attempts=app_settings.COGNITO_MAX_ATTEMPTS)
        self.calls: list[str] = []

    def client(self, region: str) -> Any:
        if region not in self._clients:
            self._clients[region] = self._factory(region)
        return self._clients[region]

    def call(self, region: str, operation: str, *, missing_ok: bool = False, **params: Any) -> Any:
        """Call ``operation``; ``missing_ok``: a ``ResourceNotFoundException`` returns ``None``."""
        method = getattr(self.client(region), operation)

        def attempt() -> Any:
            self.limiter.acquire()
            self.calls.append(operation)
            return method(**params)

        def on_retry(attempt_no: int, wait: float) -> None:
            logger.warning("cognito %s throttled (attempt %d), retrying in %.2fs", operation, attempt_no, wait)

        try:
            return self.retry.call(attempt, on_retry=on_retry)
        except ThrottledOut as exc:
            raise CognitoError(
                "cognito_throttled",
                f"Cognito still throttled {operation} after {exc.attempts} attempts. Wait a minute and "
                "re-run: the steps already done are kept.",
            ) from exc
        except Exception as exc:
            code = error_code(exc)
            if missing_ok and code == "ResourceNotFoundException":
                return None
            raise translate_error(exc, operation, params) from exc

    def list_all(self, region: str, user_pool_id: str, operation: str, key: str) -> list[dict[str, Any]]:
        """Every item of a paginated ``list_*`` call (bounded: a server repeating its NextToken
        cannot keep us here)."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            extra: dict[str, Any] = {"NextToken": token} if token else {}
            page = self.call(region, operation, UserPoolId=user_pool_id, MaxResults=PAGE_SIZE, **extra)
            items += page.get(key, [])
            token = page.get("NextToken")
            if not token:
                return items
        raise CognitoError("cognito_error", f"{operation} on pool {user_pool_id} returned more than {MAX_PAGES} pages.")


_ACCESS_DENIED = (
    "cognito_access_denied",
    "AWS refused {operation} on pool {pool}: the credentials in use lack the cognito-idp "
    "permission or are invalid ({code}).",
)

#: AWS error code (or ``(code, operation)`` for a code whose meaning depends on the call) ->
#: (our code, message). Messages are ``str.format`` templates over ``operation``, ``pool``,
#: ``code``, ``aws_message`` (AWS's own words, secrets masked), ``or_not_found`` (those words or
#: "not found") and ``provider`` (the ``ProviderName`` sent).
AWS_ERRORS: Mapping[str | tuple[str, str], tuple[str, str]] = {
    "AccessDeniedException": _ACCESS_DENIED,
    "NotAuthorizedException": _ACCESS_DENIED,
    "UnrecognizedClientException": _ACCESS_DENIED,
    "InvalidClientTokenId": _ACCESS_DENIED,
    "ExpiredTokenException": _ACCESS_DENIED,
    "UserNotFoundException": ("cognito_user_not_found", "{operation}: no such user in pool {pool}."),
    ("ResourceNotFoundException", "describe_user_pool"): (
        "cognito_pool_not_found",
        "User pool {pool} does not exist in this account and region (or is not visible to "
        "these credentials). Check --user-pool-id / TENANT_SSO_COGNITO_POOLS.",
    ),
    "ResourceNotFoundException": ("cognito_resource_not_found", "{operation}: {or_not_found}."),
    "DuplicateProviderException": (
        "cognito_provider_name_taken",
        "Pool {pool} already has an identity provider named {provider!r} or one "
        "using the same identifiers: {aws_message}",
    ),
    "InvalidParameterException": ("cognito_invalid_parameter", "Cognito rejected {operation}: {aws_message}"),
    "LimitExceededException": (
        "cognito_limit_exceeded",
        "Pool {pool} reached a Cognito quota on {operation} ({aws_message}). Add a pool to "
        "TENANT_SSO_COGNITO_POOLS or raise the quota.",
    ),
}
#: Any other AWS error code.
OTHER_AWS_ERROR = ("cognito_error", "{operation} failed: {code}: {aws_message}")

_NO_CREDENTIALS = ("cognito_no_credentials", "No usable AWS credentials or region for {operation} ({name}).")
_UNREACHABLE = ("cognito_unreachable", "Cognito could not be reached for {operation} ({name}).")
#: botocore exceptions that carry no AWS error code (nothing reached AWS), by class name.
CLIENT_ERRORS: Mapping[str, tuple[str, str]] = {
    "NoCredentialsError": _NO_CREDENTIALS,
    "PartialCredentialsError": _NO_CREDENTIALS,
    "NoRegionError": _NO_CREDENTIALS,
    "EndpointConnectionError": _UNREACHABLE,
    "ConnectTimeoutError": _UNREACHABLE,
    "ReadTimeoutError": _UNREACHABLE,
    "ConnectionClosedError": _UNREACHABLE,
}
#: Any other exception.
OTHER_ERROR = ("cognito_error", "{operation} failed: {name}.")


def translate_error(exc: BaseException, operation: str, params: dict[str, Any]) -> SSOError:
    """An AWS error as a :class:`CognitoError` with a stable code and a message an operator can act on."""
    code = error_code(exc)
    name = type(exc).__name__
    if code:
        entry = AWS_ERRORS.get((code, operation)) or AWS_ERRORS.get(code) or OTHER_AWS_ERROR
    else:
        entry = CLIENT_ERRORS.get(name, OTHER_ERROR)
    aws_message = _aws_message(exc, params)
    our_code, template = entry
    return CognitoError(
        our_code,
        template.format(
            operation=operation,
            pool=params.get("UserPoolId", ""),
            code=code,
            name=name,
            aws_message=aws_message,
            or_not_found=aws_message or "not found",
            provider=params.get("ProviderName"),
        ),
    )


def _aws_message(exc: BaseException, params: dict[str, Any]) -> str:
    """AWS's own words about the error: one line, bounded, never an HTML page or a secret."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    aws_message = " ".join(str(response.get("Error", {}).get("Message", "")).split())[:300]
    if aws_message.startswith("<"):  # an HTML error page (a proxy, a test double): not worth printing
        aws_message = "an HTML error page instead of an AWS error"
    # AWS validation messages may echo the offending value: never let a secret through.
    secret = (params.get("ProviderDetails") or {}).get("client_secret")
    if secret:
        aws_message = aws_message.replace(str(secret), "(secret)")
    return aws_message

"""Provider metadata: from OpenID Connect Discovery 1.0 (or built by a connection kind, such as
Cognito's fixed layout in :mod:`tenant_sso.cognito.endpoints`), and the endpoint checks."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..exceptions import ConfigurationError, InvalidDocument, ProviderError
from .http import ProviderHTTP
from .netguard import NetworkPolicy

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class Cache(Protocol):
    """What the protocol layer needs of a cache (Django's cache API fits)."""

    def get(self, key: str, default: Any = None) -> Any: ...
    def set(self, key: str, value: Any, timeout: int | None = ...) -> None: ...
    def add(self, key: str, value: Any, timeout: int | None = ...) -> bool: ...
    def delete(self, key: str) -> Any: ...


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""
    revocation_endpoint: str = ""
    token_endpoint_auth_methods_supported: tuple[str, ...] = ("client_secret_basic",)
    code_challenge_methods_supported: tuple[str, ...] = ()
    id_token_signing_alg_values_supported: tuple[str, ...] = ("RS256",)
    authorization_response_iss_parameter_supported: bool = False
    scopes_supported: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, value: str) -> ProviderMetadata:
        data = json.loads(value)
        for name in (
            "token_endpoint_auth_methods_supported",
            "code_challenge_methods_supported",
            "id_token_signing_alg_values_supported",
            "scopes_supported",
        ):
            data[name] = tuple(data.get(name) or ())
        return cls(**data)


def is_secure_url(url: str) -> bool:
    """https, or http on a loopback host: the shape of *our own* URLs (redirect and sign-out URIs).

    A provider's URLs are held to :meth:`~.netguard.NetworkPolicy.check_url` instead."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.netloc or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def _str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def published_with_slash(published: Any, configured: str) -> bool:
    """True when the provider publishes exactly the configured issuer plus one trailing ``/``.

    The only difference the old ``rstrip("/")`` of stored issuers could make (see :func:`discover`).
    """
    return isinstance(published, str) and not configured.endswith("/") and published == configured + "/"


#: Endpoints a login or a logout uses; each must pass the network policy when present.
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
OPTIONAL_ENDPOINTS = ("userinfo_endpoint", "end_session_endpoint", "revocation_endpoint")


def check_endpoints(metadata: ProviderMetadata, policy: NetworkPolicy) -> None:
    """Hold every endpoint of ``metadata`` to ``policy`` (discovered, or built by a connection kind)."""
    for name in (*REQUIRED_ENDPOINTS, *OPTIONAL_ENDPOINTS):
        url = getattr(metadata, name)
        if url or name in REQUIRED_ENDPOINTS:
            policy.check_url(url)


def parse_discovery(
    document: dict[str, Any],
    expected_issuer: str,
    policy: NetworkPolicy | None = None,
    *,
    accept_added_slash: bool = False,
) -> ProviderMetadata:
    """Validate a discovery document (OIDC Discovery 4.3: ``issuer`` must equal the configured one).

    Every endpoint it names, the optional ones too, is held to ``policy`` (the issuer's rule):
    a document naming one plaintext or internal endpoint is refused as a whole.

    ``accept_added_slash``: also accept ``expected_issuer + "/"``; the metadata then carries the
    issuer as published, which the caller must store (see :func:`discover`).
    """
    policy = policy or NetworkPolicy()
    issuer = document.get("issuer")
    if issuer != expected_issuer and not (accept_added_slash and published_with_slash(issuer, expected_issuer)):
        raise ProviderError(
            "discovery_issuer_mismatch",
            detail=f"discovery issuer {str(issuer)[:200]!r} != configured {expected_issuer!r}",
        )
    endpoints: dict[str, Any] = {}
    for name in REQUIRED_ENDPOINTS:
        url = document.get(name)
        if not isinstance(url, str) or not url:
            raise InvalidDocument("discovery", "discovery document", detail=f"discovery {name} missing")
        policy.check_url(url)
        endpoints[name] = url
    for name in OPTIONAL_ENDPOINTS:
        url = document.get(name)
        if url is not None and url != "":
            policy.check_url(url)
        endpoints[name] = url if isinstance(url, str) else ""
    methods = _str_tuple(document.get("token_endpoint_auth_methods_supported"))
    return ProviderMetadata(
        issuer=str(issuer),  # the configured one, or it plus the one slash accepted above
        token_endpoint_auth_methods_supported=methods or ("client_secret_basic",),
        code_challenge_methods_supported=_str_tuple(document.get("code_challenge_methods_supported")),
        id_token_signing_alg_values_supported=_str_tuple(
            document.get("id_token_signing_alg_values_supported")
        )
        or ("RS256",),
        authorization_response_iss_parameter_supported=(
            document.get("authorization_response_iss_parameter_supported") is True
        ),
        scopes_supported=_str_tuple(document.get("scopes_supported")),
        **endpoints,
    )


def discover(
    http: ProviderHTTP,
    cache: Cache,
    issuer: str,
    *,
    ttl: int,
    refresh: bool = False,
    accept_added_slash: bool = False,
) -> ProviderMetadata:
    """Discovery document of ``issuer``, cached per issuer for ``ttl`` seconds.

    ``accept_added_slash`` is the migration path of issuers stored before trailing slashes were
    kept: such a row says ``https://op.example`` where the provider publishes
    ``https://op.example/``. The discovery URL is the same for both forms, so the document comes
    from the very host and path configured; when its issuer differs only by that one slash, the
    returned metadata carries the published form and the caller stores it. Any other difference
    stays ``discovery_issuer_mismatch``.

    The issuer and every endpoint are held to the HTTP seam's network policy.
    """
    try:
        http.policy.check_url(issuer)
    except ProviderError as error:
        code = "internal_address" if error.code == "internal_address" else "insecure_issuer"
        raise ConfigurationError(code, detail=error.detail) from error
    key = f"tenant_sso:discovery:{issuer}"
    if not refresh:
        cached = cache.get(key)
        if cached:
            metadata = ProviderMetadata.from_json(cached)
            check_endpoints(metadata, http.policy)  # cached under another policy (settings changed)
            return metadata
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    metadata = parse_discovery(
        http.get_json(url, what="discovery"), issuer, http.policy, accept_added_slash=accept_added_slash
    )
    cache.set(key, metadata.to_json(), ttl)
    return metadata

"""Provider metadata: from OpenID Connect Discovery 1.0, or built from Cognito's fixed layout.

For Cognito, the endpoints live on the domain (``https://{domain}/oauth2/...``) while the issuer
is the pool's ``cognito-idp`` URL; discovery is not relied on for logout or PKCE
(docs/cognito.md, "Endpoints").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..exceptions import ConfigurationError, ProviderError
from .http import ProviderHTTP

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
    """https, or http on a loopback host (local development and tests only)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.netloc or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def domain_base_url(domain: str) -> str:
    """Cognito domain as a base URL: a bare host means https (``auth.example.com``)."""
    domain = domain.strip().rstrip("/")
    if "://" not in domain:
        domain = f"https://{domain}"
    return domain


def cognito_metadata(issuer: str, domain: str) -> ProviderMetadata:
    """Metadata of a Cognito app client: endpoints on the domain, keys under the pool issuer."""
    base = domain_base_url(domain)
    issuer = issuer.rstrip("/")
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=f"{base}/oauth2/authorize",
        token_endpoint=f"{base}/oauth2/token",
        userinfo_endpoint=f"{base}/oauth2/userInfo",
        revocation_endpoint=f"{base}/oauth2/revoke",
        end_session_endpoint=f"{base}/logout",
        jwks_uri=f"{issuer}/.well-known/jwks.json",
        token_endpoint_auth_methods_supported=("client_secret_basic", "client_secret_post"),
        code_challenge_methods_supported=("S256",),
    )


def _str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def parse_discovery(document: dict[str, Any], expected_issuer: str) -> ProviderMetadata:
    """Validate a discovery document (OIDC Discovery 4.3: ``issuer`` must equal the configured one)."""
    issuer = document.get("issuer")
    if issuer != expected_issuer:
        raise ProviderError(
            "discovery_issuer_mismatch",
            detail=f"discovery issuer {issuer!r} != configured {expected_issuer!r}",
        )
    endpoints: dict[str, Any] = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        url = document.get(name)
        if not isinstance(url, str) or not is_secure_url(url):
            raise ProviderError("discovery_invalid", detail=f"discovery {name} missing or not https")
        endpoints[name] = url
    for name in ("userinfo_endpoint", "end_session_endpoint", "revocation_endpoint"):
        url = document.get(name)
        endpoints[name] = url if isinstance(url, str) and is_secure_url(url) else ""
    methods = _str_tuple(document.get("token_endpoint_auth_methods_supported"))
    return ProviderMetadata(
        issuer=issuer,
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
    http: ProviderHTTP, cache: Cache, issuer: str, *, ttl: int, refresh: bool = False
) -> ProviderMetadata:
    """Discovery document of ``issuer``, cached per issuer for ``ttl`` seconds."""
    if not is_secure_url(issuer):
        raise ConfigurationError("insecure_issuer", detail=f"issuer {issuer!r} is not https")
    key = f"tenant_sso:discovery:{issuer}"
    if not refresh:
        cached = cache.get(key)
        if cached:
            return ProviderMetadata.from_json(cached)
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    metadata = parse_discovery(http.get_json(url, what="discovery"), issuer)
    cache.set(key, metadata.to_json(), ttl)
    return metadata

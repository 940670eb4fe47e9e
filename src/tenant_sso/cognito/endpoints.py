"""Cognito's fixed endpoint layout and its non-standard logout (docs/cognito.md, "Endpoints").

An app client's endpoints live on the user pool domain (``https://{domain}/oauth2/...``) while
the issuer is the pool's ``cognito-idp`` URL; discovery is not relied on for logout or PKCE.
Pure functions of strings (no Django, no boto3, no I/O), used by the Cognito connection kind
(:mod:`tenant_sso.kinds.cognito`); the protocol layer :mod:`tenant_sso.oidc` knows nothing of them.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from ..oidc.metadata import ProviderMetadata


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


def cognito_logout_url(metadata: ProviderMetadata, *, client_id: str, logout_uri: str) -> str:
    """Cognito's non-standard logout: ``/logout?client_id&logout_uri`` (GET only)."""
    query = urlencode({"client_id": client_id, "logout_uri": logout_uri}, quote_via=quote)
    return f"{metadata.end_session_endpoint}?{query}"


def discovery_url(issuer: str) -> str:
    """The pool's discovery document: fetched only to prove the pool exists (diagnostics)."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"

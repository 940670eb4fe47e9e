"""Random values for one login attempt, and PKCE (RFC 7636)."""

from __future__ import annotations

import base64
import hashlib
import secrets


def random_token(nbytes: int = 32) -> str:
    """A URL-safe random string for ``state`` and ``nonce`` (256 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def make_verifier() -> str:
    """A PKCE code verifier: 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 4.1)."""
    return secrets.token_urlsafe(64)  # 86 characters


def s256_challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(verifier))`` without padding (RFC 7636 4.2, the only method Cognito takes)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

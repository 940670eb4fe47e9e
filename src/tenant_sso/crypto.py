"""Client secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with key rotation (MultiFernet).

Keys come from ``TENANT_SSO_ENCRYPTION_KEYS`` (newest first). To rotate: put a new key first,
keep the old ones after it, run ``manage.py sso_rotate_secrets`` (re-encrypts with the newest),
then drop the old keys. Without the setting, a key is derived from ``SECRET_KEY`` (check W002).

:func:`seal` and :func:`unseal` encrypt short-lived values the browser carries for us (a login
attempt's cookie: :mod:`tenant_sso.stash`) with Fernet keys of their own, derived (HKDF-SHA256,
the purpose as its info) from ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``, as Django signs its
own cookies. A value sealed for one purpose never opens for another, nor as a client secret.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from .conf import app_settings
from .exceptions import ConfigurationError

PREFIX = "fernet:"
UNAVAILABLE = "Single sign-on is temporarily unavailable. Please tell your administrator."


def _fernet() -> MultiFernet:
    keys = app_settings.ENCRYPTION_KEYS
    if not keys:
        derived = hashlib.sha256(b"tenant_sso.client_secret:" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ConfigurationError(
            "encryption_key_invalid", status=503, message=UNAVAILABLE, detail="a Fernet key is malformed"
        ) from exc


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return PREFIX + _fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise ConfigurationError(
            "client_secret_unreadable", status=503, message=UNAVAILABLE, detail="secret is not encrypted"
        )
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ConfigurationError(
            "client_secret_unreadable",
            status=503,
            message=UNAVAILABLE,
            detail="no configured key decrypts the client secret",
        ) from exc


def rotate(stored: str) -> str:
    """Re-encrypt with the newest key."""
    if not stored:
        return ""
    return PREFIX + _fernet().rotate(stored[len(PREFIX) :].encode()).decode()


def digest(secret: str) -> str:
    """How a random bearer secret is stored when only its holder may present it again (session
    keys in the session index, SCIM tokens, setup links): SHA-256, hex. The secrets are 190+
    random bits, so a plain hash can be neither reversed nor guessed; no salt or slow hash needed."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _purpose_fernet(purpose: str) -> MultiFernet:
    """Keys for :func:`seal`: from ``SECRET_KEY`` then each of ``SECRET_KEY_FALLBACKS``, derived
    for ``purpose`` (as Django signs its own cookies: rotating ``SECRET_KEY`` with the old one
    kept as a fallback keeps what was sealed readable)."""
    fallbacks = getattr(settings, "SECRET_KEY_FALLBACKS", None) or []
    roots = [str(key).encode() for key in [settings.SECRET_KEY, *fallbacks]]
    info = b"tenant_sso.seal:" + purpose.encode()
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(HKDF(SHA256(), 32, None, info).derive(root))) for root in roots]
    )


def seal(purpose: str, data: bytes) -> str:
    """``data`` encrypted and authenticated for ``purpose`` (URL-safe text)."""
    return _purpose_fernet(purpose).encrypt(data).decode("ascii")


def unseal(purpose: str, token: str) -> bytes | None:
    """What :func:`seal` sealed for ``purpose``; None for anything else (tampered, foreign,
    sealed with a key no longer configured, or not a token at all)."""
    try:
        return _purpose_fernet(purpose).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError, ValueError):
        return None

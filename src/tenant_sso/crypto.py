"""Client secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with key rotation (MultiFernet).

Keys come from ``TENANT_SSO_ENCRYPTION_KEYS`` (newest first). To rotate: put a new key first,
keep the old ones after it, run ``manage.py sso_rotate_secrets`` (re-encrypts with the newest),
then drop the old keys. Without the setting, a key is derived from ``SECRET_KEY`` (check W002).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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

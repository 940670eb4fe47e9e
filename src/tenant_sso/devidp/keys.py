"""RS256 signing keys, optionally persisted in a JSON key file.

The key file holds private JWKs, oldest first; the newest one signs. It is created with mode
0600 and rewritten atomically, so a restart (or a second :class:`KeyStore` on the same file)
keeps publishing the same ``kid`` values and tokens minted before the restart still verify.

File format::

    {"keys": [{"kty": "RSA", "kid": "...", "alg": "RS256", "use": "sig", "n": ..., "d": ...}]}
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from .exceptions import DevIdPKeyFileError

ALGORITHM = "RS256"
KEY_SIZE = 2048


def generate_key() -> RSAKey:
    """A new RSA 2048 signing key whose ``kid`` is its RFC 7638 thumbprint."""
    return RSAKey.generate_key(KEY_SIZE, parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)


class KeyStore:
    """The pool's signing keys: the newest signs, all are published in the JWKS.

    Thread-safe. With ``path=None`` keys live in memory only.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._keys: list[RSAKey] = []
        if self.path is not None and self.path.exists():
            self._keys = self._read(self.path)
        if not self._keys:
            self._keys = [generate_key()]
            self._save()

    # -- persistence -----------------------------------------------------------------------
    @staticmethod
    def _read(path: Path) -> list[RSAKey]:
        try:
            data = json.loads(path.read_text("utf-8"))
            raw_keys = data["keys"]
            if not isinstance(raw_keys, list):
                raise TypeError("'keys' is not a list")
            keys = [RSAKey.import_key(k) for k in raw_keys]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DevIdPKeyFileError(f"cannot load key file {path}: {exc}") from exc
        for key in keys:
            if not key.is_private or not key.kid:
                raise DevIdPKeyFileError(f"key file {path}: every key needs a kid and 'd'")
        return keys

    def _save(self) -> None:
        if self.path is None:
            return
        payload = {"keys": [k.as_dict(private=True) for k in self._keys]}
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            # mkstemp creates the file with mode 0600; os.replace makes the write atomic.
            fd, tmp = tempfile.mkstemp(prefix=".devidp-keys-", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(payload, fh, indent=2)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise DevIdPKeyFileError(f"cannot write key file {self.path}: {exc}") from exc

    # -- use --------------------------------------------------------------------------------
    @property
    def current(self) -> RSAKey:
        """The key that signs new tokens."""
        with self._lock:
            return self._keys[-1]

    @property
    def kids(self) -> list[str]:
        """All published key ids, oldest first."""
        with self._lock:
            return [str(k.kid) for k in self._keys]

    def rotate(self, retain: int | None = None) -> str:
        """Add a new signing key and return its kid.

        Older keys stay in the JWKS so tokens they signed still verify; with ``retain=N`` only
        the newest N keys (including the new one) are kept.
        """
        if retain is not None and retain < 1:
            raise ValueError("retain must be at least 1")
        new = generate_key()
        with self._lock:
            self._keys.append(new)
            if retain is not None:
                del self._keys[:-retain]
            self._save()
        return str(new.kid)

    def jwks(self) -> dict[str, Any]:
        """The public JWK set, as served at ``/{poolId}/.well-known/jwks.json``."""
        with self._lock:
            keys = list(self._keys)
        return {"keys": [_public_jwk(k) for k in reversed(keys)]}

    def sign(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        """Sign ``claims`` as a compact JWS with the current key.

        ``kid`` and ``alg`` default to the current key's; a caller may set another ``kid`` (to
        test unknown-kid handling) or another RSA ``alg`` (RS384/RS512).
        """
        key = self.current
        header = {"kid": key.kid, "alg": ALGORITHM, **header}
        # Cognito's token headers carry only kid and alg (no "typ").
        return jwt.encode(header, claims, key, algorithms=[str(header["alg"])], default_type=None)

    def verify(self, token: str) -> dict[str, Any]:
        """Verify a token signed by one of our keys (RS256 only) and return its claims.

        Raises a :class:`joserfc.errors.JoseError` (or ``ValueError``) when it does not verify.
        Only the signature is checked here: callers check ``exp``, ``iss`` and ``token_use``.
        """
        with self._lock:
            key_set = KeySet(list(self._keys))
        return dict(jwt.decode(token, key_set, algorithms=[ALGORITHM]).claims)


def _public_jwk(key: RSAKey) -> dict[str, Any]:
    data: dict[str, Any] = dict(key.as_dict(private=False))
    data.setdefault("alg", ALGORITHM)
    data.setdefault("use", "sig")
    return {k: data[k] for k in ("kty", "kid", "alg", "use", "n", "e")}

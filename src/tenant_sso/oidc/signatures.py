"""JWS signature verification of ID tokens with ``cryptography`` (RFC 7515 5.2, RFC 7518 3.3-3.5).

Why not ``joserfc.jws.deserialize_compact`` per token: ``benchmarks/run.py`` measured it re-parsing
the token and the key at every call, which made a validation cost 2.5x the RSA check itself
(docs/performance.md). joserfc still imports the JWKS (``oidc/keys.py``): that is the part with
the subtle rules. What stays here is small and strict: the algorithm comes from the caller's
allow-list, the key type must match the algorithm's family (so an RSA key can never check an HMAC
or an EC signature), RSA keys are at least 2048 bits (RFC 7518 3.3), EC keys are on the
algorithm's curve and EC signatures have the exact length (RFC 7518 3.4).
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
_CURVES = {"ES256": ("secp256r1", 32), "ES384": ("secp384r1", 48), "ES512": ("secp521r1", 66)}


def _rsa_scheme(alg: str) -> tuple[padding.AsymmetricPadding, hashes.HashAlgorithm]:
    digest = _HASHES[alg[2:]]()
    if alg.startswith("RS"):
        return padding.PKCS1v15(), digest
    return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size), digest


#: The padding and hash of each RSA algorithm, built once (immutable descriptions).
_RSA = {alg: _rsa_scheme(alg) for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")}

#: Every algorithm this module can verify; anything else is refused before a key is looked up.
SUPPORTED = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", *_CURVES})


def verify(alg: str, public_key: Any, signing_input: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``alg``'s signature of ``signing_input`` under ``public_key``."""
    if alg not in SUPPORTED:
        return False
    try:
        rsa_scheme = _RSA.get(alg)
        if rsa_scheme is not None:
            if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < 2048:
                return False
            public_key.verify(signature, signing_input, rsa_scheme[0], rsa_scheme[1])
            return True
        digest = _HASHES[alg[2:]]()
        curve, size = _CURVES[alg]
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != curve:
            return False
        if len(signature) != 2 * size:
            return False
        r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
        public_key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(digest))
        return True
    except (InvalidSignature, ValueError):
        return False

"""oidc/signatures.py against tokens signed by joserfc (an independent implementation)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey

from tenant_sso.oidc.signatures import verify


def parts(token: str) -> tuple[bytes, bytes]:
    signing_input, _, signature = token.rpartition(".")
    return signing_input.encode(), base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))


RSA = RSAKey.generate_key(2048)
EC = {"ES256": ECKey.generate_key("P-256"), "ES384": ECKey.generate_key("P-384"), "ES512": ECKey.generate_key("P-521")}


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"])
def test_rsa_family_verifies_and_refuses_tampering(alg: str) -> None:
    signing_input, signature = parts(jws.serialize_compact({"alg": alg}, b'{"sub":"a"}', RSA, algorithms=[alg]))
    assert verify(alg, RSA.public_key, signing_input, signature)
    assert not verify(alg, RSA.public_key, signing_input + b"x", signature)
    assert not verify(alg, RSA.public_key, signing_input, signature[:-1] + bytes([signature[-1] ^ 1]))


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512"])
def test_ec_family_verifies_on_its_curve_only(alg: str) -> None:
    key = EC[alg]
    signing_input, signature = parts(jws.serialize_compact({"alg": alg}, b'{"sub":"a"}', key, algorithms=[alg]))
    assert verify(alg, key.public_key, signing_input, signature)
    other = EC["ES384" if alg != "ES384" else "ES256"]
    assert not verify(alg, other.public_key, signing_input, signature)  # wrong curve
    assert not verify(alg, key.public_key, signing_input, signature[:-1])  # wrong length (RFC 7518 3.4)


def test_key_family_must_match_the_algorithm() -> None:
    signing_input, signature = parts(jws.serialize_compact({"alg": "RS256"}, b"{}", RSA, algorithms=["RS256"]))
    assert not verify("ES256", RSA.public_key, signing_input, signature)
    assert not verify("RS256", EC["ES256"].public_key, signing_input, signature)
    assert not verify("HS256", RSA.public_key, signing_input, signature)
    assert not verify("none", RSA.public_key, signing_input, b"")


@pytest.mark.filterwarnings("ignore:Key size should be:joserfc.errors.SecurityWarning")
def test_rsa_keys_under_2048_bits_are_refused() -> None:
    weak = RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    signing_input, signature = parts(jws.serialize_compact({"alg": "RS256"}, b"{}", weak, algorithms=["RS256"]))
    assert not verify("RS256", weak.public_key, signing_input, signature)


def test_a_private_key_object_is_not_a_public_key() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    assert not verify("ES256", private, b"x", b"\0" * 64)

"""ID token validation: each failed step refuses with its own reason code."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc.jwk import KeySet

from tenant_sso.exceptions import TokenError, UnknownKeyError
from tenant_sso.oidc.keys import select_key
from tenant_sso.oidc.tokens import Expectations, validate_id_token
from tests.keys import id_claims, jwks, rsa_key, sign

EXPECT = Expectations(
    issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool",
    client_id="client-1",
    nonce="n-0S6_WzA2Mj",
    token_use="id",
)


def resolver(*keys: Any) -> Any:
    text = json.dumps(jwks(*(keys or (rsa_key(),))), sort_keys=True)
    return lambda header: select_key(text, header.get("kid"))


def validate(token: str, expect: Expectations = EXPECT, **kw: Any) -> dict[str, Any]:
    return validate_id_token(token, kw.pop("resolve", resolver()), expect, **kw)


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_valid_token_returns_claims() -> None:
    claims = validate(sign(id_claims()))
    assert claims["sub"] == "5f1e3a2b-0000-4000-8000-000000000001"
    assert claims["custom:groups"] == "[engineering, sso-admins]"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"}, "issuer_mismatch"),
        ({"aud": "client-2"}, "audience_mismatch"),
        ({"aud": ["client-1", "client-2"]}, "azp_mismatch"),
        ({"aud": ["client-1", "client-2"], "azp": "client-2"}, "azp_mismatch"),
        ({"azp": "client-2"}, "azp_mismatch"),
        ({"exp": int(time.time()) - 3600}, "token_expired"),
        ({"exp": None}, "exp_missing"),
        ({"iat": None}, "iat_missing"),
        ({"iat": int(time.time()) + 3600}, "iat_in_future"),
        ({"iat": int(time.time()) - 7200}, "token_too_old"),
        ({"sub": None}, "sub_missing"),
        ({"sub": ""}, "sub_missing"),
        ({"nonce": None}, "nonce_missing"),
        ({"nonce": "another"}, "nonce_mismatch"),
        ({"token_use": "access"}, "token_use_mismatch"),
        ({"exp": "tomorrow"}, "malformed_token"),
        ({"exp": True}, "malformed_token"),
    ],
)
def test_each_claim_check_refuses_with_its_code(overrides: dict[str, Any], code: str) -> None:
    with pytest.raises(TokenError) as info:
        validate(sign(id_claims(**overrides)))
    assert info.value.code == code


def test_several_audiences_with_right_azp_pass() -> None:
    claims = validate(sign(id_claims(aud=["client-1", "other"], azp="client-1")))
    assert claims["azp"] == "client-1"


def test_clock_skew_within_leeway_passes() -> None:
    validate(sign(id_claims(exp=int(time.time()) - 30)))


def test_alg_none_refused() -> None:
    token = b64({"alg": "none"}) + "." + b64(id_claims()) + "."
    with pytest.raises(TokenError) as info:
        validate(token)
    assert info.value.code == "alg_none"


def test_hs256_with_public_key_as_secret_refused() -> None:
    """Algorithm confusion: HS256 is not in the allow-list, and an RSA key never verifies HMAC."""
    import hashlib
    import hmac

    public_pem = rsa_key().as_pem(private=False)
    signing_input = b64({"alg": "HS256", "kid": "test-key-1"}) + "." + b64(id_claims())
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(TokenError) as info:
        validate(token)
    assert info.value.code == "alg_not_allowed"
    permissive = Expectations(**{**EXPECT.__dict__, "algorithms": ("RS256", "HS256")})
    with pytest.raises(TokenError) as info:
        validate(token, permissive)
    assert info.value.code == "bad_signature"


def test_bad_signature_refused() -> None:
    head, _body, sig = sign(id_claims()).split(".")
    tampered = b64({**id_claims(), "custom:groups": "[admins]"})
    with pytest.raises(TokenError) as info:
        validate(f"{head}.{tampered}.{sig}")
    assert info.value.code == "bad_signature"


def test_token_signed_by_unknown_key_with_known_kid_refused() -> None:
    other = rsa_key("other-key")
    token = sign(id_claims(), other, header={"kid": "test-key-1"})
    with pytest.raises(TokenError) as info:
        validate(token)
    assert info.value.code == "bad_signature"


def test_unknown_kid_raises_unknown_key() -> None:
    with pytest.raises(UnknownKeyError) as info:
        validate(sign(id_claims(), rsa_key("rotated-key")))
    assert info.value.code == "unknown_kid"


def test_missing_kid_accepted_with_one_key_refused_with_several() -> None:
    from joserfc import jws as _jws

    token = _jws.serialize_compact({"alg": "RS256"}, json.dumps(id_claims()).encode(), rsa_key(), algorithms=["RS256"])
    assert validate(token)["sub"]
    with pytest.raises(TokenError) as info:
        validate(token, resolve=resolver(rsa_key(), rsa_key("second")))
    assert info.value.code == "kid_missing"


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "id_token_missing"),
        ("", "id_token_missing"),
        ("abc", "malformed_token"),
        ("a.b", "malformed_token"),
        ("a.b.c.d.e", "token_encrypted"),
        ("!!.??.**", "malformed_token"),
        ("e30.e30.", "malformed_token"),
        ("x" * 20000, "token_too_large"),
    ],
)
def test_malformed_tokens_refused(token: Any, code: str) -> None:
    with pytest.raises(TokenError) as info:
        validate(token)
    assert info.value.code == code


def test_truncated_token_refused() -> None:
    token = sign(id_claims())
    with pytest.raises(TokenError):
        validate(token[: len(token) - 10])


def test_jwks_import_skips_symmetric_keys() -> None:
    text = json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "test-key-1"}]})
    with pytest.raises(UnknownKeyError):
        select_key(text, "test-key-1")
    assert KeySet.import_key_set(jwks(rsa_key())).keys


def _stdlib_b64url(segment: str) -> bytes:
    """The strict base64url decoding tokens.py used before pybase64 (the standard library's)."""
    import binascii

    data = segment.encode("ascii").translate(bytes.maketrans(b"-_+/=", b"+/!!!")) + b"=" * (-len(segment) % 4)
    return binascii.a2b_base64(data, strict_mode=True)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= \n\t.!", max_size=24))
def test_base64url_decoding_accepts_and_refuses_what_the_stdlib_decoder_did(segment: str) -> None:
    """pybase64 replaced the standard library's decoder for speed (docs/performance.md): on any
    input, it decodes to the same bytes or refuses, exactly as before."""
    from tenant_sso.oidc.tokens import _b64

    try:
        expected: bytes | None = _stdlib_b64url(segment)
    except ValueError:
        expected = None
    try:
        got: bytes | None = _b64(segment)
    except ValueError:
        got = None
    assert got == expected


@pytest.mark.parametrize(
    "spoil",
    [
        lambda part: part + "=" * (-len(part) % 4 or 4),  # padded
        lambda part: part[:10] + " " + part[10:],  # whitespace
        lambda part: part[:10] + "\n" + part[10:],
        lambda part: part.replace("-", "+").replace("_", "/") if ("-" in part or "_" in part) else part + "+",
        lambda part: part + ".",  # a fourth part
    ],
)
def test_parts_that_are_not_strict_base64url_are_refused(spoil: Any) -> None:
    token = sign(id_claims(name=">>>???>>>???"))  # bytes that encode to - and _
    header, payload, signature = token.split(".")
    for spoiled in (f"{header}.{spoil(payload)}.{signature}", f"{header}.{payload}.{spoil(signature)}"):
        with pytest.raises(TokenError) as info:
            validate(spoiled)
        assert info.value.code == "malformed_token", spoiled

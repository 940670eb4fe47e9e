"""Forged and broken ID tokens, through the real callback: every one refused with its own code.

The local IdP runs the whole flow; ``pool.id_token_hook`` replaces what its token endpoint
returns as ``id_token`` (OpenID Connect RP certification: rp-id_token-* tests; RFC 8725).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from joserfc import jws

from tests.support.driver import login
from tests.support.pages import ME, assert_refused

JWKS_PATH = "/.well-known/jwks.json"


def b64(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge(pool: Any, make: Any) -> None:
    """Every ID token the IdP issues from now on is ``make(header, claims, sign)``."""
    pool.id_token_hook = make


def raw_sign(pool: Any, header: dict[str, Any], claims: Any) -> str:
    """RS256 with the IdP's real key, whatever the header says (no JOSE library to object)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    payload = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    signing_input = f"{b64(header)}.{b64(payload)}"
    signature = pool.keys.current.private_key.sign(
        signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{signing_input}.{b64(signature)}"


def now() -> int:
    return int(time.time())


# -- claims the IdP signs with its real key --------------------------------------------------
CLAIM_ATTACKS = [
    pytest.param(
        lambda c: {**c, "iss": "https://cognito-pool.us-east-1.amazonaws.com/us-east-1_Evil"},
        "issuer_mismatch",
        id="wrong-iss",
    ),
    pytest.param(lambda c: {**c, "aud": "globex-client"}, "audience_mismatch", id="wrong-aud"),
    pytest.param(
        lambda c: {**c, "aud": [c["aud"], "globex-client"]}, "azp_mismatch", id="several-aud-no-azp"
    ),
    pytest.param(lambda c: {**c, "aud": [c["aud"], "x"], "azp": "x"}, "azp_mismatch", id="azp-other-client"),
    pytest.param(lambda c: {**c, "exp": now() - 3600, "iat": now() - 3700}, "token_expired", id="expired"),
    pytest.param(lambda c: {k: v for k, v in c.items() if k != "iat"}, "iat_missing", id="iat-missing"),
    pytest.param(lambda c: {**c, "iat": now() + 86400}, "iat_in_future", id="iat-far-future"),
    pytest.param(lambda c: {**c, "iat": now() - 86400}, "token_too_old", id="iat-long-ago"),
    pytest.param(lambda c: {k: v for k, v in c.items() if k != "exp"}, "exp_missing", id="exp-missing"),
    pytest.param(lambda c: {**c, "nbf": now() + 86400}, "token_not_yet_valid", id="nbf-future"),
    pytest.param(lambda c: {k: v for k, v in c.items() if k != "sub"}, "sub_missing", id="sub-missing"),
    pytest.param(lambda c: {**c, "sub": ""}, "sub_missing", id="sub-empty"),
    pytest.param(lambda c: {k: v for k, v in c.items() if k != "nonce"}, "nonce_missing", id="nonce-missing"),
    pytest.param(lambda c: {**c, "nonce": "another-login"}, "nonce_mismatch", id="nonce-different"),
    pytest.param(lambda c: {**c, "token_use": "access"}, "token_use_mismatch", id="token-use-access"),
    pytest.param(lambda c: {**c, "exp": "tomorrow"}, "malformed_token", id="exp-not-a-number"),
]


@pytest.mark.parametrize(("mutate", "code"), CLAIM_ATTACKS)
def test_validly_signed_token_with_bad_claims_is_refused(
    client: Any, tenants: Any, pool: Any, mutate: Any, code: str
) -> None:
    forge(pool, lambda header, claims, sign: sign(header, mutate(claims)))
    assert_refused(client, login(client, pool), 401, code)


def test_cognito_access_token_presented_as_id_token_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    """A real access token of the same pool and client (signed, right iss, no aud, token_use access)."""
    access = pool.issue_tokens_for("acme-client", "alice@acme.test")["access_token"]
    forge(pool, lambda header, claims, sign: access)
    assert_refused(client, login(client, pool), 401, "token_use_mismatch")


# -- signatures and algorithms ---------------------------------------------------------------
def test_alg_none_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    forge(pool, lambda header, claims, sign: f"{b64({'alg': 'none', 'kid': header['kid']})}.{b64(claims)}.")
    assert_refused(client, login(client, pool), 401, "alg_none")


def test_alg_none_with_a_signature_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    def make(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
        signature = sign(header, claims).rsplit(".", 1)[1]
        return f"{b64({'alg': 'None', 'kid': header['kid']})}.{b64(claims)}.{signature}"

    forge(pool, make)
    assert_refused(client, login(client, pool), 401, "alg_none")


def test_tampered_payload_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    def make(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
        head, _, signature = sign(header, claims).split(".")
        return f"{head}.{b64({**claims, 'custom:groups': '[sso-admins]', 'sub': 'someone-else'})}.{signature}"

    forge(pool, make)
    assert_refused(client, login(client, pool), 401, "bad_signature")


def test_token_signed_by_another_key_under_the_real_kid_is_refused(
    client: Any, tenants: Any, pool: Any
) -> None:
    from tests.keys import rsa_key

    forge(
        pool,
        lambda header, claims, sign: jws.serialize_compact(
            header, json.dumps(claims).encode(), rsa_key("attacker"), algorithms=["RS256"]
        ),
    )
    assert_refused(client, login(client, pool), 401, "bad_signature")


def test_hs256_signed_with_the_public_key_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    """Algorithm confusion (RFC 8725 2.1): the IdP's public key, which anyone can fetch, as HMAC secret."""
    public_pem = pool.keys.current.as_pem(private=False)

    def make(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
        signing_input = f"{b64({'alg': 'HS256', 'kid': header['kid']})}.{b64(claims)}"
        mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64(mac)}"

    forge(pool, make)
    assert_refused(client, login(client, pool), 401, "alg_not_allowed")


@pytest.mark.parametrize("alg", ["RS384", "RS512"])
def test_rsa_algorithm_outside_the_allow_list_is_refused(
    client: Any, tenants: Any, pool: Any, alg: str
) -> None:
    """Signed by the IdP's real key, but with an algorithm the deployment does not allow."""
    from joserfc.jwk import RSAKey

    data = {k: v for k, v in pool.keys.current.as_dict(private=True).items() if k != "alg"}
    key = RSAKey.import_key(data)
    forge(
        pool,
        lambda header, claims, sign: jws.serialize_compact(
            {**header, "alg": alg}, json.dumps(claims).encode(), key, algorithms=[alg]
        ),
    )
    assert_refused(client, login(client, pool), 401, "alg_not_allowed")


# -- keys -------------------------------------------------------------------------------------
def test_unknown_kid_is_refused_after_one_refetch_and_refetches_are_rate_limited(
    client: Any, tenants: Any, pool: Any, idp_requests: Any
) -> None:
    forge(pool, lambda header, claims, sign: sign({**header, "kid": "not-a-published-kid"}, claims))
    assert_refused(client, login(client, pool), 401, "unknown_kid")
    # The fetch that filled the cache is already the newest document: no refetch right after it.
    assert idp_requests.count(JWKS_PATH) == 1

    forge(pool, lambda header, claims, sign: sign({**header, "kid": "another-unknown-kid"}, claims))
    assert_refused(client, login(client, pool), 401, "unknown_kid")
    assert idp_requests.count(JWKS_PATH) == 2  # from the cache: one refetch for the unknown kid

    forge(pool, lambda header, claims, sign: sign({**header, "kid": "a-third-unknown-kid"}, claims))
    assert_refused(client, login(client, pool), 401, "unknown_kid")
    assert idp_requests.count(JWKS_PATH) == 2  # within the interval: no request to the IdP at all

    forge(pool, None)
    assert login(client, pool).status_code == 302  # the known key still works meanwhile
    assert idp_requests.count(JWKS_PATH) == 2


def _without_kid(pool: Any) -> Any:
    def make(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
        return raw_sign(pool, {"alg": "RS256"}, claims)

    return make


def test_token_without_kid_is_accepted_when_the_jwks_holds_exactly_one_key(
    client: Any, tenants: Any, pool: Any
) -> None:
    assert len(pool.jwks()["keys"]) == 1
    forge(pool, _without_kid(pool))
    assert login(client, pool).status_code == 302
    assert client.get(ME).status_code == 200


def test_token_without_kid_is_refused_when_the_jwks_holds_several_keys(
    client: Any, tenants: Any, pool: Any
) -> None:
    pool.rotate_keys()
    forge(pool, _without_kid(pool))
    assert_refused(client, login(client, pool), 401, "kid_missing")


def test_kid_that_is_not_a_string_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    forge(pool, lambda header, claims, sign: raw_sign(pool, {**header, "kid": 12345}, claims))
    assert_refused(client, login(client, pool), 401, "malformed_token")


# -- shapes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "code"),
    [
        pytest.param(lambda h, c, s: "", "id_token_missing", id="empty"),
        pytest.param(lambda h, c, s: "not-a-jwt", "malformed_token", id="garbage"),
        pytest.param(lambda h, c, s: s(h, c).rsplit(".", 1)[0], "malformed_token", id="two-segments"),
        pytest.param(lambda h, c, s: s(h, c)[:-20], "bad_signature", id="truncated-signature"),
        pytest.param(
            lambda h, c, s: s(h, c)[: len(s(h, c)) // 2], "malformed_token", id="truncated-in-payload"
        ),
        pytest.param(lambda h, c, s: s(h, c) + ".x.y", "token_encrypted", id="five-segments"),
        pytest.param(lambda h, c, s: "%.%.%", "malformed_token", id="not-base64url"),
        pytest.param(
            lambda h, c, s: f"{b64(b'[1]')}.{b64(c)}.sig", "malformed_token", id="header-not-object"
        ),
        pytest.param(
            lambda h, c, s: f"{b64({'kid': h['kid']})}.{b64(c)}.sig", "malformed_token", id="no-alg"
        ),
        pytest.param(lambda h, c, s: s(h, {**c, "pad": "x" * 20000}), "token_too_large", id="huge-token"),
    ],
)
def test_malformed_truncated_and_huge_tokens_are_refused(
    client: Any, tenants: Any, pool: Any, make: Any, code: str
) -> None:
    forge(pool, make)
    assert_refused(client, login(client, pool), 401, code)


def test_critical_header_parameter_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    """RFC 7515 4.1.11: a crit extension we do not understand makes the token invalid."""
    forge(pool, lambda header, claims, sign: raw_sign(pool, {**header, "crit": ["exp"], "exp": 1}, claims))
    assert_refused(client, login(client, pool), 401, "malformed_token")


def test_signed_payload_that_is_not_a_json_object_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    def make(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
        return raw_sign(pool, header, b'["not", "claims"]')

    forge(pool, make)
    assert_refused(client, login(client, pool), 401, "malformed_token")


def test_token_endpoint_answer_without_id_token_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    forge(pool, lambda h, c, s: None)  # the IdP's JSON then carries "id_token": null
    assert_refused(client, login(client, pool), 401, "id_token_missing")


def test_valid_token_after_all_passes(client: Any, tenants: Any, pool: Any) -> None:
    """The control: the same flow with an honest IdP logs the user in."""
    forge(pool, lambda header, claims, sign: sign(header, claims))
    response = login(client, pool)
    assert response.status_code == 302
    assert client.get(ME).json()["organization"] == "acme"


def test_userinfo_subject_other_than_the_id_tokens_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    """OIDC Core 5.3.2 (RP certification rp-userinfo-bad-sub-claim)."""
    from tenant_sso.models import Connection

    Connection.objects.filter(pk=tenants["acme"].pk).update(use_userinfo=True)
    assert login(client, pool).status_code == 302  # the control: same sub on both sides
    client.logout()
    forge(pool, lambda header, claims, sign: sign(header, {**claims, "sub": "someone-else"}))
    assert_refused(client, login(client, pool), 401, "userinfo_sub_mismatch")


@pytest.mark.parametrize(
    "replace",
    [
        pytest.param(('"exp": ', '"exp": NaN, "x": '), id="exp-NaN"),
        pytest.param(('"exp": ', '"exp": Infinity, "x": '), id="exp-Infinity"),
        pytest.param(('"iat": ', '"iat": NaN, "x": '), id="iat-NaN"),
        pytest.param(('"exp": ', '"exp": 1e400, "x": '), id="exp-overflow"),
        pytest.param(('"exp": ', '"exp": 1' + "0" * 400 + ', "x": '), id="exp-huge-integer"),
    ],
)
def test_time_claims_that_are_not_finite_numbers_are_refused(
    client: Any, tenants: Any, pool: Any, replace: tuple[str, str]
) -> None:
    """RFC 7519 2: a NumericDate is a JSON number; NaN and Infinity are not JSON and never expire."""

    def make(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
        payload = json.dumps(claims).replace(*replace, 1)
        return raw_sign(pool, header, payload.encode())

    forge(pool, make)
    assert_refused(client, login(client, pool), 401, "malformed_token")

"""Logout token validation (OIDC Back-Channel Logout 1.0, 2.6), plain dicts and real RS256 keys."""

from __future__ import annotations

from typing import Any

import pytest

from tenant_sso.exceptions import TokenError
from tenant_sso.oidc.logout_token import BACKCHANNEL_LOGOUT_EVENT, LogoutExpectations, validate_logout_token
from tests.keys import rsa_key, sign

ISS = "https://idp.example"
NOW = 1_800_000_000.0
EXPECT = LogoutExpectations(issuer=ISS, client_id="client-1", max_age=600, leeway=60)


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISS, "aud": "client-1", "iat": int(NOW) - 5, "exp": int(NOW) + 120, "jti": "j-1",
        "sub": "user-1", "sid": "s-1", "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def check(token: str) -> Any:
    key = rsa_key()
    return validate_logout_token(token, lambda header: key, EXPECT, now=NOW)


def test_a_valid_token_names_the_sessions_and_how_long_to_remember_its_jti() -> None:
    request = check(sign(claims(), header={"typ": "logout+jwt"}))
    assert (request.sub, request.sid, request.jti) == ("user-1", "s-1", "j-1")
    assert request.remember_until >= NOW + 120  # at least while exp allows it


@pytest.mark.parametrize("changes", [{"sub": None}, {"sid": None}, {"exp": None}])
def test_sub_or_sid_alone_and_no_exp_are_fine(changes: dict[str, Any]) -> None:
    assert check(sign(claims(**changes))).jti == "j-1"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"iss": "https://other.example"}, "issuer_mismatch"),
        ({"aud": "client-2"}, "audience_mismatch"),
        ({"iat": None}, "iat_missing"),
        ({"iat": int(NOW) + 3600}, "iat_in_future"),
        ({"iat": int(NOW) - 3600, "exp": None}, "token_too_old"),
        ({"exp": int(NOW) - 3600}, "token_expired"),
        ({"events": None}, "logout_token_invalid"),
        ({"events": {"http://schemas.openid.net/event/other": {}}}, "logout_token_invalid"),
        ({"events": {BACKCHANNEL_LOGOUT_EVENT: "yes"}}, "logout_token_invalid"),  # the value must be an object
        ({"nonce": "n"}, "logout_token_invalid"),  # an ID token is not a logout token
        ({"sub": None, "sid": None}, "logout_token_invalid"),
        ({"jti": None}, "logout_token_invalid"),
        ({"sub": 42}, "logout_token_invalid"),
    ],
)
def test_each_rule_refuses(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(TokenError) as refused:
        check(sign(claims(**changes)))
    assert refused.value.code == code


def test_signature_algorithm_and_typ() -> None:
    token = sign(claims())
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(TokenError) as bad:
        check(tampered)
    assert bad.value.code in ("bad_signature", "malformed_token")
    with pytest.raises(TokenError) as other_key:
        other = rsa_key("attacker")
        validate_logout_token(sign(claims(), key=other), lambda header: rsa_key(), EXPECT, now=NOW)
    assert other_key.value.code == "bad_signature"
    with pytest.raises(TokenError) as typed:
        check(sign(claims(), header={"typ": "at+jwt"}))
    assert typed.value.code == "logout_token_invalid"
    with pytest.raises(TokenError) as missing:
        check("")
    assert missing.value.code == "logout_token_missing"

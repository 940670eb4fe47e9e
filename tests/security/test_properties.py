"""Property-based attacks (hypothesis, bounded): random and mutated tokens, random claims, random
callback and login query strings. Whatever comes in: never a 500, always a documented reason code,
and whatever is accepted really satisfies OIDC Core 3.1.3.7.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenant_sso.exceptions import SSOError, TokenError
from tenant_sso.oidc.http import ProviderHTTP
from tenant_sso.oidc.keys import JWKSResolver
from tenant_sso.oidc.tokens import Expectations, validate_id_token
from tests.keys import id_claims, jwks, rsa_key, sign
from tests.support import urls
from tests.support.driver import path_of, start, state_of
from tests.support.pages import ME, documented_codes, reason

KNOWN = documented_codes()
BOUNDED = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
E2E = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_the_reason_code_table_is_not_empty() -> None:
    assert {"alg_none", "state_unknown", "token_timeout", "not_in_allowed_group"} <= KNOWN


# -- the validator alone ---------------------------------------------------------------------------
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"
EXPECT = Expectations(issuer=ISSUER, client_id="client-1", nonce="n-0S6_WzA2Mj", token_use="id")
JWKS_URI = "https://idp.test/jwks.json"


class DictCache:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        self.data[key] = value

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        return self.data.setdefault(key, value) is value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


def resolver() -> Any:
    """The real JWKS resolver, its HTTP answered by an injected transport."""
    body = json.dumps(jwks(rsa_key())).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    keys = JWKSResolver(
        ProviderHTTP(httpx.Client(transport=transport)), DictCache(), ttl=60, refetch_interval=60
    )
    return lambda header: keys.resolve(JWKS_URI, header)


def outcome(token: Any) -> str:
    """'ok' or the reason code; anything but an SSOError fails the test."""
    try:
        claims = validate_id_token(token, resolver(), EXPECT)
    except TokenError as error:
        assert error.code in KNOWN, error.code
        return error.code
    except SSOError as error:  # pragma: no cover - a non-token error here is a finding
        pytest.fail(f"validate_id_token raised {type(error).__name__} {error.code}")
    assert claims["iss"] == ISSUER and claims["nonce"] == EXPECT.nonce
    return "ok"


VALID = sign(id_claims(iss=ISSUER))

mutations = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(VALID) - 1), st.characters(codec="ascii")),
    st.tuples(st.just("cut"), st.integers(0, len(VALID) - 1), st.just("")),
    st.tuples(st.just("insert"), st.integers(0, len(VALID)), st.text(max_size=20)),
    st.tuples(st.just("swap"), st.permutations([0, 1, 2]), st.just("")),
)


def mutate(token: str, mutation: tuple[str, Any, str]) -> str:
    kind, where, text = mutation
    if kind == "flip":
        return token[:where] + text + token[where + 1 :]
    if kind == "cut":
        return token[:where]
    if kind == "insert":
        return token[:where] + text + token[where:]
    parts = token.split(".")
    return ".".join(parts[i] for i in where)


@BOUNDED
@given(mutation=mutations)
def test_mutated_tokens_are_refused_with_a_documented_code(mutation: tuple[str, Any, str]) -> None:
    token = mutate(VALID, mutation)
    result = outcome(token)
    if token != VALID:
        assert result != "ok" or _same_jws(token, VALID)


def _same_jws(a: str, b: str) -> bool:
    """A mutation inside base64url padding bits can leave the decoded token identical."""
    import base64

    def raw(token: str) -> list[bytes]:
        return [base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)) for p in token.split(".")]

    try:
        return raw(a) == raw(b)
    except ValueError:
        return False


@BOUNDED
@given(
    token=st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300),
        st.none(),
        st.integers(),
        st.lists(st.text(alphabet="abcAB09-_=+/.", max_size=60), min_size=1, max_size=6).map(".".join),
    )
)
def test_random_input_is_refused_with_a_documented_code(token: Any) -> None:
    assert outcome(token) != "ok"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats()  # NaN and Infinity too: Python's json reads them
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
CLAIM_NAMES = ["iss", "aud", "azp", "sub", "exp", "iat", "nbf", "nonce", "token_use", "auth_time", "email"]


ODD_NUMBERS = [math.nan, math.inf, -math.inf, 10**400, 2**63, -1e308, 1e308, 0, -1]
time_values = st.one_of(
    st.integers(-(10**6), 10**6).map(lambda delta: ("shift", delta)),
    st.sampled_from(ODD_NUMBERS).map(lambda value: ("value", value)),
    json_values.map(lambda value: ("value", value)),
)


@BOUNDED
@given(
    drop=st.sets(st.sampled_from(CLAIM_NAMES), max_size=1),
    replace=st.dictionaries(st.sampled_from(CLAIM_NAMES), json_values, max_size=2),
    times=st.dictionaries(st.sampled_from(["exp", "iat", "nbf"]), time_values, max_size=2),
    extra=st.dictionaries(st.text(max_size=12), json_values, max_size=3),
)
def test_random_claims_never_pass_unless_every_check_holds(
    drop: set[str], replace: dict[str, Any], times: dict[str, tuple[str, Any]], extra: dict[str, Any]
) -> None:
    now = int(time.time())
    claims: dict[str, Any] = {**extra, **id_claims(iss=ISSUER, aud="client-1")}
    claims.update(replace)
    claims.update({name: now + v if kind == "shift" else v for name, (kind, v) in times.items()})
    for name in drop:
        claims.pop(name, None)
    if outcome(sign(claims)) == "ok":
        # Whatever passes satisfies the spec's checks (OIDC Core 3.1.3.7, Cognito token_use).
        assert claims["iss"] == ISSUER and claims["token_use"] == "id"
        assert isinstance(claims["sub"], str) and claims["sub"]
        audiences = [claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"]
        assert "client-1" in audiences
        assert len(audiences) == 1 or claims.get("azp") == "client-1"
        assert claims.get("azp") in (None, "client-1")  # null counts as absent
        assert all(
            math.isfinite(claims[name]) for name in ("exp", "iat", "nbf") if claims.get(name) is not None
        )
        assert claims["exp"] + EXPECT.leeway >= now - 5 and claims["iat"] <= now + EXPECT.leeway + 5
        assert (claims.get("nbf") or now) <= now + EXPECT.leeway + 5
        assert claims["nonce"] == EXPECT.nonce


# -- through the callback view ---------------------------------------------------------------------
def assert_clean(response: Any, client: Any) -> None:
    """Never a 500 (the test client raises on one); a refusal has a documented code and no session."""
    if response.status_code == 302:
        return
    assert response.status_code in (400, 401, 403, 404, 502), response.status_code
    assert reason(response) in KNOWN, reason(response)
    assert client.get(ME).status_code == 401


@E2E
@given(mutation=mutations)
def test_mutated_id_tokens_through_the_callback_are_refused_cleanly(
    tenants: Any, pool: Any, mutation: tuple[str, Any, str]
) -> None:
    def hook(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
        token = sign(header, claims)
        kind, where, text = mutation
        return mutate(token, (kind, where if kind == "swap" else min(where, len(token) - 1), text))

    pool.id_token_hook = hook
    client = Client()
    response = client.get(path_of(pool.complete_login(start(client), "alice@acme.test")))
    assert_clean(response, client)


@E2E
@given(
    replace=st.dictionaries(
        st.sampled_from([*CLAIM_NAMES, "identities", "custom:groups"]), json_values, min_size=1, max_size=3
    )
)
def test_random_claims_through_the_callback_are_refused_cleanly(
    tenants: Any, pool: Any, replace: dict[str, Any]
) -> None:
    pool.id_token_hook = lambda header, claims, sign: sign(header, {**claims, **replace})
    client = Client()
    response = client.get(path_of(pool.complete_login(start(client), "alice@acme.test")))
    assert_clean(response, client)


PARAMS = ["state", "code", "error", "error_description", "iss", "org", "email", "next", "session_state"]
query_pairs = st.lists(
    st.tuples(st.sampled_from(PARAMS) | st.text(max_size=10), st.text(max_size=200)), max_size=6
)
raw_queries = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)


@E2E
@given(pairs=query_pairs, raw=raw_queries, use_raw=st.booleans(), real_state=st.booleans())
def test_random_callback_queries_never_fail_badly(
    tenants: Any, pool: Any, pairs: list[tuple[str, str]], raw: str, use_raw: bool, real_state: bool
) -> None:
    client = Client()
    query = raw.replace("#", "%23") if use_raw else urlencode(pairs)
    if real_state:
        query = f"state={state_of(start(client))}&{query}"
    assert_clean(client.generic("GET", f"{urls.callback()}?{query}"), client)


@E2E
@given(pairs=query_pairs, raw=raw_queries, use_raw=st.booleans(), org=st.sampled_from(["", "acme", "globex"]))
def test_random_login_queries_never_fail_badly(
    tenants: Any, pairs: list[tuple[str, str]], raw: str, use_raw: bool, org: str
) -> None:
    client = Client()
    query = raw.replace("#", "%23") if use_raw else urlencode(pairs)
    if org:
        query = f"org={org}&{query}"
    response = client.generic("GET", f"{urls.login()}?{query}")
    if response.status_code == 200:  # a GET only shows the confirmation page, writes nothing
        assert b'id="sso-confirm-organization"' in response.content
        assert django_settings.SESSION_COOKIE_NAME not in response.cookies
        return
    assert_clean(response, client)

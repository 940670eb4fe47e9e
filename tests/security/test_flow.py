"""Attacks on the flow itself: state, replay, code reuse, PKCE, RFC 9207 iss, IdP errors, a token
endpoint or JWKS that is down, slow or answers garbage, open redirects, oversized requests.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client, override_settings

from tenant_sso.models import Connection, LoginEvent
from tests.support import attempts, urls
from tests.support.driver import idp_answer, login, path_of, start, state_of
from tests.support.pages import ME, assert_refused, reason
from tests.support.stubs import closed_port_url, reply

CALLBACK_PATH = path_of(urls.callback_url())


def callback(client: Any, **params: str) -> Any:
    return client.get(f"{CALLBACK_PATH}?{urlencode(params)}")


# -- state ------------------------------------------------------------------------------------
def test_callback_without_state_is_refused(client: Any, tenants: Any) -> None:
    assert_refused(client, callback(client, code="abc"), 400, "state_missing")


def test_callback_with_unknown_state_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    start(client)
    assert_refused(client, callback(client, code="abc", state="forged-state"), 400, "state_unknown")


def test_callback_from_another_browser_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    """Login CSRF: an attacker's callback URL (their code, their state) opened in the victim's browser."""
    attacker = Client()
    answer = idp_answer(pool, start(attacker), "alice@acme.test")
    assert_refused(client, client.get(answer), 400, "state_unknown")


def test_expired_state_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    answer = idp_answer(pool, start(client), "alice@acme.test")
    with override_settings(TENANT_SSO_STATE_TTL=0):
        assert_refused(client, client.get(answer), 400, "state_expired")


def test_replayed_callback_url_is_refused_and_adds_no_session(client: Any, tenants: Any, pool: Any) -> None:
    answer = idp_answer(pool, start(client), "alice@acme.test")
    assert client.get(answer).status_code == 302
    replay = client.get(answer)  # same browser: the state was single use
    assert replay.status_code == 400 and reason(replay) == "state_unknown"
    thief = Client()  # another browser that captured the URL (history, logs, Referer)
    assert_refused(thief, thief.get(answer), 400, "state_unknown")


def test_code_exchanged_twice_is_a_clean_error(client: Any, tenants: Any, pool: Any) -> None:
    """The IdP burns a code at first use (RFC 6749 4.1.2); a stolen code injected with the thief's
    own fresh state is refused by the token endpoint and shown as a clean error."""
    answer = idp_answer(pool, start(client), "alice@acme.test")
    assert client.get(answer).status_code == 302
    code = answer.split("code=")[1].split("&")[0]
    thief = Client()
    state = state_of(start(thief))
    assert_refused(thief, callback(thief, code=code, state=state), 502, "token_exchange_failed")


def test_wrong_pkce_verifier_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    from tenant_sso.oidc.pkce import make_verifier

    url = start(client)
    answer = idp_answer(pool, url, "alice@acme.test")
    attempts.reseal(client, state_of(url), verifier=make_verifier())
    assert_refused(client, client.get(answer), 502, "token_exchange_failed")


def test_state_from_a_login_that_never_reached_this_browser_session_is_refused(
    client: Any, tenants: Any, pool: Any
) -> None:
    """Two tabs: each state is kept apart, a third, made-up one is refused and burns nothing."""
    first, second = start(client), start(client)
    assert_refused(client, callback(client, code="x", state="made-up"), 400, "state_unknown")
    assert client.get(idp_answer(pool, second, "alice@acme.test")).status_code == 302
    assert client.get(idp_answer(pool, first, "alice@acme.test")).status_code == 302


# -- RFC 9207 and IdP errors -----------------------------------------------------------------
def test_iss_response_parameter_of_another_issuer_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    """Mix-up attack defence (RFC 9207 2.4): an iss parameter must be the connection's issuer."""
    answer = idp_answer(pool, start(client), "alice@acme.test")
    evil = quote("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Evil", safe="")
    assert_refused(client, client.get(f"{answer}&iss={evil}"), 400, "issuer_mismatch")


def test_iss_response_parameter_of_the_right_issuer_passes(
    client: Any, tenants: Any, pool: Any, idp: Any
) -> None:
    answer = idp_answer(pool, start(client), "alice@acme.test")
    assert client.get(f"{answer}&iss={quote(idp.issuer, safe='')}").status_code == 302


@pytest.mark.parametrize(
    ("error", "status"),
    [("server_error", 502), ("invalid_request", 502), ("<script>", 502)],
)
def test_error_answer_from_the_idp_is_shown(
    client: Any, tenants: Any, pool: Any, error: str, status: int
) -> None:
    state = state_of(start(client))
    response = callback(client, state=state, error=error, error_description="[AcmeOkta] Error - 500 <b>x</b>")
    assert_refused(client, response, status, "idp_error")
    assert b"<script>" not in response.content and b"<b>x</b>" not in response.content


@pytest.mark.parametrize(
    ("error", "status", "code", "advice"),
    [
        ("access_denied", 400, "idp_cancelled", "cancelled at your identity provider"),
        ("consent_required", 403, "consent_required", "ask your IT administrator to grant consent"),
        ("login_required", 401, "login_required", "sign in again"),
        ("interaction_required", 403, "interaction_required", "complete a step first"),
    ],
)
def test_errors_a_user_causes_get_their_own_code_and_say_what_to_do(
    client: Any, tenants: Any, pool: Any, error: str, status: int, code: str, advice: str
) -> None:
    state = state_of(start(client))
    response = callback(client, state=state, error=error, error_description="End-User aborted interaction")
    assert_refused(client, response, status, code)
    assert advice in response.content.decode()
    assert "Back to sign-in" in response.content.decode()  # try again
    assert b"End-User aborted" not in response.content  # the description stays in the audit
    from tenant_sso.models import LoginEvent

    event = LoginEvent.objects.order_by("-id").first()
    assert event is not None and "End-User aborted interaction" in event.detail["detail"]


def test_error_answer_with_an_unknown_state_is_refused_as_such(client: Any, tenants: Any) -> None:
    assert_refused(client, callback(client, state="nope", error="access_denied"), 400, "state_unknown")


def test_callback_without_code_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    assert_refused(client, callback(client, state=state_of(start(client))), 400, "code_missing")


# -- the IdP down, slow, or answering garbage --------------------------------------------------
def _point(connection: Connection, **fields: str) -> None:
    Connection.objects.filter(pk=connection.pk).update(**fields)


def test_token_endpoint_down_is_a_clean_error(client: Any, tenants: Any) -> None:
    _point(tenants["acme"], cognito_domain=closed_port_url())
    state = state_of(start(client))
    assert_refused(client, callback(client, state=state, code="abc"), 502, "token_unreachable")


def test_jwks_down_is_a_clean_error(client: Any, tenants: Any, pool: Any) -> None:
    _point(tenants["acme"], issuer=closed_port_url() + "/us-east-1_Pool")
    assert_refused(client, login(client, pool), 502, "jwks_unreachable")


def test_idp_stopped_mid_login_is_a_clean_error(client: Any, tenants: Any, pool: Any, idp: Any) -> None:
    answer = idp_answer(pool, start(client), "alice@acme.test")
    idp.stop()
    assert_refused(client, client.get(answer), 502, "token_unreachable")


SLOW = 3.0  # seconds the slow server waits before answering; far above the timeout below


@override_settings(TENANT_SSO_HTTP_TIMEOUT=0.3)
def test_slow_token_endpoint_times_out(client: Any, tenants: Any, stub_server: Any) -> None:
    slow = stub_server(reply(200, b"{}", delay=SLOW))
    _point(tenants["acme"], cognito_domain=slow.base_url)
    state = state_of(start(client))
    began = time.monotonic()
    response = callback(client, state=state, code="abc")
    assert time.monotonic() - began < SLOW  # gave up before the server answered
    assert_refused(client, response, 502, "token_timeout")


@override_settings(TENANT_SSO_HTTP_TIMEOUT=0.3)
def test_slow_jwks_times_out(client: Any, tenants: Any, pool: Any, stub_server: Any) -> None:
    slow = stub_server(reply(200, b'{"keys": []}', delay=SLOW))
    _point(tenants["acme"], issuer=slow.base_url + "/pool")
    began = time.monotonic()
    response = login(client, pool)
    assert time.monotonic() - began < SLOW
    assert_refused(client, response, 502, "jwks_timeout")


def _drip(seconds: float) -> Any:
    """Headers at once, then one body byte every 50 ms: each read is quick, the whole never ends."""

    def answer(handler: Any) -> None:
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", "1000000")
            handler.end_headers()
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    return answer


@override_settings(TENANT_SSO_HTTP_TIMEOUT=0.3)
def test_token_endpoint_dripping_its_answer_times_out(client: Any, tenants: Any, stub_server: Any) -> None:
    drip = stub_server(_drip(SLOW + 2))
    _point(tenants["acme"], cognito_domain=drip.base_url)
    state = state_of(start(client))
    began = time.monotonic()
    response = callback(client, state=state, code="abc")
    assert time.monotonic() - began < SLOW
    assert_refused(client, response, 502, "token_timeout")


GARBAGE = [
    pytest.param(200, b"this is not json", "text/plain", "invalid", id="not-json"),
    pytest.param(200, b"<html><body>Bad gateway</body></html>", "text/html", "invalid", id="html"),
    pytest.param(502, b"<html>Bad gateway</html>", "text/html", "invalid", id="html-502"),
    pytest.param(200, b"[1, 2, 3]", "application/json", "invalid", id="json-list"),
    pytest.param(
        200, b'{"a": ' + b"[" * 100000 + b"]" * 100000 + b"}", "application/json", "invalid", id="deep-json"
    ),
    pytest.param(200, b'{"pad": "' + b"x" * 600_000 + b'"}', "application/json", "too_large", id="huge"),
    pytest.param(200, b"\xff\xfe\x00garbage", "application/json", "invalid", id="binary"),
]


@pytest.mark.parametrize(("status", "body", "content_type", "suffix"), GARBAGE)
def test_token_endpoint_garbage_is_a_clean_error(
    client: Any, tenants: Any, stub_server: Any, status: int, body: bytes, content_type: str, suffix: str
) -> None:
    _point(tenants["acme"], cognito_domain=stub_server(reply(status, body, content_type)).base_url)
    state = state_of(start(client))
    assert_refused(client, callback(client, state=state, code="abc"), 502, f"token_{suffix}")


@pytest.mark.parametrize(("status", "body", "content_type", "suffix"), GARBAGE)
def test_jwks_garbage_is_a_clean_error(
    client: Any,
    tenants: Any,
    pool: Any,
    stub_server: Any,
    status: int,
    body: bytes,
    content_type: str,
    suffix: str,
) -> None:
    _point(tenants["acme"], issuer=stub_server(reply(status, body, content_type)).base_url + "/pool")
    assert_refused(client, login(client, pool), 502, f"jwks_{suffix}")


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        (b'{"keys": "nope"}', "jwks_invalid", 502),
        (b'{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "k"}]}', "unknown_kid", 401),
        (b'{"keys": [{"kty": "RSA", "n": "AA", "e": "AQAB"}]}', "unknown_kid", 401),
    ],
)
def test_jwks_without_usable_keys_is_refused(
    client: Any, tenants: Any, pool: Any, stub_server: Any, body: bytes, code: str, status: int
) -> None:
    _point(tenants["acme"], issuer=stub_server(reply(200, body)).base_url + "/pool")
    assert_refused(client, login(client, pool), status, code)


@pytest.mark.parametrize(
    "document",
    [
        b'{"error": "invalid_grant"}',
        b'{"access_token": "a", "token_type": "Bearer"}',
        b'{"id_token": 42, "token_type": "Bearer"}',
        b'{"id_token": "a.b.c", "token_type": "MAC"}',
    ],
)
def test_token_endpoint_odd_json_is_refused(
    client: Any, tenants: Any, stub_server: Any, document: bytes
) -> None:
    _point(tenants["acme"], cognito_domain=stub_server(reply(200, document)).base_url)
    state = state_of(start(client))
    response = callback(client, state=state, code="abc")
    assert response.status_code in (401, 502)
    assert reason(response) in {"token_exchange_failed", "id_token_missing", "token_response_invalid"}
    assert LoginEvent.objects.filter(reason=reason(response)).exists()
    assert client.get(ME).status_code == 401


# -- where the user lands ----------------------------------------------------------------------
OFFSITE = [
    "//evil.example",
    "https://evil.example/",
    "http:evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    " //evil.example",
    "https:/\\evil.example",
    "//evil.example@testserver",
    "data:text/html,<script>",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("next_url", OFFSITE)
def test_next_that_leaves_the_site_ends_on_the_default_page(
    client: Any, tenants: Any, pool: Any, next_url: str
) -> None:
    response = login(client, pool, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get(ME).status_code == 200


def test_local_next_is_kept(client: Any, tenants: Any, pool: Any) -> None:
    response = login(client, pool, next="/reports/?q=1")
    assert response["Location"] == "/reports/?q=1"


# -- oversized requests ------------------------------------------------------------------------
def test_oversized_callback_query_is_refused(client: Any, tenants: Any, pool: Any) -> None:
    state = state_of(start(client))
    assert_refused(client, callback(client, state=state, code="x" * 10000), 400, "request_too_large")


def test_oversized_login_query_is_refused(client: Any, tenants: Any) -> None:
    response = client.post(urls.login(), {"org": "acme", "next": "/" + "a" * 10000})
    assert response.status_code == 400 and reason(response) == "request_too_large"
    assert LoginEvent.objects.filter(reason="request_too_large").exists()


@pytest.mark.parametrize("param", ["state", "code", "iss", "error", "error_description"])
def test_long_single_parameters_under_the_limit_are_clean_errors(
    client: Any, tenants: Any, pool: Any, param: str
) -> None:
    state = state_of(start(client))
    params = {"state": state, "code": "abc", param: "\u00e9" * 1300}
    response = callback(client, **params)
    assert response.status_code in (400, 403, 502)
    assert reason(response)
    assert client.get(ME).status_code == 401


def test_wrong_client_secret_is_a_clean_error(client: Any, tenants: Any, pool: Any) -> None:
    connection = tenants["acme"]
    connection.set_client_secret("not-the-secret")
    connection.save()
    assert_refused(client, login(client, pool), 502, "token_exchange_failed")

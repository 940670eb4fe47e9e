"""tenant_sso.diagnostics on answers the local identity provider never gives: a provider through an
injected httpx transport (the one HTTP seam), and a host that accepts connections but never answers."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from django.core.cache import cache as django_cache
from joserfc.jwk import ECKey

from tenant_sso.diagnostics import CheckResult, check_connection
from tenant_sso.models import Connection, Organization
from tenant_sso.oidc.http import ProviderHTTP, make_client
from tests.keys import jwks, rsa_key

ISSUER = "https://idp.example.com"
CALLBACK = "https://app.example.com/api/oidc/cognito/callback/"
SIGNOUT = "https://app.example.com/login/?logged_out=1"

Handler = Callable[[httpx.Request], httpx.Response]


def discovery(**overrides: Any) -> dict[str, Any]:
    return {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/keys",
        "id_token_signing_alg_values_supported": ["RS256"],
        **overrides,
    }


def provider(
    *,
    document: dict[str, Any] | None = None,
    keys: dict[str, Any] | None = None,
    token: tuple[int, dict[str, Any]] = (400, {"error": "invalid_grant"}),
    authorize: httpx.Response | None = None,
) -> Handler:
    """A plain OIDC provider whose every answer can be replaced."""

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=document or discovery())
        if path == "/keys":
            return httpx.Response(200, json=keys if keys is not None else jwks(rsa_key()))
        if path == "/token":
            return httpx.Response(token[0], json=token[1])
        if path == "/authorize":
            return authorize or httpx.Response(302, headers={"Location": f"{ISSUER}/login?x=1"})
        return httpx.Response(404)

    return handle


def oidc_connection() -> Connection:
    connection = Connection(
        organization=Organization(name="Initech", slug="initech"),
        kind=Connection.Kind.OIDC,
        issuer=ISSUER,
        client_id="client-1",
        logout_redirect_url=SIGNOUT,
    )
    connection.set_client_secret("s3cret")
    return connection


def run(handler: Handler, connection: Connection | None = None) -> dict[str, CheckResult]:
    http = ProviderHTTP(make_client(5.0, transport=httpx.MockTransport(handler)))
    results = check_connection(
        connection or oidc_connection(), redirect_uri=CALLBACK, logout_uri=SIGNOUT, http=http, cache=django_cache
    )
    return {r.name: r for r in results}


def test_a_correct_provider_passes_every_check() -> None:
    results = run(provider())
    assert [r.status for r in results.values()] == ["passed"] * 6


def test_a_provider_signing_with_hs256_only_fails_discovery() -> None:
    result = run(provider(document=discovery(id_token_signing_alg_values_supported=["HS256"])))["Discovery"]
    assert not result.ok and "signs ID tokens with HS256" in result.detail


def test_a_discovery_document_naming_another_issuer_fails() -> None:
    results = run(provider(document=discovery(issuer="https://evil.example.com")))
    assert not results["Discovery"].ok and "discovery_issuer_mismatch" in results["Discovery"].detail
    assert all(results[name].skipped for name in ("Signing keys (JWKS)", "Token endpoint (client ID and secret)"))


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        ({"keys": []}, "holds no keys"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "No RSA signature key usable with RS256 (keys found: oct)"),
        ({"keys": [ECKey.generate_key("P-256").as_dict(private=False)]}, "(keys found: EC)"),
    ],
)
def test_a_key_set_without_an_rs256_key_fails(keys: dict[str, Any], reason: str) -> None:
    result = run(provider(keys=keys))["Signing keys (JWKS)"]
    assert not result.ok and reason in result.detail


@pytest.mark.parametrize(
    ("answer", "ok", "reason"),
    [
        ((400, {"error": "invalid_grant"}), True, "The client authenticated"),
        ((401, {"error": "invalid_client"}), False, "client secret or client ID is wrong"),
        ((400, {"error": "unauthorized_client"}), False, "enable 'Authorization code grant'"),
        ((500, {"message": "boom"}), False, "Unexpected answer"),
        ((200, {"id_token": "x.y.z", "token_type": "Bearer"}), False, "accepted a made-up code"),
    ],
)
def test_the_token_endpoint_answer_is_explained(answer: tuple[int, dict[str, Any]], ok: bool, reason: str) -> None:
    result = run(provider(token=answer))["Token endpoint (client ID and secret)"]
    assert result.ok is ok and reason in result.detail


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(302, headers={"Location": f"{ISSUER}/error?error=redirect_mismatch"}), "add it exactly to"),
        (httpx.Response(400, text="<h1>Error</h1><p>redirect_mismatch</p>"), "HTTP 400, redirect_mismatch"),
        (httpx.Response(302, headers={"Location": f"{CALLBACK}?error=invalid_scope&state=x"}),
         "refused with invalid_scope (sent back to the callback)"),
    ],
)
def test_a_refused_authorization_request_fails_the_redirect_uri_check(response: httpx.Response, reason: str) -> None:
    result = run(provider(authorize=response))["Authorization request (redirect URI)"]
    assert not result.ok and reason in result.detail


def test_an_undecryptable_secret_fails_and_skips_the_token_endpoint(settings: Any) -> None:
    connection = oidc_connection()
    settings.TENANT_SSO_ENCRYPTION_KEYS = ["zMeYjgmPLyJAGIUuiE1Eq3f9k-LbMKvb9eAWDGX6pNU="]  # another key
    results = run(provider(), connection)
    assert not results["Client secret"].ok and "Enter the client secret again" in results["Client secret"].detail
    assert results["Token endpoint (client ID and secret)"].skipped
    assert "s3cret" not in json.dumps([r.as_dict() for r in results.values()])


# -- a host that accepts the connection and never answers --------------------------------------
@pytest.fixture
def silent_host() -> Iterator[str]:
    """http://127.0.0.1:<port>: the kernel completes the TCP handshake, nobody ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.django_db
def test_a_silent_provider_times_out_once_per_host_and_the_rest_is_not_run(
    admin_client: Any, settings: Any, tenants: Any, silent_host: str
) -> None:
    settings.TENANT_SSO_HTTP_TIMEOUT = 0.5
    settings.TENANT_SSO_BASE_URL = "http://127.0.0.1:8000"
    acme = tenants["acme"]
    Connection.objects.filter(pk=acme.pk).update(
        issuer=f"{silent_host}/us-east-1_TestPool1", cognito_domain=silent_host,
        logout_redirect_url="http://127.0.0.1:8000/bye/",
    )
    acme.refresh_from_db()
    results = {r.name: r for r in check_connection(
        acme, redirect_uri="http://127.0.0.1:8000/api/oidc/cognito/callback/", logout_uri="http://127.0.0.1:8000/bye/"
    )}
    assert "No answer within 0.5 s" in results["User pool"].detail
    assert "No answer within 0.5 s" in results["Token endpoint (client ID and secret)"].detail
    assert [results[n].status for n in ("Signing keys (JWKS)", "Authorization request (redirect URI)", "Sign-out URL")] == [
        "skipped"
    ] * 3


# -- issue 18: algorithms per connection, secrets that change when form-encoded, issuer slash ---
def test_an_es256_provider_fails_against_the_default_and_passes_with_the_connection_list() -> None:
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "alg": "ES256", "use": "sig"})
    handler = provider(document=discovery(id_token_signing_alg_values_supported=["ES256"]),
                       keys={"keys": [ec.as_dict(private=False)]})
    result = run(handler)["Discovery"]
    assert not result.ok
    assert "signs ID tokens with ES256; TENANT_SSO_ALLOWED_ALGORITHMS (the connection sets none)" in result.detail
    connection = oidc_connection()
    connection.signing_algorithms = ["ES256"]
    results = run(handler, connection)
    assert results["Discovery"].ok and results["Signing keys (JWKS)"].ok
    assert "1 EC signing key: ec-1" in results["Signing keys (JWKS)"].detail


def test_an_hs256_default_on_the_provider_side_is_named_with_the_fix() -> None:
    result = run(provider(document=discovery(id_token_signing_alg_values_supported=["HS256"])))["Discovery"]
    assert "switch the provider's application to RS256 or ES256" in result.detail


def secret_connection(secret: str, method: str = "auto") -> Connection:
    connection = oidc_connection()
    connection.set_client_secret(secret)
    connection.token_auth_method = method
    return connection


def token_check(connection: Connection, methods: list[str]) -> tuple[CheckResult, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    inner = provider(document=discovery(token_endpoint_auth_methods_supported=methods))

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return inner(request)

    return run(handle, connection)["Token endpoint (client ID and secret)"], seen


def test_a_secret_that_changes_when_form_encoded_is_posted_in_automatic_mode_and_said_so() -> None:
    result, seen = token_check(secret_connection("s3cret+/=:"),
                               ["client_secret_basic", "client_secret_post"])
    token = next(r for r in seen if r.url.path == "/token")
    assert "authorization" not in token.headers and b"client_secret=s3cret%2B%2F%3D%3A" in token.content
    assert result.ok and "(client_secret_post)" in result.detail
    assert "the automatic mode sends it with client_secret_post" in result.detail


def test_a_basic_only_provider_with_such_a_secret_gets_a_warning() -> None:
    result, _ = token_check(secret_connection("s3cret+/=:"), ["client_secret_basic"])
    assert result.ok and "(client_secret_basic)" in result.detail
    assert "does not form-decode Basic credentials" in result.detail


def test_a_plain_secret_keeps_basic_and_says_nothing_more() -> None:
    result, seen = token_check(secret_connection("plainSecret1"), ["client_secret_basic", "client_secret_post"])
    assert result.ok and result.detail.endswith("as expected.")
    assert next(r for r in seen if r.url.path == "/token").headers["authorization"].startswith("Basic ")


def test_a_published_trailing_slash_passes_and_is_announced() -> None:
    results = run(provider(document=discovery(issuer=ISSUER + "/")))
    assert results["Discovery"].ok and "with a trailing slash" in results["Discovery"].detail


def test_a_provider_that_also_offers_hs256_passes_with_a_reminder() -> None:
    result = run(provider(document=discovery(id_token_signing_alg_values_supported=["RS256", "HS256"])))["Discovery"]
    assert result.ok and "also offers HS256: make sure this application signs with RS256" in result.detail

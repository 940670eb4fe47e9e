"""Attacks from a hostile identity provider, through the real views (issue 12, points 1, 3, 5).

1. No request to plaintext or internal addresses in production (discovery endpoints included,
   host names resolving to internal addresses included, the admin's "Test connection" too).
3. Mix-up: a code from one connection's provider is unusable at another's.
5. No 500 from anything a provider sends: bad hosts, bad access tokens, hostile claim values.

The same file runs on PostgreSQL (``tests/services/test_boundary_postgres.py``), where NUL in a
string is a ``DataError`` rather than a stored value.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import connection as db_connection
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenant_sso.exceptions import ProviderError
from tenant_sso.oidc.http import ProviderHTTP, make_client
from tenant_sso.oidc.netguard import NetworkPolicy
from tests.security.hostile import HostileOP, callback_of
from tests.support import urls
from tests.support.driver import path_of, post_start, start
from tests.support.pages import ME, assert_refused, documented_codes, reason

PRODUCTION = override_settings(TENANT_SSO_ALLOW_LOOPBACK_HTTP=False)


def test_the_database_is_the_one_asked_for() -> None:
    """Guards the PostgreSQL run: it must really be on PostgreSQL."""
    assert db_connection.vendor == os.environ.get("TENANT_SSO_TEST_EXPECT_VENDOR", db_connection.vendor)


# -- a DNS the test controls ---------------------------------------------------------------------
@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, list[str]], None]:
    """``dns(name, addresses)``: the system resolver answers ``addresses`` for ``name`` (an
    attacker's DNS zone); every other name resolves as usual."""
    zone: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if isinstance(host, str) and host in zone:
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, int(port), 0, 0) if ":" in a else (a, int(port)))
                for a in zone[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lambda name, addresses: zone.__setitem__(name, addresses)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port on 127.0.0.1 that accepts connections but never answers: it tells whether the
    app even opened a connection."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def connections_to(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def oidc_connection(slug: str, issuer: str, client_id: str = "client", **extra: Any) -> Any:
    from tenant_sso.connections import ConnectionSpec, upsert_connection

    connection, _ = upsert_connection(ConnectionSpec(
        org_slug=slug, org_name=slug.title(), kind="oidc", issuer=issuer, client_id=client_id,
        client_secret="secret", allowed_groups=["engineering"], **extra,
    ))
    return connection


# == 1. plaintext and internal addresses ==========================================================
def test_production_refuses_a_plaintext_loopback_issuer_and_sends_nothing(
    client: Client, hostile: Any, hostile_op: HostileOP
) -> None:
    with PRODUCTION:
        response = post_start(client, "hostile")
    assert_refused(client, response, 400, "insecure_issuer")
    assert hostile_op.requests == []


def test_production_refuses_a_discovered_plaintext_token_endpoint(
    client: Client, db: Any, hostile_op: HostileOP
) -> None:
    """The review's case: an https issuer whose discovery names http://127.0.0.1:PORT/token.

    The discovery document is served from the cache (as any process would have it after a first
    fetch); held to the current policy, it is refused and the code, verifier and secret go nowhere.
    """
    from django.core.cache import cache

    from tenant_sso.oidc.metadata import ProviderMetadata

    issuer = "https://idp.hostile.example"
    oidc_connection("hostile", issuer)
    cache.set(f"tenant_sso:discovery:{issuer}", ProviderMetadata(
        issuer=issuer, authorization_endpoint=f"{issuer}/authorize",
        token_endpoint=f"{hostile_op.base_url}/token", jwks_uri=f"{hostile_op.base_url}/jwks",
    ).to_json())
    with PRODUCTION:
        response = post_start(client, "hostile")
    assert_refused(client, response, 502, "insecure_endpoint")
    assert hostile_op.requests == []


@pytest.mark.parametrize(
    ("endpoint", "url", "code"),
    [
        ("token_endpoint", "http://10.0.0.7/token", "insecure_endpoint"),
        ("token_endpoint", "https://192.168.1.10/token", "internal_address"),
        ("jwks_uri", "https://169.254.169.254/latest/meta-data/", "internal_address"),
        ("jwks_uri", "https://[::ffff:169.254.169.254]/keys", "internal_address"),
        ("userinfo_endpoint", "https://[fd00::1]/userinfo", "internal_address"),
        ("userinfo_endpoint", "https://0.0.0.0/userinfo", "internal_address"),
        ("end_session_endpoint", "http://idp.example.com/logout", "insecure_endpoint"),
        ("authorization_endpoint", "ftp://idp.example.com/authorize", "insecure_endpoint"),
        ("revocation_endpoint", "https://user:pw@idp.example.com/revoke", "endpoint_invalid"),
    ],
)
def test_every_discovered_endpoint_is_held_to_the_issuers_rule(
    client: Client, hostile: Any, hostile_op: HostileOP, endpoint: str, url: str, code: str
) -> None:
    """Even with loopback allowed (development), no endpoint may be plaintext off loopback or
    internal; one bad endpoint refuses the whole document before any code exists."""
    hostile_op.discovery_overrides[endpoint] = url
    response = post_start(client, "hostile")
    assert_refused(client, response, 502, code)
    assert [path for _, path, _ in hostile_op.requests] == ["/.well-known/openid-configuration"]


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["10.1.2.3"], ["169.254.169.254"], ["::1"], ["8.8.8.8", "127.0.0.1"]],
    ids=["loopback", "private", "metadata", "ipv6-loopback", "public-and-loopback"],
)
def test_a_public_name_resolving_to_an_internal_address_is_never_connected(
    client: Client, db: Any, dns: Any, listener: socket.socket, addresses: list[str]
) -> None:
    """The address connected to is checked, not the name: a hostile DNS zone (or rebinding) cannot
    point the app at an internal service; with one internal address, none is tried."""
    dns("idp.rebind.example", addresses)
    oidc_connection("rebind", f"https://idp.rebind.example:{listener.getsockname()[1]}")
    with PRODUCTION:
        response = post_start(client, "rebind")
    assert_refused(client, response, 502, "internal_address")
    assert connections_to(listener) == 0


def test_development_mode_still_refuses_private_addresses(
    client: Client, db: Any, dns: Any, listener: socket.socket
) -> None:
    dns("idp.private.example", ["192.168.7.7"])
    oidc_connection("private", f"https://idp.private.example:{listener.getsockname()[1]}")
    response = post_start(client, "private")  # TENANT_SSO_ALLOW_LOOPBACK_HTTP is on here
    assert_refused(client, response, 502, "internal_address")


def test_test_connection_is_not_an_oracle_for_internal_services(
    admin_client: Client, db: Any, dns: Any, listener: socket.socket
) -> None:
    """An open and a closed internal port give the admin the same answer, and nothing connects."""
    from tenant_sso.admin import DIAGNOSTICS_SESSION_KEY

    open_port = listener.getsockname()[1]
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        closed_port = spare.getsockname()[1]
    dns("open.internal.example", ["127.0.0.1"])
    dns("closed.internal.example", ["127.0.0.1"])
    details = []
    with PRODUCTION:
        for slug, host, port in (("open", "open.internal.example", open_port),
                                 ("closed", "closed.internal.example", closed_port)):
            connection = oidc_connection(slug, f"https://{host}:{port}")
            response = admin_client.post(reverse("admin:tenant_sso_connection_test", args=[connection.pk]))
            assert response.status_code == 302
            results = admin_client.session[DIAGNOSTICS_SESSION_KEY][str(connection.pk)]["results"]
            details.append([(r["name"], r["ok"], r["detail"].replace(f"{slug}.internal.example:{port}", "HOST")
                                                        .replace(f"/callback/{slug}/", "/callback/ORG/"))
                            for r in results])
    assert details[0] == details[1]
    assert "internal_address" in str(details[0])
    assert connections_to(listener) == 0


def test_the_authorization_probe_of_test_connection_goes_through_the_seam(
    db: Any, dns: Any, listener: socket.socket
) -> None:
    """The redirect-URI probe used to call the HTTP client directly: now the same policy holds."""
    from tenant_sso import diagnostics, wiring
    from tenant_sso.oidc.metadata import ProviderMetadata

    dns("login.internal.example", ["10.9.8.7"])
    connection = oidc_connection("probe", "https://idp.probe.example")
    endpoint = f"https://login.internal.example:{listener.getsockname()[1]}/authorize"
    metadata = ProviderMetadata(issuer=connection.issuer, authorization_endpoint=endpoint,
                                token_endpoint="https://idp.probe.example/token",
                                jwks_uri="https://idp.probe.example/jwks")
    with PRODUCTION:
        result = diagnostics.check_redirect_uri(
            connection, metadata, wiring.http(), "https://app.example.com/api/oidc/cognito/callback/probe/"
        )
    assert not result.ok and "internal_address" in result.detail
    assert connections_to(listener) == 0


# == 3. mix-up ===================================================================================
def test_an_oidc_connection_has_its_own_redirect_uri_and_signs_in(
    client: Client, hostile: Any, hostile_op: HostileOP
) -> None:
    from tenant_sso.flows import redirect_uri_for

    url = start(client, "hostile")
    sent = parse_qs(urlsplit(url).query)["redirect_uri"][0]
    assert sent == urls.callback_url(org="hostile")
    assert sent == redirect_uri_for(hostile, base_url="http://testserver")
    response = callback_of(client, hostile_op)
    assert response.status_code == 302, reason(response)
    assert client.get(ME).status_code == 200


def start_honest_idp(devidp_factory: Any, *uris: str) -> Any:
    """An honest provider (the local IdP) whose client has ``uris`` registered as redirect URIs."""
    server = devidp_factory({
        "region": "us-east-1", "user_pool_id": "us-east-1_Honest1",
        "clients": [{"client_id": "honest-client", "client_secret": "honest-secret", "callback_urls": list(uris),
                     "logout_urls": [], "identity_providers": ["HonestOkta"]}],
        "identity_providers": [{"name": "HonestOkta", "users": [
            {"sub": "00u-victim", "email": "victim@honest.test", "email_verified": True, "groups": ["engineering"]},
        ]}],
    })
    oidc_connection("honest", server.issuer, client_id="honest-client")
    return server


@pytest.fixture
def honest_idp(devidp_factory: Any, db: Any) -> Any:
    """The honest provider registers only its own organization's redirect URI, as the admin page
    tells its customer to do."""
    from tenant_sso.flows import redirect_uri_for
    from tenant_sso.models import Connection, Organization

    own = redirect_uri_for(Connection(kind="oidc", organization=Organization(slug="honest")), base_url="http://testserver")
    return start_honest_idp(devidp_factory, own)


def _mixup_attack(client: Client, honest_idp: Any, hostile_op: HostileOP) -> Any:
    """The hostile tenant's discovery names the honest IdP's authorization endpoint, and its
    connection the honest client's (public) ID; the victim's browser is sent to start its login."""
    hostile_op.discovery_overrides["authorization_endpoint"] = f"{honest_idp.base_url}/oauth2/authorize"
    hostile_op.discovery_overrides["scopes_supported"] = ["openid", "email", "profile"]
    oidc_connection("hostile", hostile_op.issuer, client_id="honest-client")
    url = start(client, "hostile")
    return honest_idp.idp.complete_login(url, "victim@honest.test")


def test_mixup_the_honest_idp_refuses_to_issue_a_code_for_the_hostile_tenant(
    client: Client, honest_idp: Any, hostile_op: HostileOP
) -> None:
    from tenant_sso.devidp import DevIdPLookupError

    with pytest.raises(DevIdPLookupError, match="redirect_mismatch"):
        _mixup_attack(client, honest_idp, hostile_op)
    assert hostile_op.count("POST", "/token") == 0


@override_settings(TENANT_SSO_OIDC_SHARED_CALLBACK=["honest", "hostile"])
def test_mixup_with_a_shared_redirect_uri_leaks_the_code_which_is_why_it_is_gone(
    client: Client, devidp_factory: Any, db: Any, hostile_op: HostileOP
) -> None:
    """The attack the defence stops (the upgrade aid's trade-off, W021): with one shared URI the
    honest IdP's code and our PKCE verifier reach the hostile tenant's token endpoint."""
    honest = start_honest_idp(devidp_factory, "http://testserver" + reverse("tenant_sso:callback"))
    location = _mixup_attack(client, honest, hostile_op)
    client.get(path_of(location))
    posted = [parse_qs(body.decode()) for _, path, body in hostile_op.requests if path == "/token"]
    assert posted, "the shared URI no longer leaks: this test shows nothing any more"
    assert posted[0]["code"] == parse_qs(urlsplit(location).query)["code"]
    assert "code_verifier" in posted[0]


@pytest.mark.parametrize("org", [None, "acme"], ids=["shared", "another-organization"])
def test_a_code_arriving_at_another_callback_path_is_refused_before_any_exchange(
    client: Client, hostile: Any, hostile_op: HostileOP, org: str | None
) -> None:
    url = start(client, "hostile")
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = client.get(f"{urls.callback(org)}?{urlencode({'code': 'stolen', 'state': state})}")
    assert_refused(client, response, 400, "callback_mismatch")
    assert hostile_op.count("POST", "/token") == 0


def test_a_cognito_attempt_is_refused_at_an_organizations_callback(client: Client, tenants: Any, pool: Any) -> None:
    location = pool.complete_login(start(client, "acme"), "alice@acme.test")
    query = urlsplit(location).query
    response = client.get(f"{urls.callback('acme')}?{query}")
    assert_refused(client, response, 400, "callback_mismatch")


# == 5. nothing a provider sends ends in a 500 ==================================================
@pytest.mark.parametrize(
    "url",
    [
        "https://xn--zz.example/token",  # invalid A-label (IDNAError)
        "https://a..b.example/token",  # empty label (UnicodeError in the idna codec)
        "https://" + "a" * 64 + ".example/token",  # label over 63 octets
        "https://\u2488.example/token",  # not valid IDNA 2008
        "https://idp.example:99999/token",  # port out of range
        "https://idp.example/to ken",
        "https://idp.example/\x00token",
    ],
)
def test_a_malformed_endpoint_host_is_a_provider_error(
    client: Client, hostile: Any, hostile_op: HostileOP, url: str
) -> None:
    hostile_op.discovery_overrides["token_endpoint"] = url
    assert_refused(client, post_start(client, "hostile"), 502, "endpoint_invalid")


@pytest.mark.parametrize(
    "url", ["https://xn--zz.example/x", "https://a..b.example/x", "https://" + "a" * 64 + ".example/x"]
)
def test_the_http_seam_never_lets_an_idna_error_escape(url: str) -> None:
    """Even when a caller skips the URL check, the real client's IDNA failure is a ProviderError."""
    http = ProviderHTTP(make_client(2.0), policy=NetworkPolicy())
    http.policy = type("Lax", (), {"check_url": staticmethod(lambda url: None)})()  # type: ignore[assignment]
    with pytest.raises(ProviderError) as error:
        http.get_json(url, what="jwks")
    assert error.value.code in ("endpoint_invalid", "jwks_unreachable")


def test_a_non_ascii_access_token_is_not_sent_to_userinfo(
    client: Client, hostile: Any, hostile_op: HostileOP
) -> None:
    hostile.use_userinfo = True
    hostile.save()
    hostile_op.token_extra["access_token"] = "t\u00f6k\u00e9n"
    assert_refused(client, callback_of(client, hostile_op), 502, "access_token_invalid")
    assert hostile_op.count("GET", "/userinfo") == 0


DEEP = "[" * 3000 + "]" * 3000


@pytest.mark.parametrize(
    ("claims", "status", "code"),
    [
        # An OIDC connection takes a string as one literal group name (Cognito's string shapes are
        # Cognito's: tests/unit/test_groups.py), so hostile strings are just names no rule allows.
        ({"groups": DEEP}, 403, "groups_missing"),  # longer than any group name: dropped
        ({"groups": "[engineering, a%00b]"}, 403, "not_in_allowed_group"),
        ({"groups": ["engineering", "a\x00b"]}, 401, "claims_invalid"),
        ({"email": "\ud800@hostile.test"}, 401, "claims_invalid"),
        ({"given_name": "Mal\udfffory"}, 401, "claims_invalid"),
        ({"sub": "hostile\x00user"}, 401, "claims_invalid"),
        ({"email": "mallory\x00@hostile.test"}, 401, "claims_invalid"),
        ({"family_name": "Null\x00"}, 401, "claims_invalid"),
        ({"name": "a\u0000b"}, 401, "claims_invalid"),
        ({"groups": ["engineering", "eng\x00ineering"]}, 401, "claims_invalid"),
        ({"x-nested": {"a\x00": 1}}, 401, "claims_invalid"),
        ({"email": 42}, 401, "claims_invalid"),
        ({"given_name": "x" * 5000}, 401, "claims_invalid"),
        ({"email_verified": "yes-really"}, 401, "claims_invalid"),
        ({"deep": [[[[[[[[[[[[[[[[[[["too deep"]]]]]]]]]]]]]]]]]]]}, 401, "claims_invalid"),
    ],
    ids=lambda value: repr(value)[:30],
)
def test_hostile_claims_are_refused_with_a_code_not_a_500(
    client: Client, hostile: Any, hostile_op: HostileOP, claims: dict[str, Any], status: int, code: str
) -> None:
    from django.contrib.auth import get_user_model

    hostile_op.claims.update(claims)
    assert_refused(client, callback_of(client, hostile_op), status, code)
    assert not get_user_model().objects.exists()


def test_hostile_userinfo_claims_are_refused(client: Client, hostile: Any, hostile_op: HostileOP) -> None:
    hostile.use_userinfo = True
    hostile.save()
    hostile_op.userinfo = {"sub": "hostile-user-1", "given_name": "Mal\x00lory"}
    assert_refused(client, callback_of(client, hostile_op), 401, "claims_invalid")


def test_deeply_nested_cognito_identities_are_refused_not_crashed() -> None:
    from tenant_sso.cognito.claims import parse_identities

    assert parse_identities("[" * 50000 + "]" * 50000) == []


# -- the property test: generated hostile values, the whole callback, the real views --------------
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=30)  # NUL, controls, surrogates
SPECIALS = ["\x00", "\ud800", "\udfff", "%00", "\x1b", "\u202e", "[" * 2000, "x" * 300, ""]
#: Ordinary-looking text with a hostile piece inside: what a tenant's IdP would really try.
HOSTILE_TEXT = st.builds(lambda a, bad, b: a + bad + b, st.text(max_size=8), st.sampled_from(SPECIALS),
                         st.text(max_size=8)) | ANY_TEXT
HOSTILE_VALUE = HOSTILE_TEXT | st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE_TEXT, inner, max_size=3),
    max_leaves=6,
)
CLAIMS = ["sub", "email", "email_verified", "given_name", "family_name", "name", "preferred_username", "groups"]
KNOWN = documented_codes()


@settings(max_examples=int(os.environ.get("TENANT_SSO_PROPERTY_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(replace=st.dictionaries(st.sampled_from(CLAIMS) | ANY_TEXT, HOSTILE_VALUE, min_size=1, max_size=4))
def test_generated_hostile_claims_never_end_in_a_500(
    hostile: Any, hostile_op: HostileOP, replace: dict[str, Any]
) -> None:
    from tenant_sso.models import FederatedIdentity, LoginEvent

    hostile_op.claims = {k: v for k, v in replace.items() if k not in ("iss", "aud", "nonce", "exp", "iat")}
    client = Client()  # raises on a 500 (and the database would refuse a NUL on PostgreSQL)
    response = callback_of(client, hostile_op)
    if response.status_code == 302:
        identity = FederatedIdentity.objects.get(subject=hostile_op.id_claims()["sub"])
        assert "\x00" not in identity.subject + identity.email
        assert client.get(ME).status_code == 200
        identity.user.delete()
    else:
        assert response.status_code in (400, 401, 403, 502), response.status_code
        assert reason(response) in KNOWN, reason(response)
        assert client.get(ME).status_code == 401
    assert LoginEvent.objects.order_by("-id").first() is not None


def test_the_admin_shows_the_redirect_uri_to_register(admin_client: Client, hostile: Any, tenants: Any) -> None:
    page = admin_client.get(reverse("admin:tenant_sso_connection_change", args=[hostile.pk])).content.decode()
    assert f"<code>{urls.callback_url(org='hostile')}</code>" in page
    page = admin_client.get(reverse("admin:tenant_sso_connection_change", args=[tenants["acme"].pk])).content.decode()
    assert f"<code>{urls.callback_url()}</code>" in page


HOSTS = st.sampled_from([
    "idp.example.com", "127.0.0.1", "[::1]", "localhost", "10.0.0.1", "169.254.169.254", "[fd00::1]", "0.0.0.0",
    "xn--zz.example", "a..b", "b\u00fccher.example", "\u2488.example", "-x-.example", "[::ffff:10.0.0.1]",
    "login.example.com:99999", "u:p@idp.example.com", "idp.example.com:443",
]) | st.text(max_size=20)
ENDPOINT_URLS = st.builds(
    lambda scheme, host, path: f"{scheme}{host}{path}",
    st.sampled_from(["https://", "http://", "ftp://", "", "//", "https:/", "HTTPS://"]),
    HOSTS,
    st.sampled_from(["/token", "", "/\x00", "/ a", "/\ud800", "?x=1", "#f"]) | st.text(max_size=10),
) | HOSTILE_VALUE


@settings(max_examples=int(os.environ.get("TENANT_SSO_PROPERTY_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(endpoints=st.dictionaries(
    st.sampled_from(["authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint",
                     "end_session_endpoint", "revocation_endpoint"]),
    ENDPOINT_URLS, min_size=1, max_size=3,
))
def test_generated_discovery_endpoints_never_end_in_a_500(
    hostile: Any, hostile_op: HostileOP, endpoints: dict[str, Any]
) -> None:
    """Whatever a discovery document names, starting a login redirects to an https (or, in
    development, loopback) authorization endpoint, or refuses with a documented code."""
    from django.core.cache import cache

    cache.clear()
    hostile_op.discovery_overrides = endpoints
    client = Client()
    response = post_start(client, "hostile")
    if response.status_code == 302:
        target = urlsplit(response["Location"])
        assert target.scheme == "https" or target.hostname in ("127.0.0.1", "::1", "localhost")
    else:
        assert response.status_code in (400, 502), response.status_code
        assert reason(response) in KNOWN, reason(response)

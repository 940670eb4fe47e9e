"""Rules that make the app work with the OpenID Providers customers run (issue 18), without a network:
literal OIDC group names, extra scopes, the automatic client authentication method, and the one
issuer difference discovery may correct (a trailing slash)."""

from __future__ import annotations

from typing import Any

import pytest

from tenant_sso.claims import parse_groups
from tenant_sso.exceptions import ProviderError
from tenant_sso.oidc.client import choose_auth_method, is_scope_token, request_scope
from tenant_sso.oidc.metadata import ProviderMetadata, parse_discovery

ISSUER = "https://op.example.com"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("R+D", ["R+D"]),
        ("C++", ["C++"]),
        ("a%2Fb", ["a%2Fb"]),
        ("[engineering, sales]", ["[engineering, sales]"]),  # one string is one group
        (["R+D", "a/b", "50% off"], ["R+D", "a/b", "50% off"]),
        ("  spaced  ", ["spaced"]),
        ("", []),
        (None, []),
    ],
)
def test_an_oidc_groups_claim_is_taken_as_the_provider_sends_it(value: Any, expected: list[str]) -> None:
    assert parse_groups(value, cognito=False) == expected


def test_cognito_string_shapes_still_apply_to_cognito_claims() -> None:
    assert parse_groups("[R%26D, Sales+Ops]", cognito=True) == ["R&D", "Sales Ops"]
    assert parse_groups("R+D", cognito=True) == ["R D"]


def metadata(scopes: tuple[str, ...] = (), methods: tuple[str, ...] = ("client_secret_basic",)) -> ProviderMetadata:
    return ProviderMetadata(
        issuer=ISSUER, authorization_endpoint=f"{ISSUER}/a", token_endpoint=f"{ISSUER}/t", jwks_uri=f"{ISSUER}/k",
        scopes_supported=scopes, token_endpoint_auth_methods_supported=methods,
    )


@pytest.mark.parametrize(
    ("listed", "extra", "expected"),
    [
        (("openid", "email", "profile", "groups"), (), "openid email profile groups"),
        (("openid", "email"), ("groups",), "openid email groups"),  # not listed, still asked for
        ((), ("okta.groups", "offline_access"), "openid email profile okta.groups offline_access"),
        (("openid", "groups"), ("groups", "openid"), "openid groups"),  # each once
    ],
)
def test_extra_scopes_are_always_requested(listed: tuple[str, ...], extra: tuple[str, ...], expected: str) -> None:
    assert request_scope(metadata(listed), extra=extra) == expected


@pytest.mark.parametrize(
    ("scope", "ok"),
    [
        ("groups", True), ("api://app/.default", True), ("https://x.example/read", True), ("a!#$[]~", True),
        ("two words", False), ('quo"te', False), ("back\\slash", False), ("", False), ("caf\u00e9", False),
        ("tab\t", False), ("x" * 201, False),
    ],
)
def test_scope_names_follow_rfc_6749(scope: str, ok: bool) -> None:
    assert is_scope_token(scope) is ok


@pytest.mark.parametrize(
    ("supported", "secret", "method"),
    [
        (("client_secret_basic", "client_secret_post"), "plain-Secret_1.x~", "client_secret_basic"),
        (("client_secret_basic", "client_secret_post"), "s3cret+/=:", "client_secret_post"),
        (("client_secret_basic", "client_secret_post"), "with space", "client_secret_post"),
        (("client_secret_basic",), "s3cret+/=:", "client_secret_basic"),  # nothing better on offer
        (("client_secret_post",), "plain", "client_secret_post"),
        (("private_key_jwt",), "plain", "client_secret_basic"),
    ],
)
def test_automatic_auth_avoids_basic_when_encoding_would_change_the_secret(
    supported: tuple[str, ...], secret: str, method: str
) -> None:
    assert choose_auth_method(supported, "client-1", secret) == method


def document(issuer: str) -> dict[str, Any]:
    return {"issuer": issuer, "authorization_endpoint": f"{ISSUER}/a", "token_endpoint": f"{ISSUER}/t",
            "jwks_uri": f"{ISSUER}/k"}


def test_discovery_may_add_exactly_one_trailing_slash_when_asked() -> None:
    assert parse_discovery(document(ISSUER + "/"), ISSUER, accept_added_slash=True).issuer == ISSUER + "/"
    assert parse_discovery(document(ISSUER + "/"), ISSUER + "/").issuer == ISSUER + "/"


@pytest.mark.parametrize(
    ("published", "configured", "accept"),
    [
        (ISSUER + "/", ISSUER, False),  # not asked: the exact comparison of Discovery 4.3
        (ISSUER, ISSUER + "/", True),  # a slash is never removed
        (ISSUER + "//", ISSUER, True),
        (ISSUER + "/tenant", ISSUER, True),
        ("https://other.example.com/", ISSUER, True),  # another host, even with the slash
    ],
)
def test_any_other_issuer_difference_stays_a_mismatch(published: str, configured: str, accept: bool) -> None:
    with pytest.raises(ProviderError) as info:
        parse_discovery(document(published), configured, accept_added_slash=accept)
    assert info.value.code == "discovery_issuer_mismatch"

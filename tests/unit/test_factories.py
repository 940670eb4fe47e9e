"""The factories make what a test would otherwise spell out: rows the app accepts as they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_a_cognito_connection_is_ready_to_use(make_connection: Callable[..., Any]) -> None:
    from tenant_sso.flows import find_connection

    connection = make_connection("acme")
    assert connection.kind == "cognito" and connection.enabled and connection.has_client_secret
    assert find_connection(email="bob@acme.test") == connection == find_connection(org="acme")


def test_an_oidc_connection_states_only_what_differs(make_connection: Callable[..., Any]) -> None:
    connection = make_connection("initech", kind="oidc", allowed_groups=["ops"])
    assert connection.kind == "oidc" and connection.issuer == "https://initech.idp.example"
    assert connection.organization.name == "Initech" and connection.allowed_groups == ["ops"]


def test_an_identity_links_a_user_to_a_connection(
    make_connection: Callable[..., Any], make_identity: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    connection = make_connection("acme")
    identity = make_identity(connection, subject="00u-alice", email="alice@acme.test")
    assert identity.user.username == "acme.00u-alice" and identity.issuer == connection.issuer
    bob = make_user("bob", email="bob@acme.test")
    assert make_identity(connection, user=bob, subject="00u-bob").user == bob

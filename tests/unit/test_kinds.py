"""Connection kinds: every kind has a strategy, and only kinds/ knows which kind a connection is."""

from __future__ import annotations

import re
from pathlib import Path

from tenant_sso.kinds import KINDS, CognitoKind, OIDCKind, kind_of
from tenant_sso.models import Connection, Organization

SRC = Path(__file__).resolve().parents[2] / "src" / "tenant_sso"


def test_every_connection_kind_has_a_strategy() -> None:
    assert set(KINDS) == {str(value) for value in Connection.Kind.values}


def test_the_kind_decides_what_differs() -> None:
    org = Organization(slug="acme")
    cognito = Connection(kind="cognito", organization=org, identity_provider="AcmeOkta", extra_scopes=["x"])
    oidc = Connection(kind="oidc", organization=org)
    assert isinstance(kind_of(cognito), CognitoKind) and isinstance(kind_of(oidc), OIDCKind)
    assert kind_of(cognito).authorization_params(cognito, login_hint="a@acme.test") == {
        "identity_provider": "AcmeOkta"
    }
    assert kind_of(oidc).authorization_params(oidc, login_hint="a@acme.test") == {"login_hint": "a@acme.test"}
    assert (cognito.effective_groups_claim, oidc.effective_groups_claim) == ("custom:groups", "groups")
    assert kind_of(cognito).parse_groups("[a, b]") == ["a", "b"]
    assert kind_of(oidc).parse_groups("[a, b]") == ["[a, b]"]


def test_no_module_outside_kinds_branches_on_the_kind() -> None:
    branches = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "kinds" not in path.parts and re.search(r"\bis_cognito\b", path.read_text())
    ]
    assert branches == []

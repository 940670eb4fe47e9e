"""Groups arrive in every shape Cognito and plain OIDC providers send; the policy fails closed."""

from __future__ import annotations

from typing import Any

import pytest

from tenant_sso.claims import check_allowed, mapped_groups, parse_groups
from tenant_sso.cognito.claims import check_identity_provider, parse_identities
from tenant_sso.exceptions import AccessDenied


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["engineering", "sso-admins"], ["engineering", "sso-admins"]),  # JSON list (plain OIDC)
        ("[engineering, sso-admins]", ["engineering", "sso-admins"]),  # Cognito bracketed
        ('["engineering","sso-admins"]', ["engineering", "sso-admins"]),  # JSON array in a string
        ("engineering", ["engineering"]),  # a bare single value
        ("[engineering]", ["engineering"]),
        ("[R%26D, Sales+Ops]", ["R&D", "Sales Ops"]),  # URL-form-encoded values
        ("[a, a, b]", ["a", "b"]),
        ("[]", []),
        ("", []),
        ("   ", []),
        (None, []),
        ([], []),
        ("[unterminated, list", ["unterminated", "list"]),
        ('["x", 1, true, null]', ["x", "1"]),
    ],
)
def test_parse_groups_every_format(value: Any, expected: list[str]) -> None:
    assert parse_groups(value) == expected


@pytest.mark.parametrize("value", [{"a": 1}, 42, "x" * 70000, ["g"] * 2000])
def test_parse_groups_refuses_values_no_idp_sends(value: Any) -> None:
    with pytest.raises(AccessDenied) as info:
        parse_groups(value)
    assert info.value.code == "groups_claim_invalid"


@pytest.mark.parametrize("value", ["[" * 3000 + "]" * 3000, "[engineering, a%00b]"])
def test_hostile_cognito_group_strings_are_refused_not_crashed(value: str) -> None:
    """Nesting that would exhaust the recursion limit, and a NUL hidden by URL encoding."""
    with pytest.raises(AccessDenied) as info:
        parse_groups(value, cognito=True)
    assert info.value.code == "groups_claim_invalid"


def test_missing_or_empty_groups_are_denied() -> None:
    with pytest.raises(AccessDenied) as info:
        check_allowed([], ["engineering"])
    assert info.value.code == "groups_missing"


def test_groups_outside_allow_list_are_denied() -> None:
    with pytest.raises(AccessDenied) as info:
        check_allowed(["sales"], ["engineering"])
    assert info.value.code == "not_in_allowed_group"


def test_allowed_group_admits_and_is_reported() -> None:
    assert check_allowed(["sales", "engineering"], ["engineering"]) == ["engineering"]


def test_entra_object_ids_compare_case_insensitively() -> None:
    guid = "8D3C2A6B-1F2E-4C5D-9E8F-0A1B2C3D4E5F"
    assert check_allowed([guid], [guid.lower()]) == [guid]
    assert mapped_groups([guid.lower()], {guid: "Admins"}) == {"Admins"}


def test_names_stay_case_sensitive() -> None:
    with pytest.raises(AccessDenied):
        check_allowed(["Engineering"], ["engineering"])


def test_empty_allow_list_admits_nobody() -> None:
    with pytest.raises(AccessDenied):
        check_allowed(["engineering"], [])


def test_identities_claim_as_list_or_json_string() -> None:
    entry = {"providerName": "AcmeOkta", "userId": "00u1"}
    assert parse_identities([entry]) == [entry]
    assert parse_identities('[{"providerName": "AcmeOkta", "userId": "00u1"}]') == [entry]
    assert parse_identities("not json") == []


def test_identity_provider_must_match() -> None:
    check_identity_provider({"identities": '[{"providerName": "AcmeOkta"}]'}, "AcmeOkta")
    with pytest.raises(AccessDenied) as info:
        check_identity_provider({"identities": '[{"providerName": "Evil"}]'}, "AcmeOkta")
    assert info.value.code == "identity_provider_mismatch"
    with pytest.raises(AccessDenied):
        check_identity_provider({}, "AcmeOkta")

"""What Okta and Entra ID send (tests/scim/payloads.py) is understood, and does what it says."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from tests.scim import payloads


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.content
    return response.json_body  # type: ignore[no-any-return]


def test_okta_user_lifecycle(scim: Any) -> None:
    lookup = _ok(scim("GET", '/Users?filter=userName eq "test.user@acme.com"&startIndex=1&count=100'))
    assert lookup["totalResults"] == 0
    created = _ok(scim("POST", "/Users", payloads.okta_create_user("test.user@acme.com", "00ujl29u0le5T6Aj10h7")), 201)
    assert "password" not in created
    user = get_user_model().objects.get(email="test.user@acme.com")
    assert (user.first_name, user.last_name, user.is_active) == ("Test", "User", True)
    assert not user.has_usable_password()  # Okta's password is never a way in
    by_external = _ok(scim("GET", '/Users?filter=externalId eq "00ujl29u0le5T6Aj10h7"'))
    assert [r["id"] for r in by_external["Resources"]] == [created["id"]]

    deactivated = _ok(scim("PATCH", f"/Users/{created['id']}", payloads.OKTA_DEACTIVATE))
    assert deactivated["active"] is False
    user.refresh_from_db()
    assert user.is_active is False
    _ok(scim("PATCH", f"/Users/{created['id']}", payloads.OKTA_REACTIVATE))
    user.refresh_from_db()
    assert user.is_active is True


def test_okta_groups(scim: Any) -> None:
    from django.contrib.auth.models import Group

    ann = _ok(scim("POST", "/Users", payloads.okta_create_user("ann@acme.com", "00u-ann")), 201)
    bob = _ok(scim("POST", "/Users", payloads.okta_create_user("bob@acme.com", "00u-bob")), 201)
    group = _ok(scim("POST", "/Groups", payloads.okta_create_group("engineering")), 201)
    _ok(scim("PATCH", f"/Groups/{group['id']}", payloads.okta_add_members((ann["id"], "ann"), (bob["id"], "bob"))))
    engineers = set(Group.objects.get(name="Engineers").user_set.values_list("email", flat=True))
    assert engineers == {"ann@acme.com", "bob@acme.com"}

    _ok(scim("PATCH", f"/Groups/{group['id']}", payloads.okta_remove_member(bob["id"])))
    engineers = set(Group.objects.get(name="Engineers").user_set.values_list("email", flat=True))
    assert engineers == {"ann@acme.com"}

    renamed = _ok(scim("PATCH", f"/Groups/{group['id']}", payloads.okta_rename_group(group["id"], "admins")))
    assert renamed["displayName"] == "admins"
    ann_user = get_user_model().objects.get(email="ann@acme.com")
    assert set(ann_user.groups.values_list("name", flat=True)) == {"Administrators"}
    assert scim("DELETE", f"/Groups/{group['id']}").status_code == 204
    assert not ann_user.groups.exists()


def test_entra_user_lifecycle(scim: Any) -> None:
    created = _ok(
        scim("POST", "/Users", payloads.entra_create_user("ann@acme.com", "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")), 201
    )
    uid = created["id"]
    updated = _ok(scim("PATCH", f"/Users/{uid}", payloads.ENTRA_UPDATE))
    assert updated["name"]["familyName"] == "updatedFamilyName"
    assert [e["value"] for e in updated["emails"]] == ["updated@contoso.com"]
    user = get_user_model().objects.get(pk=get_user_model().objects.get(email="updated@contoso.com").pk)

    dotted = _ok(scim("PATCH", f"/Users/{uid}", payloads.ENTRA_DOTTED_VALUE))
    assert dotted["name"]["givenName"] == "Ann"
    assert dotted["displayName"] == "Ann Lee"
    assert dotted[payloads.ENTERPRISE]["department"] == "Finance"

    disabled = _ok(scim("PATCH", f"/Users/{uid}", payloads.ENTRA_DISABLE))
    assert disabled["active"] is False
    user.refresh_from_db()
    assert user.is_active is False
    listed = _ok(scim("GET", f'/Users?filter=userName eq "{created["userName"]}"'))
    assert listed["Resources"][0]["active"] is False  # Entra's validator reads it back
    _ok(scim("PATCH", f"/Users/{uid}", payloads.ENTRA_ENABLE))
    user.refresh_from_db()
    assert user.is_active is True


def test_entra_groups_remove_by_value_removes_only_that_member(scim: Any) -> None:
    from django.contrib.auth.models import Group

    ann = _ok(scim("POST", "/Users", payloads.entra_create_user("ann@acme.com", "oid-ann")), 201)
    bob = _ok(scim("POST", "/Users", payloads.entra_create_user("bob@acme.com", "oid-bob")), 201)
    group = _ok(scim("POST", "/Groups", payloads.entra_create_group("engineering", "8aa1a0c0")), 201)
    found = _ok(scim("GET", '/Groups?excludedAttributes=members&filter=displayName eq "engineering"'))
    assert [g["id"] for g in found["Resources"]] == [group["id"]]
    assert "members" not in found["Resources"][0]
    _ok(scim("PATCH", f"/Groups/{group['id']}", payloads.entra_members("Add", ann["id"], bob["id"])))
    _ok(scim("PATCH", f"/Groups/{group['id']}", payloads.entra_members("Remove", bob["id"])))
    members = _ok(scim("GET", f"/Groups/{group['id']}"))["members"]
    assert [m["value"] for m in members] == [ann["id"]]
    engineers = set(Group.objects.get(name="Engineers").user_set.values_list("email", flat=True))
    assert engineers == {"ann@acme.com"}


def test_bad_input_is_a_scim_error_never_a_500(scim: Any) -> None:
    created = _ok(scim("POST", "/Users", payloads.okta_create_user("ann@acme.com", "00u-ann")), 201)
    cases = [
        ("POST", "/Users", {"schemas": [payloads.USER]}),  # no userName
        ("POST", "/Users", payloads.okta_create_user("ann@acme.com", "other")),  # taken
        ("PATCH", f"/Users/{created['id']}", {"schemas": [payloads.PATCH], "Operations": [{"op": "explode"}]}),
        ("PATCH", f"/Users/{created['id']}", {"schemas": [payloads.PATCH], "Operations": "x"}),
        ("GET", '/Users?filter=userName eq "unterminated', None),
        ("GET", "/Users/not-a-uuid", None),
        ("POST", "/Groups", {"schemas": [payloads.GROUP], "displayName": "g", "members": [{"value": "nobody"}]}),
        ("PUT", f"/Users/{created['id']}", [1, 2]),
    ]
    for method, path, body in cases:
        response = scim(method, path, body)
        assert 400 <= response.status_code < 500, (method, path, response.status_code, response.content)
        assert response.json_body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    garbage = scim.client.generic(
        "POST", scim.url("/Users"), b"{not json", content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {scim.token}",
    )
    assert garbage.status_code == 400
    assert scim("POST", "/Users", payloads.okta_create_user("ann@acme.com", "x")).json_body["scimType"] == "uniqueness"

"""Request bodies as Okta and Microsoft Entra ID send them, recorded from their documentation:

* Okta: "SCIM 2.0 protocol reference" (developer.okta.com/docs/api/openapi/okta-scim/guides/
  scim-20): create with ``groups: []`` and a ``password``, lookup by ``userName eq``, deactivation
  as a path-less ``replace`` of ``{"active": false}``, group rename with ``id`` inside the value,
  member removal by a ``members[value eq "..."]`` filter.
* Entra ID: "Tutorial: Develop and plan provisioning for a SCIM endpoint" (learn.microsoft.com/
  entra/identity/app-provisioning/use-scim-to-provision-users-and-groups, "Request and response
  examples") and its "Known issues" (the behaviour before the ``aadOptscim062020`` flag):
  capitalised ``Replace``/``Add``/``Remove``, ``emails[type eq "work"].value``,
  ``"active": "False"`` as a string, dotted paths and enterprise URNs as keys of a path-less value,
  members removed by ``value`` with ``"$ref": null``.

User ids (``{id}``) are filled in by the tests from the responses.
"""

from __future__ import annotations

from typing import Any

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def okta_create_user(email: str, okta_id: str) -> dict[str, Any]:
    return {
        "schemas": [USER],
        "userName": email,
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": okta_id,
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }


OKTA_DEACTIVATE = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
OKTA_REACTIVATE = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": True}}]}


def okta_create_group(name: str) -> dict[str, Any]:
    return {"schemas": [GROUP], "displayName": name, "members": []}


def okta_rename_group(group_id: str, name: str) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"id": group_id, "displayName": name}}]}


def okta_add_members(*members: tuple[str, str]) -> dict[str, Any]:
    return {
        "schemas": [PATCH],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": v, "display": d} for v, d in members]}],
    }


def okta_remove_member(user_id: str) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": [{"op": "remove", "path": f'members[value eq "{user_id}"]'}]}


def entra_create_user(email: str, object_id: str) -> dict[str, Any]:
    return {
        "schemas": [USER, ENTERPRISE],
        "externalId": object_id,
        "userName": email,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
    }


ENTRA_UPDATE = {
    "schemas": [PATCH],
    "Operations": [
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updated@contoso.com"},
        {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
    ],
}
ENTRA_DOTTED_VALUE = {
    "schemas": [PATCH],
    "Operations": [
        {
            "op": "Add",
            "value": {
                "name.givenName": "Ann",
                "name.familyName": "Lee",
                f"{ENTERPRISE}:department": "Finance",
                "displayName": "Ann Lee",
            },
        }
    ],
}
ENTRA_DISABLE = {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
ENTRA_ENABLE = {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]}


def entra_create_group(name: str, object_id: str) -> dict[str, Any]:
    return {"schemas": [GROUP], "externalId": object_id, "displayName": name, "meta": {"resourceType": "Group"}}


def entra_members(op: str, *user_ids: str) -> dict[str, Any]:
    return {
        "schemas": [PATCH],
        "Operations": [{"op": op, "path": "members", "value": [{"$ref": None, "value": v} for v in user_ids]}],
    }

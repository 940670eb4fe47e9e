"""The SCIM service: what this server announces, and the requests of real clients made standard.

scim2-server validates, routes, applies PATCH and builds every response and SCIM error; this
module only describes the service (ServiceProviderConfig, the User and Group resource types with
the enterprise extension, their schemas) and rewrites, before validation, the shapes Entra ID and
Okta are documented to send that RFC 7644 does not allow (docs/scim.md, "What Okta and Entra
send"):

- ``"op": "Replace"`` (capitalised): scim2-models already ignores the case of ``op``;
- a PATCH ``value`` object whose keys are paths (``{"name.givenName": "Ann"}``,
  ``{"urn:...:enterprise:2.0:User:department": "X"}``): split into one operation per key;
- ``"active": "False"`` (a string, Entra ID): made a boolean, in PATCH values and in bodies;
- a member removal with the member in ``value`` and no filter (Entra ID:
  ``{"op": "Remove", "path": "members", "value": [{"value": "id"}]}``): turned into
  ``members[value eq "id"]`` for each member, not a removal of every member.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    InvalidValueException,
    Patch,
    Resource,
    ResourceType,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    User,
)
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService, scim_exception_of

from ..conf import app_settings

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#: Longest request body read (a group of ~10,000 members fits; anything longer is a 413).
MAX_BODY = 1024 * 1024


def _config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=app_settings.SCIM_MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="The organization's SCIM token (manage.py sso_scim_token create --org SLUG).",
                primary=True,
            )
        ],
    )


@lru_cache(maxsize=4)
def _provider(max_results: int) -> ScimProvider:
    user_type = ResourceType.model_validate(
        {
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
        }
    )
    group_type = ResourceType.from_resource(Group)
    return ScimProvider([User, EnterpriseUser, Group], [user_type, group_type], config=_config())


def provider() -> ScimProvider:
    return _provider(app_settings.SCIM_MAX_RESULTS)


# -- what real clients send --------------------------------------------------------------------
def _boolean(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def _normalise_resource(body: Any) -> Any:
    if isinstance(body, dict) and "active" in body:
        body["active"] = _boolean(body["active"])
    return body


def _split_value(operation: dict[str, Any]) -> list[dict[str, Any]]:
    """One operation per dotted or URN-qualified key of a path-less value (Entra ID, Okta)."""
    value = operation.get("value")
    if operation.get("path") or not isinstance(value, dict):
        return [operation]
    plain: dict[str, Any] = {}
    split: list[dict[str, Any]] = []
    for key, item in value.items():
        if key == "active":
            item = _boolean(item)
        if isinstance(key, str) and ("." in key.split(":")[-1] or (key.startswith("urn:") and key != ENTERPRISE)):
            split.append({"op": operation.get("op"), "path": key, "value": item})
        else:
            plain[key] = item
    if plain:
        split.insert(0, {**operation, "value": plain})
    return split or [operation]


def _member_removals(operation: dict[str, Any]) -> list[dict[str, Any]] | None:
    """``remove members`` with the members in ``value``: one filtered removal per member."""
    path = operation.get("path")
    if str(operation.get("op", "")).lower() != "remove" or not isinstance(path, str) or path.lower() != "members":
        return None
    value = operation.get("value")
    if not isinstance(value, list) or not value:
        return None
    removals = []
    for member in value:
        member_id = member.get("value") if isinstance(member, dict) else None
        if not isinstance(member_id, str):
            return None
        removals.append({"op": "remove", "path": f"members[value eq {json.dumps(member_id)}]"})
    return removals


def normalise_patch(body: Any) -> Any:
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        return body
    operations: list[Any] = []
    for operation in body["Operations"]:
        if not isinstance(operation, dict):
            operations.append(operation)
            continue
        removals = _member_removals(operation)
        if removals is not None:
            operations.extend(removals)
            continue
        path = operation.get("path")
        if isinstance(path, str) and path.lower() == "active":
            operation = {**operation, "value": _boolean(operation.get("value"))}
        operations.extend(_split_value(operation))
    return {**body, "Operations": operations}


class Service(ScimService):
    """scim2-server's service, with the request bodies of real clients made standard first."""

    def read_body(self, model: Any, body: bytes, content_type: str | None, scim_ctx: Context) -> Any:
        if len(body) > MAX_BODY:
            raise InvalidValueException(detail=f"request body over {MAX_BODY} bytes")
        value = self.decode_body(body, content_type)
        if isinstance(value, dict) and PATCH_SCHEMA in (value.get("schemas") or []):
            value = normalise_patch(value)
        else:
            value = _normalise_resource(value)
        try:
            return model.model_validate(value, scim_ctx=scim_ctx)
        except ValidationError as exception:
            raise scim_exception_of(exception) from exception

    def patch_response(self, base_url: str, resource: Resource[Any], response_parameters: Any) -> ScimResponse:
        """200 with the resource, always: Okta reads the user back from a PATCH's answer (the
        RFC allows 204 only as an option)."""
        published = self.publish(base_url, resource)
        return self.resource_response(published, Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters)


@lru_cache(maxsize=4)
def _service(max_results: int) -> Service:
    return Service(_provider(max_results))


def service() -> Service:
    return _service(app_settings.SCIM_MAX_RESULTS)

"""The SCIM user store of one organization: scim2-server's storage over ScimUser / ScimGroup.

Reads and converts here; every write goes through :mod:`tenant_sso.provisioning` (the only
writer of users and group memberships). Resources are validated by scim2-models before they
reach this module (the handler does it), so what arrives is a typed ``User`` or ``Group``.

Searches: an equality filter on ``userName``, ``externalId``, ``displayName`` or ``id`` (what
Okta and Entra ID send) is one indexed query; any other filter is evaluated by scim2-models on
the organization's resources (fine for thousands; docs/scim.md, "Limits").
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError
from django.db.models import QuerySet
from scim2_models import (
    Context,
    Group,
    InvalidValueException,
    Meta,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    SearchRequest,
    UniquenessException,
    User,
)
from scim2_models.path import Comparison
from scim2_server.storage import ScimStorage, SearchPage

from .. import provisioning
from ..models import Organization, ScimGroup, ScimUser

#: Attributes an equality filter is answered by the database for: SCIM name -> (model field, lookup).
USER_FIELDS = {"username": "user_name__iexact", "externalid": "external_id", "id": "scim_id"}
GROUP_FIELDS = {"displayname": "display_name__iexact", "externalid": "external_id", "id": "scim_id"}
#: What a user's stored ``data`` never holds (kept in columns or computed). ``active`` is kept
#: only to know whether the client set it: the value is always the Django user's ``is_active``.
NOT_STORED = {"id", "meta", "groups", "userName", "externalId", "schemas", "password"}


def _version(number: int) -> str:
    return f'W/"{number}"'


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _equality(search: SearchRequest[Any]) -> tuple[str, str] | None:
    """(attribute name lowercased, value) of a filter ``attr eq "value"``; else None."""
    scim_filter = search.filter
    if scim_filter is None:
        return None
    node = scim_filter.ast
    if not isinstance(node, Comparison) or str(node.op).lower() not in ("eq", "op.eq") or not isinstance(node.value, str):
        return None
    name = str(node.attr_path).rsplit(":", 1)[-1].lower()
    return name, node.value


class OrganizationStorage(ScimStorage):
    """The storage of one organization's SCIM resources."""

    def __init__(self, organization: Organization, models: dict[str, type[Resource[Any]]]):
        self.organization = organization
        self.models = models  # resource type name -> model (User with its extension, Group)

    # -- conversions -----------------------------------------------------------------------------
    def user_resource(self, record: ScimUser) -> Resource[Any]:
        payload: dict[str, Any] = {
            key: value for key, value in record.data.items() if key not in NOT_STORED and key != "active"
        }
        is_active = bool(getattr(record.user, "is_active", True))
        if "active" in record.data or not is_active:  # a client that never set it sees it unset
            payload["active"] = is_active
        payload.update(
            {
                "id": str(record.scim_id),
                "userName": record.user_name,
                "meta": {
                    "resourceType": "User",
                    "created": record.created_at.isoformat(),
                    "lastModified": record.updated_at.isoformat(),
                    "version": _version(record.version),
                },
            }
        )
        if record.external_id:
            payload["externalId"] = record.external_id
        groups = [
            {"value": str(g.scim_id), "display": g.display_name, "$ref": f"Groups/{g.scim_id}", "type": "direct"}
            for g in record.groups.all()
        ]
        if groups:
            payload["groups"] = groups
        return self.models["User"].model_validate(payload)

    def group_resource(self, group: ScimGroup) -> Resource[Any]:
        payload: dict[str, Any] = {
            "id": str(group.scim_id),
            "displayName": group.display_name,
            "meta": {
                "resourceType": "Group",
                "created": group.created_at.isoformat(),
                "lastModified": group.updated_at.isoformat(),
                "version": _version(group.version),
            },
        }
        if group.external_id:
            payload["externalId"] = group.external_id
        members = [
            {
                "value": str(m.scim_id),
                "display": group.member_display.get(str(m.scim_id)) or m.user_name,
                "$ref": f"Users/{m.scim_id}",
                "type": "User",
            }
            for m in group.members.all()
        ]
        if members:
            payload["members"] = members
        return self.models["Group"].model_validate(payload)

    @staticmethod
    def user_values(resource: Resource[Any]) -> provisioning.ScimUserValues:
        user: User[Any] = resource  # type: ignore[assignment]
        data = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        data = {key: value for key, value in data.items() if key not in NOT_STORED}
        emails = list(user.emails or [])
        primary = next((e for e in emails if e.primary), emails[0] if emails else None)
        email = str(primary.value) if primary is not None and primary.value else ""
        if not email and user.user_name and "@" in user.user_name:
            email = user.user_name
        name = user.name
        active = True if user.active is None else bool(user.active)
        return provisioning.ScimUserValues(
            user_name=str(user.user_name or ""),
            external_id=str(user.external_id or "")[:255],
            active=active,
            email=email,
            given_name=str(name.given_name or "") if name else "",
            family_name=str(name.family_name or "") if name else "",
            data=data,
        )

    @staticmethod
    def _displays(resource: Resource[Any]) -> dict[str, str]:
        group: Group = resource  # type: ignore[assignment]
        return {str(m.value): str(m.display)[:255] for m in group.members or [] if m.value and m.display}

    def _member_ids(self, resource: Resource[Any]) -> list[str]:
        group: Group = resource  # type: ignore[assignment]
        wanted = [str(m.value) for m in group.members or [] if m.value]
        ids = {u for u in (_uuid(v) for v in wanted) if u is not None}
        known = set(
            ScimUser.objects.filter(organization=self.organization, scim_id__in=ids).values_list("scim_id", flat=True)
        )
        unknown = [v for v in wanted if _uuid(v) not in known]
        if unknown:
            raise InvalidValueException(detail=f"members: no user {unknown[0]!r} in this organization")
        return [str(v) for v in known]

    # -- queries ---------------------------------------------------------------------------------
    def _users(self) -> QuerySet[ScimUser]:
        return (
            ScimUser.objects.filter(organization=self.organization)
            .select_related("user")
            .prefetch_related("groups")
        )

    def _groups(self) -> QuerySet[ScimGroup]:
        return ScimGroup.objects.filter(organization=self.organization).prefetch_related("members")

    def _user(self, resource_id: str | None) -> ScimUser:
        key = _uuid(resource_id)
        record = self._users().filter(scim_id=key).first() if key else None
        if record is None:
            raise NotFoundException(detail=f"no User {resource_id!r}")
        return record

    def _group(self, resource_id: str | None) -> ScimGroup:
        key = _uuid(resource_id)
        group = self._groups().filter(scim_id=key).first() if key else None
        if group is None:
            raise NotFoundException(detail=f"no Group {resource_id!r}")
        return group

    @staticmethod
    def _check_version(number: int, expected: str | None) -> None:
        if expected is not None and expected != _version(number):
            raise PreconditionFailedException()

    # -- the storage contract ------------------------------------------------------------------
    def get(self, resource_type: ResourceType, resource_id: str, *, response_parameters: Any = None) -> Resource[Any]:
        if resource_type.name == "Group":
            return self.group_resource(self._group(resource_id))
        return self.user_resource(self._user(resource_id))

    def search(
        self, resource_types: list[ResourceType], search_request: SearchRequest[Any], *, position: Any = None
    ) -> SearchPage:
        names = [name for name in ("User", "Group") if name in {rt.name for rt in resource_types}]
        equality = _equality(search_request)
        start = search_request.start_index_0 or 0
        stop = None if search_request.count is None else start + search_request.count
        sets: list[tuple[Any, Any]] = []
        exact = True  # whether the database alone answers the filter (then it pages too)
        for name in names:
            fields = USER_FIELDS if name == "User" else GROUP_FIELDS
            rows: Any = self._users() if name == "User" else self._groups()
            if equality is not None and equality[0] in fields:
                value: Any = equality[1]
                if fields[equality[0]] == "scim_id":
                    value = _uuid(value)
                rows = rows.filter(**{fields[equality[0]]: value}) if value is not None else rows.none()
            elif search_request.filter is not None:
                exact = False
            sets.append((rows, self.user_resource if name == "User" else self.group_resource))
        if exact and len(sets) == 1:
            rows, convert = sets[0]
            return SearchPage(rows.count(), [convert(row) for row in rows[start:stop]])
        found = [
            resource
            for rows, convert in sets
            for resource in map(convert, rows)
            if search_request.filter is None or _matches(search_request, resource)
        ]
        return SearchPage(len(found), found[start:stop])

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        try:
            if resource_type.name == "Group":
                group: Group = resource  # type: ignore[assignment]
                name = str(group.display_name or "")
                if ScimGroup.objects.filter(organization=self.organization, display_name__iexact=name).exists():
                    raise UniquenessException(detail=f"a group named {name!r} exists")
                created = provisioning.scim_create_group(
                    self.organization, uuid.uuid4(), name, str(group.external_id or ""), self._member_ids(resource),
                    self._displays(resource),
                )
                return self.group_resource(self._group(str(created.scim_id)))
            values = self.user_values(resource)
            if ScimUser.objects.filter(organization=self.organization, user_name__iexact=values.user_name).exists():
                raise UniquenessException(detail=f"userName {values.user_name!r} is taken")
            record = provisioning.scim_create_user(self.organization, uuid.uuid4(), values)
            return self.user_resource(self._user(str(record.scim_id)))
        except IntegrityError as error:  # the same create, at the same moment, from another request
            raise UniquenessException(detail="taken by a concurrent request") from error

    def update(
        self, resource_type: ResourceType, resource: Resource[Any], *, expected_version: str | None = None
    ) -> Resource[Any]:
        try:
            if resource_type.name == "Group":
                current = self._group(resource.id)
                self._check_version(current.version, expected_version)
                group: Group = resource  # type: ignore[assignment]
                name = str(group.display_name or "")
                groups = ScimGroup.objects.filter(organization=self.organization, display_name__iexact=name)
                if groups.exclude(pk=current.pk).exists():
                    raise UniquenessException(detail=f"a group named {name!r} exists")
                provisioning.scim_replace_group(
                    current, name, str(group.external_id or ""), self._member_ids(resource), self._displays(resource)
                )
                return self.group_resource(self._group(resource.id))
            record = self._user(resource.id)
            self._check_version(record.version, expected_version)
            values = self.user_values(resource)
            taken = ScimUser.objects.filter(organization=self.organization, user_name__iexact=values.user_name)
            if taken.exclude(pk=record.pk).exists():
                raise UniquenessException(detail=f"userName {values.user_name!r} is taken")
            provisioning.scim_update_user(record, values)
            return self.user_resource(self._user(resource.id))
        except IntegrityError as error:
            raise UniquenessException(detail="taken by a concurrent request") from error

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None) -> None:
        if resource_type.name == "Group":
            group = self._group(resource_id)
            self._check_version(group.version, expected_version)
            provisioning.scim_delete_group(group)
            return
        record = self._user(resource_id)
        self._check_version(record.version, expected_version)
        provisioning.scim_delete_user(record)


def _matches(search_request: SearchRequest[Any], resource: Resource[Any]) -> bool:
    scim_filter = search_request.filter
    assert scim_filter is not None
    try:
        return bool(scim_filter.match(resource))
    except (ValueError, TypeError, AttributeError):  # an attribute the resource type lacks
        return False


__all__ = ["Meta", "OrganizationStorage"]

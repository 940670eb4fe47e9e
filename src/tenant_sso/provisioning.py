"""The only module that writes users, identities and group memberships.

A login runs in one transaction: the identity row is locked (``select_for_update``), so two
logins of the same person at once create one user and one identity, and their group syncs do not
interleave.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, router, transaction
from django.db.models import Exists, Q
from django.utils import timezone

from . import session_index, sql
from .adapter import SSOAdapter, remember_domain, verified_email_domain
from .claims import allowed_matches, mapped_groups
from .conf import app_settings
from .exceptions import AccessDenied
from .kinds import kind_of
from .models import Connection, FederatedIdentity, OrganizationDomain, ScimGroup, ScimUser, SSOSession


@dataclass
class Provisioned:
    user: Any
    identity: FederatedIdentity
    created: bool
    linked: bool
    django_groups: list[str]


def _new_user(adapter: SSOAdapter, connection: Connection, claims: dict[str, Any]) -> Any:
    User = get_user_model()
    username = adapter.username_for(connection, claims)
    if User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
        username = f"{username[:140]}.{secrets.token_hex(4)}"
    user = User(**{User.USERNAME_FIELD: username})
    user.set_unusable_password()
    return user


def sync_groups(
    user: Any, connection: Connection, idp_groups: list[str], *, current: set[str] | None = None
) -> list[str]:
    """Make the user's Django groups managed by this connection's mapping match ``idp_groups``.

    Groups the mapping does not mention (granted by hand) are left alone. ``current``: the
    user's managed groups when already known (a new user has none), else they are read.
    A user model without Django's groups (``groups``) has none to sync: nothing is mapped.
    """
    if not hasattr(user, "groups"):
        return []
    mapping = connection.group_mapping or {}
    managed = set(mapping.values())
    target = mapped_groups(idp_groups, mapping)
    if current is None:
        current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    if current - target:
        user.groups.remove(*Group.objects.filter(name__in=current - target))
    missing = target - current
    if missing:
        # One read for the groups that exist; get_or_create only for those that do not (once).
        found = {group.name: group for group in Group.objects.filter(name__in=missing)}
        for name in sorted(missing - set(found)):
            found[name] = Group.objects.get_or_create(name=name)[0]
        user.groups.add(*(found[name] for name in sorted(missing)))
    return sorted(target)


def _lock_identity(
    connection: Connection, lookup: dict[str, Any], claims: dict[str, Any], idp_groups: list[str]
) -> tuple[FederatedIdentity | None, bool]:
    """The identity, locked with its user, read in one round trip together with what the login
    checks next: whether the email's domain is the organization's (the trusted-email check) and
    whether the user's mapped groups already match (then the group sync reads and writes nothing).
    Returns (identity or None, groups in sync). The statement is SQL (``tenant_sso.sql``)."""
    domain = verified_email_domain(claims)
    mapping = connection.group_mapping or {}
    managed, target = set(mapping.values()), mapped_groups(idp_groups, mapping)
    user_model = get_user_model()
    counted = hasattr(user_model, "groups")
    locked = sql.lock_identity(
        router.db_for_write(FederatedIdentity),
        user_model,
        connection_id=connection.pk,
        issuer=lookup["issuer"],
        subject=lookup["subject"],
        organization_id=connection.organization_id,
        domain=domain,
        verified_only=connection.organization.require_verified_domains,
        managed=managed if counted else None,
        target=target,
    )
    if locked is None:
        return None, False
    if domain is not None:
        remember_domain(connection, domain, locked.domain_known)
    if not managed:
        return locked.identity, True
    if not counted:
        return locked.identity, False
    return locked.identity, locked.managed_count == locked.target_count == len(target)


def scim_user_for_login(connection: Connection, claims: dict[str, Any]) -> Any:
    """The SCIM-provisioned user a first login of this identity is (docs/scim.md, "Linking"):
    the organization's SCIM user whose externalId is the upstream subject (the token's ``sub``
    for OIDC, ``identities[].userId`` through Cognito, or the claim named by
    ``TENANT_SSO_SCIM_SUBJECT_CLAIM``), else the one whose email is the token's verified email in
    one of the organization's domains. Inactive users are returned too: the login is then
    refused with ``user_inactive``. None when the organization has no such SCIM user."""
    claim = app_settings.SCIM_SUBJECT_CLAIM
    subject = str(claims.get(claim) or "") if claim else kind_of(connection).upstream_subject(claims)
    domain = verified_email_domain(claims)
    email = str(claims.get("email", "")).strip() if domain is not None else ""
    wanted = Q(external_id=subject) if subject else Q(pk__in=[])
    if email:
        domains = OrganizationDomain.objects.filter(organization_id=connection.organization_id, domain=domain)
        if connection.organization.require_verified_domains:
            domains = domains.filter(verified_at__isnull=False)
        wanted |= Q(user__email__iexact=email) & Q(Exists(domains))
    # One query for both rules (a first login's round trips are pinned); the rules' order here.
    rows = list(
        ScimUser.objects.filter(wanted, organization_id=connection.organization_id).select_related("user")[:4]
    )
    by_subject = [r for r in rows if subject and r.external_id == subject]
    if len(by_subject) == 1:
        return by_subject[0].user
    by_email = [r for r in rows if email and str(getattr(r.user, "email", "")).lower() == email.lower()]
    if not by_subject and len(by_email) == 1:
        return by_email[0].user
    return None


def provision(
    adapter: SSOAdapter, connection: Connection, claims: dict[str, Any], idp_groups: list[str]
) -> Provisioned:
    """Find or create the user of (connection, iss, sub), update it, and sync its groups."""
    issuer, subject = claims["iss"], claims["sub"]
    lookup = {"connection": connection, "issuer": issuer, "subject": subject}
    now = timezone.now()
    email = str(claims.get("email", ""))[:254]
    # The federated user's name in the pool, for the Cognito admin calls made after login.
    cognito_username = str(claims.get("cognito:username", ""))[:255]
    with transaction.atomic():
        identity, groups_in_sync = _lock_identity(connection, lookup, claims, idp_groups)
        created = linked = False
        fresh = False  # an identity row created here, already holding this login's values
        if identity is None:
            try:
                with transaction.atomic():
                    user: Any = scim_user_for_login(connection, claims) or adapter.find_user_to_link(
                        connection, claims
                    )
                    linked = user is not None
                    if user is None:
                        user = _new_user(adapter, connection, claims)
                        adapter.populate_user(user, connection, claims, True)
                        user.save()
                        created = True
                    identity = FederatedIdentity.objects.create(
                        user=user,
                        email=email,
                        idp_groups=idp_groups,
                        cognito_username=cognito_username,
                        last_login_at=now,
                        **lookup,
                    )
                    fresh = True
            except IntegrityError:
                # Another request created this identity at the same moment: use theirs.
                created = linked = fresh = False
                identity = FederatedIdentity.objects.select_for_update().select_related("user").get(**lookup)
        user = identity.user
        if getattr(user, "is_active", True) is False:
            # Before any write: no profile update, no group sync, no session.
            raise AccessDenied(
                "user_inactive",
                "Your account is deactivated in this application. Please ask your administrator.",
                detail=f"user {user.pk} is not active",
            )
        before = {f.attname: getattr(user, f.attname) for f in user._meta.concrete_fields}
        adapter.populate_user(user, connection, claims, created)
        changed = [name for name, value in before.items() if getattr(user, name) != value]
        if changed:  # most logins change nothing: no UPDATE (last_login is login()'s to set)
            user.save(update_fields=changed)
        if groups_in_sync:
            django_groups = sorted(mapped_groups(idp_groups, connection.group_mapping or {}))
        else:
            django_groups = sync_groups(user, connection, idp_groups, current=set() if created else None)
        if not fresh:
            this_login = {"email": email, "idp_groups": idp_groups, "cognito_username": cognito_username,
                          "last_login_at": now}
            for name, value in this_login.items():
                setattr(identity, name, value)
            # Written as SQL (tenant_sso.sql), like the lock that read it: no model signals.
            sql.update(router.db_for_write(FederatedIdentity), FederatedIdentity, {"id": identity.pk}, this_login)
    return Provisioned(user, identity, created, linked, django_groups)


# -- SCIM 2.0 (docs/scim.md): the writes of tenant_sso.scim.store -------------------------------
# The SCIM store reads and converts; every write of a user, its groups or its SCIM record is here.
# Revocation: deactivation or deletion ends every SSO session of the user (session_index.revoke)
# inside the same transaction that marks the user inactive, with the user row locked, so a login
# running at the same moment either finishes before (and its session is ended) or sees the user
# inactive (refused with user_inactive). Cognito identities are also signed out globally.

SCIM_DEACTIVATED = "scim_deactivated"
SCIM_DELETED = "scim_deleted"
SCIM_GROUP_REMOVED = "scim_group_removed"
SCIM_REACTIVATED = "scim_reactivated"


@dataclass
class ScimUserValues:
    """What a SCIM client said about a user, already validated by scim2-models."""

    user_name: str
    external_id: str
    active: bool
    email: str
    given_name: str
    family_name: str
    data: dict[str, Any]


def _scim_domain_ok(organization: Any, domain: str) -> bool:
    """Whether ``domain`` is the organization's, for linking by email: a verified one when the
    organization requires verified domains (docs/scim.md, "Linking")."""
    domains = OrganizationDomain.objects.filter(organization=organization, domain=domain.strip().lower())
    if organization.require_verified_domains:
        domains = domains.filter(verified_at__isnull=False)
    return domains.exists()


def _scim_link_target(organization: Any, values: ScimUserValues) -> Any:
    """An existing user of this organization the new SCIM user is (docs/scim.md, "Linking"):
    the user of an identity whose subject is the externalId, else of an identity with the same
    email in one of the organization's domains. None: a new user is created."""
    identities = FederatedIdentity.objects.filter(connection__organization=organization).select_related("user")
    if values.external_id:
        # The upstream subject is the identity's subject (direct OIDC), or the user id inside the
        # Cognito username of a federated pool user ("<identity provider>_<upstream subject>").
        pool_names = [
            f"{name}_{values.external_id}"
            for name in Connection.objects.filter(organization=organization)
            .exclude(identity_provider="")
            .values_list("identity_provider", flat=True)
        ]
        found = list(
            identities.filter(Q(subject=values.external_id) | Q(cognito_username__in=pool_names))
            .values_list("user_id", flat=True)
            .distinct()[:2]
        )
        if len(found) == 1:
            return _own_user(organization, found[0])
    email = values.email
    if email and "@" in email:
        if _scim_domain_ok(organization, email.rsplit("@", 1)[1]):
            users = list(identities.filter(email__iexact=email).values_list("user_id", flat=True).distinct()[:2])
            if len(users) == 1:
                return _own_user(organization, users[0])
    return None


def _own_user(organization: Any, user_id: Any) -> Any:
    """The user, unless another organization also has it (an identity or a SCIM record there):
    one organization's SCIM client must not deactivate another's user. None: a new user."""
    elsewhere = FederatedIdentity.objects.filter(user_id=user_id).exclude(connection__organization=organization)
    if elsewhere.exists() or ScimUser.objects.filter(user_id=user_id).exclude(organization=organization).exists():
        return None
    return get_user_model().objects.get(pk=user_id)


def _apply_scim_values(user: Any, values: ScimUserValues) -> list[str]:
    """Copy the SCIM attributes onto the Django user; the names of the fields changed."""
    changed = []
    wanted = {"email": values.email[:254], "first_name": values.given_name[:150], "last_name": values.family_name[:150]}
    for name, value in wanted.items():
        if hasattr(user, name) and getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if getattr(user, "is_active", values.active) != values.active:
        user.is_active = values.active
        changed.append("is_active")
    return changed


def _end_access(user: Any, reason: str) -> list[str]:
    """End every SSO session of ``user`` and queue the global sign-out of its Cognito users;
    the user's fields changed (for the caller's save).

    The index ends the sessions it knows. A login racing this call (its checks passed just
    before, its session written just after) is not in it yet: for a user without a usable
    password (SSO only), a new unusable password changes Django's session auth hash, which
    every session of the user was bound to at login, so such a session is refused by Django's
    own check whatever its store (docs/scim.md, "Concurrency")."""
    session_index.revoke(SSOSession.objects.filter(user=user), reason)
    changed = []
    if hasattr(user, "has_usable_password") and not user.has_usable_password():
        user.set_unusable_password()
        changed.append("password")
    cognito = list(
        FederatedIdentity.objects.filter(user=user).exclude(cognito_username="").values_list("pk", flat=True)
    )
    if cognito:
        transaction.on_commit(lambda: _queue_cognito_sign_out(cognito))
    return changed


def _queue_cognito_sign_out(identity_pks: list[int]) -> None:
    from .background import defer
    from .tasks import cognito_global_sign_out  # deprov's task (docs/deprovisioning.md)

    for pk in identity_pks:
        defer(cognito_global_sign_out, pk)


def scim_create_user(organization: Any, scim_id: Any, values: ScimUserValues) -> Any:
    """Create (or link) the user of a new SCIM user; the ScimUser row."""
    User = get_user_model()
    with transaction.atomic():
        user = _scim_link_target(organization, values)
        if user is None:
            username = values.user_name[:150]
            if User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username}).exists():
                username = f"{username[:140]}.{secrets.token_hex(4)}"
            user = User(**{User.USERNAME_FIELD: username})
            user.set_unusable_password()
            _apply_scim_values(user, values)
            user.save()
        else:
            user = User.objects.select_for_update().get(pk=user.pk)
            was_active = getattr(user, "is_active", True)
            changed = _apply_scim_values(user, values)
            if was_active and not values.active:
                changed += _end_access(user, SCIM_DEACTIVATED)
            if changed:
                user.save(update_fields=changed)
        return ScimUser.objects.create(
            organization=organization,
            user=user,
            scim_id=scim_id,
            user_name=values.user_name,
            external_id=values.external_id,
            data=values.data,
        )


def scim_update_user(record: Any, values: ScimUserValues) -> Any:
    """Replace a SCIM user's attributes (PUT, or PATCH once applied); deactivation ends access."""
    with transaction.atomic():
        record = ScimUser.objects.select_for_update().get(pk=record.pk)
        user = get_user_model().objects.select_for_update().get(pk=record.user_id)
        was_active = getattr(user, "is_active", True)
        changed = _apply_scim_values(user, values)
        if was_active and not values.active:
            changed += _end_access(user, SCIM_DEACTIVATED)  # before the save: the signal finds none left
        elif not was_active and values.active:
            # A login that passed its checks just before the deactivation may have indexed its
            # session just after it: inert while the user is inactive (Django loads no inactive
            # user), it must not come back to life now. No session of an inactive user is legit.
            session_index.revoke(SSOSession.objects.filter(user=user), SCIM_REACTIVATED)
        if changed:
            user.save(update_fields=changed)
        record.user_name = values.user_name
        record.external_id = values.external_id
        record.data = values.data
        record.version += 1
        record.save(update_fields=["user_name", "external_id", "data", "version", "updated_at"])
        return record


def scim_delete_user(record: Any) -> None:
    """DELETE: the user is deactivated (kept for the audit trail), its sessions ended, its
    SCIM record and group memberships removed (its mapped Django groups with them)."""
    with transaction.atomic():
        record = ScimUser.objects.select_for_update().get(pk=record.pk)
        user = get_user_model().objects.select_for_update().get(pk=record.user_id)
        changed = _end_access(user, SCIM_DELETED)
        if getattr(user, "is_active", False):
            user.is_active = False
            changed.append("is_active")
        if changed:
            user.save(update_fields=changed)
        groups = list(record.groups.all())
        record.groups.clear()
        _sync_scim_groups_of(record, lost=bool(groups))
        record.delete()


def _idp_group_names(record: Any) -> list[str]:
    return sorted(record.groups.values_list("display_name", flat=True))


def _sync_scim_groups_of(record: Any, *, lost: bool) -> None:
    """Make the user's mapped Django groups match its SCIM groups, through every connection of
    the organization; when it lost a group and no allowed group is left, end its sessions there."""
    names = _idp_group_names(record)
    user = record.user
    for connection in Connection.objects.filter(organization_id=record.organization_id):
        if connection.group_mapping:
            sync_groups(user, connection, names)
        if lost and connection.allowed_groups and not allowed_matches(names, connection.allowed_groups):
            session_index.revoke(SSOSession.objects.filter(user=user, connection=connection), SCIM_GROUP_REMOVED)


def scim_replace_group(
    group: Any, display_name: str, external_id: str, member_ids: list[str], displays: dict[str, str]
) -> Any:
    """Replace a SCIM group (PUT, or PATCH once applied) with exactly these members (SCIM ids of
    the organization's users; unknown ones are refused by the store before); the group row."""
    with transaction.atomic():
        organization = group.organization_id
        group = ScimGroup.objects.select_for_update().get(pk=group.pk)
        before = set(group.members.values_list("pk", flat=True))
        wanted = list(ScimUser.objects.filter(organization_id=organization, scim_id__in=member_ids).select_related("user"))
        after = {m.pk for m in wanted}
        renamed = group.display_name != display_name
        group.display_name = display_name
        group.external_id = external_id
        group.member_display = {key: value for key, value in displays.items() if key in member_ids}
        group.version += 1
        group.save(update_fields=["display_name", "external_id", "member_display", "version", "updated_at"])
        group.members.remove(*(before - after))
        group.members.add(*(after - before))
        touched = before ^ after if not renamed else before | after
        for record in ScimUser.objects.filter(pk__in=touched).select_related("user"):
            _sync_scim_groups_of(record, lost=record.pk in before and (record.pk not in after or renamed))
        return group


def scim_create_group(
    organization: Any,
    scim_id: Any,
    display_name: str,
    external_id: str,
    member_ids: list[str],
    displays: dict[str, str],
) -> Any:
    """Create a SCIM group with these members; their mapped Django groups follow."""
    with transaction.atomic():
        group = ScimGroup.objects.create(
            organization=organization,
            scim_id=scim_id,
            display_name=display_name,
            external_id=external_id,
            member_display={key: value for key, value in displays.items() if key in member_ids},
        )
        members = list(ScimUser.objects.filter(organization=organization, scim_id__in=member_ids).select_related("user"))
        group.members.add(*members)
        for record in members:
            _sync_scim_groups_of(record, lost=False)
        return group


def scim_delete_group(group: Any) -> None:
    with transaction.atomic():
        group = ScimGroup.objects.select_for_update().get(pk=group.pk)
        members = list(group.members.select_related("user"))
        group.delete()
        for record in members:
            _sync_scim_groups_of(record, lost=True)

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
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .adapter import SSOAdapter, remember_domain, verified_email_domain
from .claims import mapped_groups
from .exceptions import AccessDenied
from .models import Connection, FederatedIdentity, OrganizationDomain


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
    """
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


def _groups_count(user_model: Any, names: set[str]) -> Any:
    """A subquery: how many of the groups ``names`` the identity's user is in."""
    field = user_model._meta.get_field("groups")
    through = field.remote_field.through
    user_fk, group_fk = field.m2m_field_name(), field.m2m_reverse_field_name()
    counted = (
        through.objects.filter(**{user_fk: OuterRef("user_id"), f"{group_fk}__name__in": names})
        .order_by()
        .values(user_fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), Value(0))


def _lock_identity(
    connection: Connection, lookup: dict[str, Any], claims: dict[str, Any], idp_groups: list[str]
) -> tuple[FederatedIdentity | None, bool]:
    """The identity, locked with its user, read in one round trip together with what the login
    checks next: whether the email's domain is the organization's (the trusted-email check) and
    whether the user's mapped groups already match (then the group sync reads and writes nothing).
    Returns (identity or None, groups in sync)."""
    queryset = FederatedIdentity.objects.select_for_update().select_related("user").filter(**lookup)
    domain = verified_email_domain(claims)
    if domain is not None:
        domains = OrganizationDomain.objects.filter(organization_id=connection.organization_id, domain=domain)
        if connection.organization.require_verified_domains:  # docs/domain-verification.md
            domains = domains.filter(verified_at__isnull=False)
        queryset = queryset.annotate(sso_domain_known=Exists(domains))
    mapping = connection.group_mapping or {}
    managed, target = set(mapping.values()), mapped_groups(idp_groups, mapping)
    user_model = get_user_model()
    if managed and hasattr(user_model, "groups"):
        queryset = queryset.annotate(
            sso_groups_managed=_groups_count(user_model, managed),
            sso_groups_target=_groups_count(user_model, target) if target else Value(0),
        )
    identity = queryset.first()
    if identity is None:
        return None, False
    if domain is not None:
        remember_domain(connection, domain, bool(identity.sso_domain_known))  # type: ignore[attr-defined]
    if not managed:
        return identity, True
    if not hasattr(user_model, "groups"):
        return identity, False
    have_managed = int(identity.sso_groups_managed)  # type: ignore[attr-defined]
    have_target = int(identity.sso_groups_target)  # type: ignore[attr-defined]
    return identity, have_managed == have_target == len(target)


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
                    user: Any = adapter.find_user_to_link(connection, claims)
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
            identity.email = email
            identity.idp_groups = idp_groups
            identity.cognito_username = cognito_username
            identity.last_login_at = now
            identity.save(update_fields=["email", "idp_groups", "cognito_username", "last_login_at"])
    return Provisioned(user, identity, created, linked, django_groups)

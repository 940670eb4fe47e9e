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
from django.utils import timezone

from .adapter import SSOAdapter
from .claims import mapped_groups
from .exceptions import AccessDenied
from .models import Connection, FederatedIdentity


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


def sync_groups(user: Any, connection: Connection, idp_groups: list[str]) -> list[str]:
    """Make the user's Django groups managed by this connection's mapping match ``idp_groups``.

    Groups the mapping does not mention (granted by hand) are left alone.
    """
    mapping = connection.group_mapping or {}
    managed = set(mapping.values())
    target = mapped_groups(idp_groups, mapping)
    current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    if current - target:
        user.groups.remove(*Group.objects.filter(name__in=current - target))
    if target - current:
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in sorted(target - current)))
    return sorted(target)


def provision(
    adapter: SSOAdapter, connection: Connection, claims: dict[str, Any], idp_groups: list[str]
) -> Provisioned:
    """Find or create the user of (connection, iss, sub), update it, and sync its groups."""
    issuer, subject = claims["iss"], claims["sub"]
    lookup = {"connection": connection, "issuer": issuer, "subject": subject}
    with transaction.atomic():
        identity = (
            FederatedIdentity.objects.select_for_update().select_related("user").filter(**lookup).first()
        )
        created = linked = False
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
                    identity = FederatedIdentity.objects.create(user=user, **lookup)
            except IntegrityError:
                # Another request created this identity at the same moment: use theirs.
                created = linked = False
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
        django_groups = sync_groups(user, connection, idp_groups)
        identity.email = str(claims.get("email", ""))[:254]
        identity.idp_groups = idp_groups
        identity.last_login_at = timezone.now()
        identity.save(update_fields=["email", "idp_groups", "last_login_at"])
    return Provisioned(user, identity, created, linked, django_groups)

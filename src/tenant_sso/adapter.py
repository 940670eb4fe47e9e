"""The adapter: small documented hooks a project overrides to change policy, not protocol.

Name a subclass in ``TENANT_SSO_ADAPTER``; reach it through :func:`get_adapter`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils.module_loading import import_string

from . import claims as group_claims
from .conf import app_settings
from .kinds import kind_of
from .models import Connection, FederatedIdentity, normalize_domain


def truthy_claim(value: Any) -> bool:
    """``email_verified`` is a boolean, but Cognito sometimes sends the string ``"true"``."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def verified_email_domain(claims: dict[str, Any]) -> str | None:
    """The normalized domain of the claimed email when ``email_verified`` is true; else None."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or not truthy_claim(claims.get("email_verified")):
        return None
    return normalize_domain(email.strip()[:254].rsplit("@", 1)[1])


#: Per loaded organization (one login's connection): domain -> whether it is the organization's.
_DOMAIN_MEMO = "_tenant_sso_domain_memo"


def remember_domain(connection: Connection, domain: str, known: bool) -> None:
    """Record a lookup already made for this login (provisioning reads it with the identity)."""
    connection.organization.__dict__.setdefault(_DOMAIN_MEMO, {})[domain] = known


def organization_has_domain(connection: Connection, domain: str) -> bool:
    """Whether ``domain`` is one of the connection's organization's domains (a verified one when
    it requires verified domains): one indexed query,
    at most once per loaded connection (a login asks up to three times)."""
    memo: dict[str, bool] = connection.organization.__dict__.setdefault(_DOMAIN_MEMO, {})
    if domain not in memo:
        rows = connection.organization.domains.filter(domain=domain)
        if connection.organization.require_verified_domains:
            rows = rows.filter(verified_at__isnull=False)
        memo[domain] = rows.exists()
    return memo[domain]


class SSOAdapter:
    def groups_from_claims(self, connection: Connection, claims: dict[str, Any]) -> list[str]:
        """The user's IdP groups: the groups claim, plus the roles claim when configured."""
        # Cognito's string shapes (bracketed lists, URL-encoded values) are Cognito's only: a plain
        # OIDC provider's claim is read as sent (a list, or one string = one group). The kind knows.
        kind = kind_of(connection)
        groups = kind.parse_groups(claims.get(connection.effective_groups_claim))
        if connection.roles_claim:
            for role in kind.parse_groups(claims.get(connection.roles_claim)):
                if role not in groups:
                    groups.append(role)
        return groups

    def check_access(self, connection: Connection, claims: dict[str, Any], groups: list[str]) -> list[str]:
        """Raise :class:`~tenant_sso.exceptions.AccessDenied` unless the user may sign in.

        Default: membership of one of the connection's allowed groups (fail closed).
        """
        return group_claims.check_allowed(groups, connection.allowed_groups)

    def username_for(self, connection: Connection, claims: dict[str, Any]) -> str:
        """Username of a new user: ``<org-slug>.<hash of issuer and subject>``, unique per identity."""
        digest = hashlib.sha256(f"{claims['iss']}\x00{claims['sub']}".encode()).hexdigest()[:16]
        return f"{connection.organization.slug}.{digest}"[:150]

    def populate_user(
        self, user: AbstractBaseUser, connection: Connection, claims: dict[str, Any], created: bool
    ) -> None:
        """Copy profile claims onto the user at every login (the IdP is the source of truth).

        The email only when :meth:`trusted_email` vouches for it; otherwise a new user's email
        stays empty and an existing user's email is left as it was (docs/flow.md).
        """
        email = self.trusted_email(connection, claims)
        if email is not None and hasattr(user, "email"):
            user.email = email
        for field, claim, limit in (
            ("first_name", "given_name", 150),
            ("last_name", "family_name", 150),
        ):
            value = claims.get(claim)
            if isinstance(value, str) and hasattr(user, field):
                setattr(user, field, value.strip()[:limit])

    def trusted_email(self, connection: Connection, claims: dict[str, Any]) -> str | None:
        """The claimed email if the policy trusts it: ``email_verified`` true (Cognito sends the
        string ``"true"``) and its domain one of this organization's domains; else None."""
        email = claims.get("email")
        domain = verified_email_domain(claims)
        if domain is None or not isinstance(email, str) or not organization_has_domain(connection, domain):
            return None
        return email.strip()[:254]

    def find_user_to_link(self, connection: Connection, claims: dict[str, Any]) -> AbstractBaseUser | None:
        """An existing account a first login may be linked to, by email; None creates a user.

        Only when the connection allows it, the IdP says the email is verified, the email's
        domain is one of this organization's domains (a verified one when the organization
        requires verified domains: docs/domain-verification.md), exactly one active account has that
        email, it is not a superuser, and it has no identity at another organization.
        """
        email = claims.get("email")
        if not connection.link_by_email or not isinstance(email, str) or "@" not in email:
            return None
        if not truthy_claim(claims.get("email_verified")):
            return None
        domain = normalize_domain(email.rsplit("@", 1)[1])
        organization = connection.organization
        if domain not in {
            d.domain for d in organization.domains.all() if d.verified_at or not organization.require_verified_domains
        }:
            return None
        matches = list(get_user_model().objects.filter(email__iexact=email, is_active=True)[:2])
        if len(matches) != 1 or getattr(matches[0], "is_superuser", False):
            return None
        user = matches[0]
        foreign = FederatedIdentity.objects.filter(user=user).exclude(
            connection__organization_id=connection.organization_id
        )
        return None if foreign.exists() else user


def get_adapter() -> SSOAdapter:
    adapter_class = import_string(app_settings.ADAPTER)
    return adapter_class()  # type: ignore[no-any-return]

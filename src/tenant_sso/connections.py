"""Creating and updating organizations and connections from code (commands, onboarding, scripts).

The admin, ``manage.py sso_connection`` and Cognito onboarding all end here, so every path
validates the same way (``Connection.clean``) and stores the secret only encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Connection, Organization, OrganizationDomain, normalize_domain


@dataclass
class ConnectionSpec:
    org_slug: str
    kind: str
    issuer: str
    client_id: str
    client_secret: str | None = None  # None keeps the stored secret
    org_name: str = ""
    email_domains: list[str] = field(default_factory=list)
    cognito_domain: str = ""
    identity_provider: str = ""
    allowed_groups: list[str] = field(default_factory=list)
    groups_claim: str = ""
    roles_claim: str = ""
    group_mapping: dict[str, str] = field(default_factory=dict)
    logout_redirect_url: str = ""
    extra_scopes: list[str] | None = None  # None keeps the stored ones
    signing_algorithms: list[str] | None = None  # None keeps the stored ones; [] = the global setting
    extra: dict[str, Any] = field(default_factory=dict)


def stored_issuer(kind: str, issuer: str) -> str:
    """The issuer as it is stored: exactly as configured for OIDC (``https://tenant.auth0.com/``
    keeps its slash: the comparison with discovery and tokens is exact), while a Cognito pool
    issuer, which never has one, is normalised."""
    issuer = issuer.strip()
    return issuer.rstrip("/") if kind == Connection.Kind.COGNITO else issuer


def validation_message(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    return " ".join(error.messages)


@transaction.atomic
def upsert_connection(spec: ConnectionSpec) -> tuple[Connection, bool]:
    """Create or update the organization and its enabled connection; returns (connection, created).

    Raises ``ValidationError`` with field messages when the spec is not valid; nothing is saved then.
    """
    org, _ = Organization.objects.get_or_create(
        slug=spec.org_slug, defaults={"name": spec.org_name or spec.org_slug}
    )
    if spec.org_name and org.name != spec.org_name:
        org.name = spec.org_name
        org.save(update_fields=["name"])
    for domain in spec.email_domains:
        domain = normalize_domain(domain)
        owner = OrganizationDomain.objects.filter(domain=domain).exclude(organization=org).first()
        if owner is not None:
            raise ValidationError(
                {"email_domains": [f"{domain} already belongs to {owner.organization.slug}."]}
            )
        OrganizationDomain.objects.get_or_create(organization=org, domain=domain)
    connection = org.connections.filter(enabled=True).first()
    created = connection is None
    if connection is None:
        connection = Connection(organization=org)
    connection.kind = spec.kind
    connection.issuer = stored_issuer(spec.kind, spec.issuer)
    connection.client_id = spec.client_id
    connection.cognito_domain = spec.cognito_domain
    connection.identity_provider = spec.identity_provider
    connection.allowed_groups = list(spec.allowed_groups)
    connection.groups_claim = spec.groups_claim
    connection.roles_claim = spec.roles_claim
    connection.group_mapping = dict(spec.group_mapping)
    connection.logout_redirect_url = spec.logout_redirect_url
    if spec.extra_scopes is not None:
        connection.extra_scopes = list(dict.fromkeys(s.strip() for s in spec.extra_scopes if s.strip()))
    if spec.signing_algorithms is not None:
        connection.signing_algorithms = list(dict.fromkeys(a.strip() for a in spec.signing_algorithms if a.strip()))
    for name, value in spec.extra.items():
        setattr(connection, name, value)
    if spec.client_secret is not None:
        connection.set_client_secret(spec.client_secret)
    if not connection.has_client_secret:
        raise ValidationError({"client_secret": ["A client secret is required."]})
    connection.enabled = True
    connection.full_clean(exclude=["organization"])
    connection.save()
    return connection, created

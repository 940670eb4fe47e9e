"""Creating and updating organizations and connections from code (commands, onboarding, scripts).

The admin, ``manage.py sso_connection`` and Cognito onboarding all end here, so every path
validates the same way (:mod:`tenant_sso.validation`, then ``Connection.clean``) and stores the
secret only encrypted. A refused value raises ``ValidationError`` whose messages carry the rule's
stable code (``error.error_dict[field][0].code``); :func:`validation_message` puts it in brackets.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from . import validation
from .models import Connection, Organization, OrganizationDomain, owner_label


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


def validation_message(error: ValidationError) -> str:
    """One line for a command: ``field: [code] message; ...`` (the code when the rule gave one)."""

    def words(errors: list[ValidationError]) -> str:
        parts = []
        for item in errors:
            for message in item.messages:
                parts.append(f"[{item.code}] {message}" if item.code else message)
        return " ".join(parts)

    if hasattr(error, "error_dict"):
        return "; ".join(f"{k}: {words(v)}" for k, v in error.error_dict.items())
    return words(error.error_list)


def _refused(field_name: str, problem: validation.InvalidValue) -> ValidationError:
    return ValidationError({field_name: [ValidationError(problem.message, code=problem.code)]})


def check_spec(spec: ConnectionSpec) -> ConnectionSpec:
    """``spec`` with its slug, email domains, issuer and Cognito domain normalised by
    :mod:`tenant_sso.validation`; ``ValidationError`` (coded) for the first value refused."""
    checks: list[tuple[str, Any]] = [
        ("org", lambda: validation.clean_slug(spec.org_slug)),
        ("email_domains", lambda: [validation.clean_email_domain(d) for d in spec.email_domains]),
        ("issuer", lambda: validation.clean_issuer(spec.issuer, spec.kind)),
        ("cognito_domain", lambda: validation.clean_cognito_domain(spec.cognito_domain)),
    ]
    values: dict[str, Any] = {}
    for name, check in checks:
        try:
            values[name] = check()
        except validation.InvalidValue as problem:
            raise _refused(name, problem) from problem
    return replace(
        spec,
        org_slug=values["org"],
        email_domains=list(dict.fromkeys(values["email_domains"])),
        issuer=values["issuer"],
        cognito_domain=values["cognito_domain"],
    )


@transaction.atomic
def upsert_connection(spec: ConnectionSpec) -> tuple[Connection, bool]:
    """Create or update the organization and its enabled connection; returns (connection, created).

    Raises ``ValidationError`` with field messages when the spec is not valid; nothing is saved then.
    """
    spec = check_spec(spec)
    org, _ = Organization.objects.get_or_create(
        slug=spec.org_slug, defaults={"name": spec.org_name or spec.org_slug}
    )
    if spec.org_name and org.name != spec.org_name:
        org.name = spec.org_name
        org.save(update_fields=["name"])
    for domain in spec.email_domains:
        owner = (
            OrganizationDomain.objects.filter(domain=domain)
            .exclude(organization=org)
            .select_related("organization")
            .first()
        )
        if owner is not None:
            message = f"{domain} already belongs to {owner_label(owner.organization)}."
            raise ValidationError({"email_domains": [ValidationError(message, code="email_domain_taken")]})
        OrganizationDomain.objects.get_or_create(organization=org, domain=domain)
    connection = org.connections.filter(enabled=True).first()
    created = connection is None
    if connection is None:
        connection = Connection(organization=org)
    connection.kind = spec.kind
    connection.issuer = spec.issuer
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

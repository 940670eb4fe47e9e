"""Factories as pytest fixtures: a test states only what matters about the rows it needs.

Registered for the whole suite by ``tests/conftest.py`` (``pytest_plugins``); each asks for the
database itself. Connections are made through :func:`tenant_sso.connections.upsert_connection`,
the path the admin, the command and onboarding take, so their values are normalised and
validated as a person's would be.

* ``make_organization(slug="acme", name=None, **fields)``
* ``make_connection(org="acme", kind="cognito", **spec)`` -- any :class:`ConnectionSpec` field;
  defaults: ``<org>-client`` / ``<org>-secret``, email domain ``<org>.test``, allowed group
  ``engineering``; a Cognito connection gets a pool issuer and a hosted domain, an OIDC one
  ``https://<org>.idp.example``.
* ``make_user(username="alice", **fields)``
* ``make_identity(connection, user=None, subject="sub-1", **fields)`` -- a federated identity
  (a user named after the subject when none is given).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

COGNITO_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"


@pytest.fixture
def make_organization(db: Any) -> Callable[..., Any]:
    from tenant_sso.models import Organization

    def make(slug: str = "acme", name: str | None = None, **fields: Any) -> Organization:
        return Organization.objects.create(slug=slug, name=name or slug.title(), **fields)

    return make


@pytest.fixture
def make_connection(db: Any) -> Callable[..., Any]:
    from tenant_sso.connections import ConnectionSpec, upsert_connection
    from tenant_sso.models import Connection

    def make(org: str = "acme", kind: str = "cognito", **spec: Any) -> Connection:
        defaults: dict[str, Any] = {
            "org_name": org.title(),
            "client_id": f"{org}-client",
            "client_secret": f"{org}-secret",
            "email_domains": [f"{org}.test"],
            "allowed_groups": ["engineering"],
        }
        if kind == "cognito":
            defaults.update(issuer=COGNITO_ISSUER, cognito_domain=f"https://{org}.auth.us-east-1.amazoncognito.com")
        else:
            defaults.update(issuer=f"https://{org}.idp.example")
        connection, _ = upsert_connection(ConnectionSpec(org_slug=org, kind=kind, **{**defaults, **spec}))
        return connection

    return make


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from django.contrib.auth import get_user_model

    def make(username: str = "alice", **fields: Any) -> Any:
        return get_user_model().objects.create_user(username, **fields)

    return make


@pytest.fixture
def make_identity(db: Any, make_user: Callable[..., Any]) -> Callable[..., Any]:
    from tenant_sso.models import FederatedIdentity

    def make(connection: Any, user: Any = None, subject: str = "sub-1", **fields: Any) -> FederatedIdentity:
        fields.setdefault("issuer", connection.issuer)
        return FederatedIdentity.objects.create(
            user=user if user is not None else make_user(f"{connection.organization.slug}.{subject}"),
            connection=connection, subject=subject, **fields,
        )

    return make

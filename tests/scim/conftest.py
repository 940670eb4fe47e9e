"""SCIM fixtures: an organization with an OIDC connection and its SCIM token, and a client."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse


@dataclass
class Scim:
    """Sends SCIM requests for one organization with its bearer token."""

    client: Client
    org: str
    token: str

    def url(self, path: str) -> str:
        return reverse("tenant_sso:scim_root", kwargs={"org": self.org}) + path

    def __call__(self, method: str, path: str, body: Any = None, token: str | None = None, **extra: Any) -> Any:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token if token is None else token}", **extra}
        data = json.dumps(body) if body is not None else ""
        response = self.client.generic(method, self.url(path), data, content_type="application/scim+json", **headers)
        response.json_body = json.loads(response.content) if response.content else None
        return response


@pytest.fixture
def scim_connection(make_connection: Callable[..., Any]) -> Any:
    return make_connection(
        "acme", kind="oidc", email_domains=["acme.com"], allowed_groups=["engineering", "admins"],
        group_mapping={"engineering": "Engineers", "admins": "Administrators"},
    )


@pytest.fixture
def scim(scim_connection: Any) -> Scim:
    from tenant_sso.scim import tokens

    token, _ = tokens.issue(scim_connection.organization)
    return Scim(Client(), "acme", token)


def user_body(user_name: str = "ann@acme.com", external_id: str = "00u-ann", **extra: Any) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": external_id,
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"value": user_name, "primary": True, "type": "work"}],
        "active": True,
        **extra,
    }


@pytest.fixture
def pool(idp: Any) -> Any:
    """The running DevIdP behind the ``idp`` server handle (its users, its admin API calls)."""
    return getattr(idp, "idp", idp)


@pytest.fixture
def acme_scim(tenants: Any) -> Scim:
    """SCIM for ``acme``, whose Cognito connection logs in through the local identity provider."""
    from tenant_sso.scim import tokens

    token, _ = tokens.issue(tenants["acme"].organization)
    return Scim(Client(), "acme", token)

"""The admin's SCIM token actions: the token is shown once with the base URL; rotation asks
first; revocation refuses the next request."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from tenant_sso.models import ScimToken


def _action(admin_client: Any, organization: Any, action: str, **extra: str) -> Any:
    return admin_client.post(
        reverse("admin:tenant_sso_organization_changelist"),
        {"action": action, "_selected_action": [organization.pk], **extra},
    )


def _shown_token(response: Any) -> str:
    match = re.search(rb'id="scim-token">([^<]+)<', response.content)
    assert match, response.content[:2000]
    return match.group(1).decode()


def test_create_shows_the_token_once_and_rotation_asks_first(admin_client: Any, scim_connection: Any) -> None:
    from tenant_sso.scim import tokens

    organization = scim_connection.organization
    created = _action(admin_client, organization, "issue_scim_token")
    assert created.status_code == 200 and "no-store" in created["Cache-Control"]
    token = _shown_token(created)
    assert b"/scim/v2/acme" in created.content
    assert tokens.authenticate(organization, f"Bearer {token}")
    assert token.encode() not in ScimToken.objects.get().token_digest.encode()

    confirm = _action(admin_client, organization, "issue_scim_token")
    assert b'id="scim-token"' not in confirm.content and b"Rotate the token" in confirm.content
    assert tokens.authenticate(organization, f"Bearer {token}")  # nothing rotated yet

    rotated = _action(admin_client, organization, "issue_scim_token", confirm="1")
    new = _shown_token(rotated)
    assert new != token
    assert not tokens.authenticate(organization, f"Bearer {token}")

    _action(admin_client, organization, "revoke_scim_token")
    assert not tokens.authenticate(organization, f"Bearer {new}")
    assert not ScimToken.objects.exists()

"""Cognito's ID token quirks (docs/cognito.md, "ID token claims"). No Django imports."""

from __future__ import annotations

import json
from typing import Any

from ..exceptions import AccessDenied


def parse_identities(value: Any) -> list[dict[str, Any]]:
    """The ``identities`` claim: a list, or sometimes a JSON string of that list."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # RecursionError: "[[[[...]]]]" thousands deep
            return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def check_identity_provider(claims: dict[str, Any], provider_name: str) -> None:
    """Defence in depth: a federated user's ``identities`` must name the tenant's IdP.

    The app client allows only that IdP, so this can only fail when Cognito is misconfigured
    (another provider enabled on the client): then refuse rather than admit a stranger.
    """
    if not provider_name:
        return
    names = {str(i.get("providerName", "")) for i in parse_identities(claims.get("identities"))}
    if provider_name not in names:
        raise AccessDenied(
            "identity_provider_mismatch",
            detail=f"identities name {sorted(names)[:3]}, expected the connection's provider",
        )

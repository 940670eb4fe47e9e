"""Groups from ID token claims, and the group policy. No Django imports.

One parser for every shape a multi-valued claim arrives in (docs/cognito.md,
"Groups"):

* a JSON list (plain OIDC providers: ``["a", "b"]``);
* Cognito's bracketed string ``"[a, b]"`` (not JSON);
* a JSON array inside a string ``'["a","b"]'``;
* a bare single value ``"a"``;
* values URL-form-encoded by Cognito (``R%26D``), decoded after splitting.

Entra ID sends group object IDs (GUIDs); they compare case-insensitively.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

from .exceptions import AccessDenied

MAX_CLAIM_LENGTH = 65536
MAX_GROUPS = 1000
MAX_GROUP_LENGTH = 256
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def normalize_group(name: str) -> str:
    """Canonical form for comparison: trimmed; GUIDs (Entra object IDs) lower-cased."""
    name = name.strip()
    return name.lower() if _GUID.match(name) else name


def _from_string(value: str) -> list[str]:
    text = value.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            inner = text[1:-1] if text.endswith("]") else text[1:]
            items = inner.split(",")
        else:
            if not isinstance(parsed, list):
                return []
            items = [str(v) for v in parsed if isinstance(v, str | int) and not isinstance(v, bool)]
    else:
        items = [text]
    return [unquote_plus(item.strip()) for item in items]


def parse_groups(value: Any) -> list[str]:
    """Every group in a claim value, de-duplicated in order; [] when absent or empty.

    Raises :class:`AccessDenied` (``groups_claim_invalid``) for values no IdP sends (objects,
    absurd sizes), so a malformed claim is refused, never half-read.
    """
    if value is None:
        return []
    if isinstance(value, list):
        if len(value) > MAX_GROUPS:
            raise AccessDenied("groups_claim_invalid", detail=f"{len(value)} groups in claim")
        items = [v.strip() for v in value if isinstance(v, str)]
    elif isinstance(value, str):
        if len(value) > MAX_CLAIM_LENGTH:
            raise AccessDenied("groups_claim_invalid", detail=f"groups claim of {len(value)} chars")
        items = _from_string(value)
    else:
        raise AccessDenied("groups_claim_invalid", detail=f"groups claim is a {type(value).__name__}")
    seen: dict[str, None] = {}
    for item in items:
        if item and len(item) <= MAX_GROUP_LENGTH:
            seen.setdefault(item, None)
    if len(seen) > MAX_GROUPS:
        raise AccessDenied("groups_claim_invalid", detail=f"{len(seen)} groups in claim")
    return list(seen)


def allowed_matches(groups: Iterable[str], allowed: Iterable[str]) -> list[str]:
    """The user's groups that appear in the allow-list."""
    allowed_set = {normalize_group(a) for a in allowed if a.strip()}
    return [g for g in groups if normalize_group(g) in allowed_set]


def check_allowed(groups: list[str], allowed: Iterable[str]) -> list[str]:
    """Admit only members of an allowed group; fail closed on a missing or empty claim.

    Cognito keeps the last value of ``custom:groups`` when the IdP stops sending it, so a token
    cannot tell "no groups now" from "old groups": an empty claim is a refusal, never a pass.
    """
    if not groups:
        raise AccessDenied(
            "groups_missing",
            "Your identity provider did not send any group for your account.",
            detail="groups claim missing or empty",
        )
    matched = allowed_matches(groups, allowed)
    if not matched:
        raise AccessDenied(
            "not_in_allowed_group",
            "Your account is not in a group that may sign in to this application.",
            detail=f"{len(groups)} groups, none allowed",
        )
    return matched


def mapped_groups(groups: Iterable[str], mapping: dict[str, str]) -> set[str]:
    """Django group names given by an IdP-group-to-Django-group mapping."""
    normalized = {normalize_group(k): v for k, v in mapping.items()}
    return {normalized[n] for n in map(normalize_group, groups) if n in normalized}

"""Groups from ID token claims, and the group policy. No Django imports.

One parser for every shape a multi-valued claim arrives in (docs/cognito.md,
"Groups"):

* a JSON list (plain OIDC providers: ``["a", "b"]``);
* Cognito's bracketed string ``"[a, b]"`` (not JSON);
* a JSON array inside a string ``'["a","b"]'``;
* a bare single value ``"a"``;
* values URL-form-encoded by Cognito (``R%26D``), decoded after splitting.

Those string shapes are Cognito's alone (``cognito=True``). A plain OIDC provider's claim is taken
as the provider sends it (``cognito=False``): a JSON list, or one string that is one group, so
``R+D``, ``C++`` and ``a%2Fb`` stay literal and ``[x]`` is a group named ``[x]``.

Entra ID sends group object IDs (GUIDs); they compare case-insensitively.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

from .exceptions import AccessDenied, TokenError
from .validation import plural

MAX_CLAIM_LENGTH = 65536
MAX_GROUPS = 1000
MAX_GROUP_LENGTH = 256
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


# -- the claims schema: every value from a provider, checked once at the boundary --------------
#: Nesting depth and number of values of a claims set (an ID token's payload, a userinfo answer).
MAX_CLAIMS_DEPTH = 16
MAX_CLAIMS_VALUES = 5000
#: Claims the product reads or stores, with their longest accepted length (characters).
STRING_CLAIMS = {
    "sub": 255,
    "email": 254,
    "given_name": 256,
    "family_name": 256,
    "middle_name": 256,
    "name": 512,
    "nickname": 256,
    "preferred_username": 256,
}
BOOLEAN_CLAIMS = ("email_verified",)


def _storable(text: str) -> bool:
    """No NUL (PostgreSQL text and jsonb refuse it) and no lone surrogate (not UTF-8 at all)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(text: str) -> bool:
    return _storable(text) and not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text)


def check_claims_schema(claims: dict[str, Any], *, source: str = "id_token") -> None:
    """Refuse a claims set the product could not store, show or compare safely.

    Every string anywhere in it (keys too) must be storable (no NUL, no lone surrogate); the
    structure is at most ``MAX_CLAIMS_DEPTH`` deep and ``MAX_CLAIMS_VALUES`` values large; the
    profile claims the product reads (``STRING_CLAIMS``) are strings of bounded length without
    control characters, ``email_verified`` is a boolean (or Cognito's ``"true"``/``"false"``).
    Raises :class:`TokenError` ``claims_invalid``; the detail names the claim, never its value.
    """

    def refuse(why: str) -> TokenError:
        return TokenError("claims_invalid", detail=f"{source}: {why}")

    stack: list[tuple[Any, int, str]] = [(claims, 0, "")]
    seen = 0
    while stack:
        value, depth, where = stack.pop()
        seen += 1
        if seen > MAX_CLAIMS_VALUES:
            raise refuse(f"more than {MAX_CLAIMS_VALUES} values")
        if depth > MAX_CLAIMS_DEPTH:
            raise refuse(f"nested deeper than {MAX_CLAIMS_DEPTH} levels")
        if isinstance(value, str):
            if not _storable(value):
                raise refuse(f"claim {where[:40]!r} holds NUL or an invalid character")
        elif isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str) or not _storable(key):
                    raise refuse("a claim name holds NUL or an invalid character")
                stack.append((item, depth + 1, where or key))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, where) for item in value)
    for name, limit in STRING_CLAIMS.items():
        value = claims.get(name)
        if value is None and name != "sub":
            continue
        if not isinstance(value, str) or not _printable(value) or len(value) > limit:
            raise refuse(f"{name} is not a string of at most {limit} printable characters")
    for name in BOOLEAN_CLAIMS:
        value = claims.get(name)
        if value is not None and not isinstance(value, bool) and str(value).lower() not in ("true", "false"):
            raise refuse(f"{name} is not a boolean")


def normalize_group(name: str) -> str:
    """Canonical form for comparison: trimmed; GUIDs (Entra object IDs) lower-cased."""
    name = name.strip()
    return name.lower() if GUID.match(name) else name


def _from_string(value: str) -> list[str]:
    text = value.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except RecursionError as exc:  # "[[[[...]]]]" thousands deep: no IdP sends that
            raise AccessDenied("groups_claim_invalid", detail="groups claim nested too deep") from exc
        except ValueError:
            inner = text[1:-1] if text.endswith("]") else text[1:]
            items = inner.split(",")
        else:
            if not isinstance(parsed, list):
                return []
            # No IdP nests lists in a groups claim. Refused explicitly, not by running out of
            # recursion: Python 3.13's JSON decoder goes deeper than 3.11's before it stops.
            if any(isinstance(v, list | dict) for v in parsed):
                raise AccessDenied("groups_claim_invalid", detail="groups claim holds nested values")
            items = [str(v) for v in parsed if isinstance(v, str | int) and not isinstance(v, bool)]
    else:
        items = [text]
    return [unquote_plus(item.strip()) for item in items]


def parse_groups(value: Any, *, cognito: bool = True) -> list[str]:
    """Every group in a claim value, de-duplicated in order; [] when absent or empty.

    ``cognito=False`` (plain OIDC connections): no string parsing and no URL decoding, a string
    is one group.

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
        items = _from_string(value) if cognito else [value.strip()]
    else:
        raise AccessDenied("groups_claim_invalid", detail=f"groups claim is a {type(value).__name__}")
    seen: dict[str, None] = {}
    for item in items:
        if not _printable(item):  # also after Cognito's %-decoding: "%00" is a NUL
            raise AccessDenied("groups_claim_invalid", detail="a group name holds a control character")
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
            detail=f"{plural(len(groups), 'group')}, none allowed",
        )
    return matched


def mapped_groups(groups: Iterable[str], mapping: dict[str, str]) -> set[str]:
    """Django group names given by an IdP-group-to-Django-group mapping."""
    normalized = {normalize_group(k): v for k, v in mapping.items()}
    return {normalized[n] for n in map(normalize_group, groups) if n in normalized}

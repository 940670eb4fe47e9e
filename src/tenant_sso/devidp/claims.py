"""Cognito-shaped claims: pool-user identity, multi-valued custom attributes, token claims.

Everything here is pure (plain data in, plain data out) so it can be tested without a server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .config import GroupsFormat, UserConfig

#: Cognito custom attribute values are strings of at most this many characters.
MAX_CUSTOM_ATTRIBUTE_LENGTH = 2048

# Characters java.net.URLEncoder leaves alone (plus alphanumerics); Cognito form-encodes a value
# holding anything else when it builds the bracketed list (see docs/cognito.md, "Groups").
_FORM_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")


def form_encode(value: str) -> str:
    """``application/x-www-form-urlencoded`` encoding as Java's ``URLEncoder`` does it.

    >>> form_encode("R&D team")
    'R%26D+team'
    """
    out: list[str] = []
    for byte in value.encode("utf-8"):
        if byte in _FORM_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def _needs_encoding(value: str) -> bool:
    return any(ch != " " and (ord(ch) > 0x7F or ord(ch) not in _FORM_SAFE) for ch in value)


def format_multi_value(values: Sequence[str], fmt: GroupsFormat) -> str | None:
    """Serialise a multi-valued upstream claim the way Cognito stores it in ``custom:*``.

    Returns ``None`` for an empty list (no claim at all).

    >>> format_multi_value(["engineering", "R&D"], "bracketed")
    '[engineering, R%26D]'
    >>> format_multi_value(["engineering", "R&D"], "json")
    '["engineering","R&D"]'
    >>> format_multi_value(["engineering", "R&D"], "single")
    'engineering'
    """
    if not values:
        return None
    if fmt == "json":
        return json.dumps(list(values), separators=(",", ":"), ensure_ascii=False)
    if fmt == "single":
        return values[0]
    return "[" + ", ".join(form_encode(v) if _needs_encoding(v) else v for v in values) + "]"


def pool_user_sub(user_pool_id: str, idp_name: str, upstream_sub: str) -> str:
    """Cognito's UUID for a federated pool user: stable for (pool, IdP, upstream subject)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cognito:{user_pool_id}/{idp_name}/{upstream_sub}"))


def at_hash(access_token: str) -> str:
    """OIDC Core 3.1.3.6: left half of SHA-256 of the access token, base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


@dataclass
class PoolUser:
    """The federated user as Cognito stores it in the pool (attributes synced at IdP sign-in)."""

    idp_name: str
    upstream_sub: str
    sub: str
    date_created_ms: int
    email: str
    email_verified: bool
    given_name: str | None
    family_name: str | None
    custom_groups: str | None
    custom_roles: str | None
    extra_claims: dict[str, Any]
    #: ``providerType`` in the ``identities`` claim: ``"OIDC"`` or ``"SAML"``.
    provider_type: str = "OIDC"

    @property
    def username(self) -> str:
        """``cognito:username`` of a federated user: ``<IdPName>_<upstream sub>``."""
        return f"{self.idp_name}_{self.upstream_sub}"

    def identities(self) -> str:
        """The ``identities`` claim: a JSON *string* of a one-element list, as Cognito sends it."""
        return json.dumps(
            [
                {
                    "userId": self.upstream_sub,
                    "providerName": self.idp_name,
                    "providerType": self.provider_type,
                    "issuer": None,
                    "primary": "true",
                    "dateCreated": str(self.date_created_ms),
                }
            ],
            separators=(",", ":"),
        )

    def sync_from(self, user: UserConfig, fmt: GroupsFormat, keep_stale: bool) -> None:
        """Copy the upstream user's attributes, as Cognito does at each federated sign-in.

        With ``keep_stale`` a multi-valued attribute the IdP no longer sends keeps its old value
        (Cognito's behaviour for mapped attributes that are absent from the IdP's claims).
        """
        self.email = user.email
        self.email_verified = user.email_verified
        self.given_name = user.given_name
        self.family_name = user.family_name
        groups = format_multi_value(user.groups, fmt)
        roles = format_multi_value(user.roles, fmt)
        self.custom_groups = groups if groups is not None or not keep_stale else self.custom_groups
        self.custom_roles = roles if roles is not None or not keep_stale else self.custom_roles
        self.extra_claims = dict(user.extra_claims)

    def too_long_attribute(self) -> str | None:
        """The name of a custom attribute past Cognito's 2,048-character limit, if any."""
        for name, value in (("custom:groups", self.custom_groups), ("custom:roles", self.custom_roles)):
            if value is not None and len(value) > MAX_CUSTOM_ATTRIBUTE_LENGTH:
                return name
        return None

    def attributes(self) -> dict[str, Any]:
        """User attributes as they appear in the ID token (``email_verified`` a boolean)."""
        attrs: dict[str, Any] = {
            "email": self.email,
            "email_verified": self.email_verified,
        }
        if self.given_name is not None:
            attrs["given_name"] = self.given_name
        if self.family_name is not None:
            attrs["family_name"] = self.family_name
        if self.custom_groups is not None:
            attrs["custom:groups"] = self.custom_groups
        if self.custom_roles is not None:
            attrs["custom:roles"] = self.custom_roles
        attrs.update(self.extra_claims)
        return attrs

    def userinfo(self) -> dict[str, Any]:
        """The ``/oauth2/userInfo`` document.

        Like Cognito's, every value is a string: ``email_verified`` is ``"true"``/``"false"``.
        """
        info: dict[str, Any] = {"sub": self.sub, "identities": self.identities()}
        for name, value in self.attributes().items():
            info[name] = ("true" if value else "false") if isinstance(value, bool) else value
        info["username"] = self.username
        return info

"""The names onboarding gives a tenant's resources in Cognito (derived from its slug), and its pool.

Stable names are how a run that stopped half-way finds what it created: the identity provider by
:func:`provider_name_for`, the app client by :func:`client_name_for`.
"""

from __future__ import annotations

import hashlib
import re

from ...exceptions import ConfigurationError
from .. import identifiers
from .model import PoolRef

# Cognito ProviderName: 1-32 characters of [^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+; we keep
# to ASCII letters, digits, "." and "-" so the name is also safe in URLs and in cognito:username
# (``<ProviderName>_<sub>``: an underscore in the name would make that ambiguous).
_PROVIDER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{2,31}$")
# Names Cognito reserves for its own and the social providers (compared case-insensitively).
_RESERVED_PROVIDER_NAMES = frozenset({"cognito", "cognitouserpool", "google", "facebook", "loginwithamazon", "signinwithapple"})


def provider_name_for(slug: str) -> str:
    """The Cognito identity provider name of a tenant: derived from its slug, stable, valid.

    The slug itself when it is already a valid name (readable in the console and in
    ``cognito:username``); otherwise a cleaned prefix plus 8 hex digits of the slug's SHA-256,
    so two slugs that clean to the same text still get different names.
    """
    if _PROVIDER_NAME_RE.match(slug) and slug.lower() not in _RESERVED_PROVIDER_NAMES:
        return slug
    cleaned = re.sub(r"[^A-Za-z0-9.\-]+", "-", slug).strip("-.") or "tenant"
    digest = hashlib.sha256(slug.encode()).hexdigest()[:8]
    return f"{cleaned[:23]}-{digest}"


def client_name_for(slug: str) -> str:
    """The app client's name: how a run that stopped before the database write finds it again."""
    return f"tenant-sso-{slug}"[:128]


def region_of_pool(user_pool_id: str) -> str:
    """``us-east-1_AbC`` -> ``us-east-1``; a malformed ID is a configuration error, not an AWS call."""
    region = identifiers.region_of(user_pool_id)
    if region is None:
        raise ConfigurationError(
            "cognito_bad_pool_id",
            f"{user_pool_id!r} is not a Cognito user pool ID (expected <region>_<id>, e.g. us-east-1_AbCdEf123).",
        )
    return region


def pool_of_issuer(issuer: str) -> PoolRef | None:
    """The pool behind a Cognito issuer URL; ``None`` for any other issuer."""
    pool = identifiers.pool_of_issuer(issuer)
    return PoolRef(*pool) if pool else None

"""The organization's SCIM bearer token (docs/scim.md, "The token").

A token is 256 random bits shown once, at creation or rotation; only its SHA-256 digest is
stored (a plain hash suffices: the token cannot be guessed, so there is nothing to stretch). A
request's token is compared to its organization's digest with ``hmac.compare_digest``; a token
of another organization is refused like a wrong one.
"""

from __future__ import annotations

import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from .. import crypto
from ..models import LoginEvent, Organization, ScimToken

PREFIX = "scim_"


digest = crypto.digest  # only the digest of a token is stored


def _audit(organization: Organization, reason: str) -> None:
    LoginEvent.objects.create(
        outcome=LoginEvent.Outcome.SCIM, reason=reason, organization=organization, detail={}
    )


def issue(organization: Organization) -> tuple[str, bool]:
    """Create or rotate the organization's token: (the new token, rotated?). The old token stops
    working at once."""
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ScimToken.objects.select_for_update().filter(organization=organization).first()
        if row is None:
            ScimToken.objects.create(organization=organization, token_digest=digest(token), hint=token[:9])
            rotated = False
        else:
            row.token_digest, row.hint, row.rotated_at = digest(token), token[:9], timezone.now()
            row.save(update_fields=["token_digest", "hint", "rotated_at"])
            rotated = True
        _audit(organization, "scim_token_rotated" if rotated else "scim_token_created")
    return token, rotated


def revoke(organization: Organization) -> bool:
    """Delete the organization's token (SCIM requests refused from now on); whether one existed."""
    deleted, _ = ScimToken.objects.filter(organization=organization).delete()
    if deleted:
        _audit(organization, "scim_token_revoked")
    return bool(deleted)


def authenticate(organization: Organization, authorization: str | None) -> bool:
    """Whether ``Authorization: Bearer <token>`` carries this organization's token."""
    if not authorization:
        return False
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 512:
        return False
    row = ScimToken.objects.filter(organization=organization).only("pk", "token_digest").first()
    # Compared even without a row, so a missing token and a wrong one take the same time.
    expected = row.token_digest if row is not None else digest(secrets.token_hex(16))
    if not hmac.compare_digest(digest(token), expected) or row is None:
        return False
    ScimToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return True

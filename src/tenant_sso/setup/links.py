"""Setup links and the setup session they open (docs/setup-portal.md, "Setup links").

A link is ``<mount>/setup/open/<secret>/``: 32 random bytes (``secrets.token_urlsafe``), of which
only the SHA-256 digest is stored. Opening it checks the digest, expiry and revocation, then
exchanges the secret for a setup session (a value in the Django session naming the organization
and the link) and redirects to a URL without the secret; the page that receives the secret sends
``Referrer-Policy: no-referrer``. Every later request of the wizard checks the link again, so a
revocation or expiry ends the setup session at once. Every use is a :class:`SetupEvent`.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from .. import audit, crypto, signals, throttling
from ..conf import app_settings
from ..exceptions import RequestError
from ..models import Organization, SetupEvent, SetupLink, SetupState

SESSION_KEY = "tenant_sso.setup"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_EXPIRES_IN = 90 * 24 * 3600


class SetupRefused(RequestError):
    """A setup link or setup session refused; ``code`` says why (docs/security.md)."""

    default_code = "setup_link_invalid"


digest = crypto.digest  # only the digest of a token is stored


def record(
    request: HttpRequest | None,
    action: str,
    *,
    organization: Organization | None = None,
    link: SetupLink | None = None,
    reason: str = "",
    actor: str = "",
    detail: dict[str, Any] | None = None,
) -> SetupEvent:
    """One audit row of the portal (never a secret in ``detail``)."""
    return SetupEvent.objects.create(
        organization=organization,
        link=link,
        action=action[:32],
        reason=reason[:64],
        actor=actor[:150],
        ip_address=audit.client_ip(request) if request is not None else None,
        detail=detail or {},
    )


def parse_duration(value: str) -> int:
    """``7d``, ``12h``, ``30m``, ``3600`` (seconds) -> seconds; ValueError otherwise."""
    match = re.fullmatch(r"\s*(\d{1,7})\s*([dhms]?)\s*", value or "")
    if not match:
        raise ValueError(f"{value!r} is not a duration: use e.g. 7d, 12h or 30m.")
    seconds = int(match.group(1)) * {"d": 86400, "h": 3600, "m": 60, "s": 1, "": 1}[match.group(2)]
    if not 60 <= seconds <= MAX_EXPIRES_IN:
        raise ValueError("A setup link lasts between 1 minute and 90 days.")
    return seconds


@dataclass(frozen=True)
class NewLink:
    link: SetupLink
    token: str  # shown once; never stored


def create_link(
    organization: Organization, *, expires_in: int | None = None, note: str = "", created_by: str = "",
    request: HttpRequest | None = None,
) -> NewLink:
    """A new link for ``organization`` (its secret is in the result only)."""
    token = secrets.token_urlsafe(32)
    ttl = expires_in if expires_in is not None else app_settings.SETUP_LINK_TTL
    link = SetupLink.objects.create(
        organization=organization,
        token_digest=digest(token),
        note=note[:200],
        created_by=created_by[:150],
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    state, _ = SetupState.objects.get_or_create(organization=organization)
    state.link_sent_at = timezone.now()
    state.save(update_fields=["link_sent_at"])
    record(request, "link_created", organization=organization, link=link, actor=created_by,
           detail={"expires_at": link.expires_at.isoformat(), "note": link.note})
    signals.setup_step.send(sender=Organization, organization=organization, step="link_sent",
                            detail={"link": link.pk})
    return NewLink(link, token)


def revoke_links(organization: Organization, *, actor: str = "", request: HttpRequest | None = None) -> int:
    """Revoke every live link of ``organization``; how many."""
    now = timezone.now()
    live = SetupLink.objects.filter(organization=organization, revoked_at__isnull=True, expires_at__gt=now)
    pks = list(live.values_list("pk", flat=True))
    SetupLink.objects.filter(pk__in=pks).update(revoked_at=now)
    if pks:
        record(request, "link_revoked", organization=organization, actor=actor, detail={"links": pks})
    return len(pks)


def _usable(link: SetupLink | None) -> SetupLink:
    if link is None:
        raise SetupRefused(
            "setup_link_invalid",
            "This setup link is not valid. Check that you copied all of it, or ask your contact for a new one.",
        )
    if link.revoked_at is not None:
        raise SetupRefused("setup_link_revoked", "This setup link was withdrawn. Ask your contact for a new one.")
    if link.expires_at <= timezone.now():
        raise SetupRefused("setup_link_expired", "This setup link has expired. Ask your contact for a new one.")
    return link


def open_link(request: HttpRequest, token: str) -> SetupLink:
    """Check ``token`` and start the setup session for its organization; audited either way."""
    link = None
    client = throttling.client_key(audit.client_ip(request))
    if throttling.over("setup", client, app_settings.RATE_LIMIT_PER_IP):
        raise SetupRefused("rate_limited", "Too many attempts. Please wait a minute and try again.", status=429)
    try:
        if _TOKEN.match(token or ""):
            link = SetupLink.objects.select_related("organization").filter(token_digest=digest(token)).first()
        _usable(link)
    except SetupRefused as refused:
        org = link.organization if link is not None else None
        # A made-up secret is anonymous traffic: its audit row only within the ceilings.
        if link is not None or throttling.should_record_anonymous(audit.client_ip(request), refused.code):
            record(request, "link_refused", organization=org, link=link, reason=refused.code)
        raise
    assert link is not None
    SetupLink.objects.filter(pk=link.pk).update(uses=F("uses") + 1, last_used_at=timezone.now())
    request.session.cycle_key()  # a fresh session id for the setup session (fixation)
    request.session[SESSION_KEY] = {"org": link.organization.slug, "link": link.pk, "at": int(time.time())}
    record(request, "link_opened", organization=link.organization, link=link)
    return link


def limit_checks(link: SetupLink) -> None:
    """The live checks and applies one link may trigger per window (each sends requests to the
    URL the person typed): ``TENANT_SSO_SETUP_CHECKS_PER_WINDOW``."""
    if throttling.over("setup-check", f"link:{link.pk}", app_settings.SETUP_CHECKS_PER_WINDOW):
        raise SetupRefused(
            "rate_limited", "Too many checks in a short time. Please wait a minute and try again.", status=429
        )


def current(request: HttpRequest, org: str) -> SetupLink:
    """The link behind this browser's setup session for ``org``, checked again (revocation and
    expiry act at once); :class:`SetupRefused` otherwise (audited)."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("link"), int):
        record(request, "refused", reason="setup_session_missing", detail={"org": str(org)[:100]})
        raise SetupRefused(
            "setup_session_missing",
            "Open the setup link you were sent to continue (this browser has no setup session).",
            status=403,
        )
    link = SetupLink.objects.select_related("organization").filter(pk=data["link"]).first()
    if link is None or data.get("org") != org or link.organization.slug != org:
        record(request, "refused", organization=link.organization if link else None, link=link,
               reason="setup_wrong_organization", detail={"org": str(org)[:100]})
        raise SetupRefused(
            "setup_wrong_organization",
            "Your setup link is for another organization: open the link you were sent for this one.",
            status=403,
        )
    try:
        _usable(link)
        if time.time() - float(data.get("at", 0)) > app_settings.SETUP_SESSION_TTL:
            raise SetupRefused("setup_session_expired", "Your setup session ended. Open your setup link again.")
    except SetupRefused as refused:
        request.session.pop(SESSION_KEY, None)
        record(request, "refused", organization=link.organization, link=link, reason=refused.code)
        raise
    return link


def link_url(token: str, request: HttpRequest | None = None) -> str:
    """The link's URL: ``TENANT_SSO_BASE_URL`` (else the request's origin) + the mount's path."""
    from django.urls import reverse

    path = reverse("tenant_sso:setup_open", kwargs={"token": token})
    base = app_settings.BASE_URL.rstrip("/")
    if base:
        return f"{base}{path}"
    return request.build_absolute_uri(path) if request is not None else path

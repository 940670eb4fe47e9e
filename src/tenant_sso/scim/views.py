"""Thin: the organization's token, the rate limit, scim2-server's handler, the audit.

Every SCIM request names its organization in the URL and must carry that organization's bearer
token (docs/scim.md); an unknown organization and a wrong token get the same 401. Each write is
one transaction (a refused write changes nothing) and one ``LoginEvent`` (outcome ``scim``).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import PayloadTooLargeException, SCIMException, UnauthorizedException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse

from .. import audit, throttling
from ..conf import app_settings
from ..models import LoginEvent, Organization
from . import service, tokens
from .store import OrganizationStorage

logger = logging.getLogger("tenant_sso.audit")

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
#: Reason codes of the SCIM audit events (docs/security.md, "SCIM").
REASONS = {
    "ok": "scim_write",
    "refused": "scim_refused",
    "unauthorized": "scim_unauthorized",
    "rate_limited": "scim_rate_limited",
}


class RateLimited(SCIMException):
    status = 429
    _default_detail = "Too many SCIM requests for this organization; retry after the window."


def _response(result: ScimResponse) -> HttpResponse:
    body = b"" if result.body is None else json.dumps(result.body).encode()
    response = HttpResponse(body, status=int(result.status))
    for name, value in result.headers.items():
        response[name] = value
    if result.body is None:
        del response["Content-Type"]
    response["Cache-Control"] = "no-store"
    return response


def _base_url(request: HttpRequest, slug: str) -> str:
    root = reverse("tenant_sso:scim_root", kwargs={"org": slug})
    return (app_settings.BASE_URL + root) if app_settings.BASE_URL else request.build_absolute_uri(root)


def base_url_for(slug: str) -> str:
    """The organization's SCIM base URL as configured in the IdP (needs ``TENANT_SSO_BASE_URL``
    to be absolute; the path alone otherwise)."""
    return app_settings.BASE_URL + reverse("tenant_sso:scim_root", kwargs={"org": slug})


def _audit(request: HttpRequest, organization: Organization | None, reason: str, detail: dict[str, Any]) -> None:
    anonymous = organization is None or reason in (REASONS["unauthorized"], REASONS["rate_limited"])
    if anonymous and not throttling.should_record_anonymous(audit.client_ip(request), reason):
        return
    LoginEvent.objects.create(
        outcome=LoginEvent.Outcome.SCIM,
        reason=reason,
        organization=organization,
        ip_address=audit.client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        detail=detail,
    )
    logger.info("scim %s org=%s %s", reason, organization.pk if organization else "-", detail)


@csrf_exempt
def endpoint(request: HttpRequest, org: str, rest: str | None = None) -> HttpResponse:
    svc = service.service()
    path = rest or "/"
    detail: dict[str, Any] = {"method": request.method, "path": path[:200]}
    client = throttling.client_key(audit.client_ip(request))
    if throttling.over("scim", f"org:{org}", app_settings.RATE_LIMIT_PER_SCIM_TOKEN):
        _audit(request, None, REASONS["rate_limited"], detail)
        response = _response(svc.error_response(RateLimited()))
        response["Retry-After"] = str(app_settings.RATE_LIMIT_WINDOW)
        return response
    organization = Organization.objects.filter(slug=org).first()
    if organization is None or not tokens.authenticate(organization, request.headers.get("Authorization")):
        # Failed attempts count per client too: a token cannot be guessed, but the rows can flood.
        throttling.over("scim_auth", client, app_settings.RATE_LIMIT_PER_IP)
        _audit(request, None, REASONS["unauthorized"], {**detail, "organization": org[:100]})
        return _response(svc.error_response(UnauthorizedException()))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > service.MAX_BODY:
        result = svc.error_response(PayloadTooLargeException(detail=f"request body over {service.MAX_BODY} bytes"))
        _audit(request, organization, REASONS["refused"], {**detail, "status": int(result.status)})
        return _response(result)
    scim_request = ScimRequest(
        method=str(request.method),
        base_url=_base_url(request, organization.slug),
        path=path,
        query={str(key): str(value) for key, value in request.GET.items()},
        headers=list(request.headers.items()),
        body=request.body,
        subject=organization,
    )
    storage = OrganizationStorage(organization, {str(rt.name): svc.get_model(rt) for rt in svc.provider.resource_types})
    handler = ScimHandler(svc, storage)
    try:
        with transaction.atomic():
            result = handler.handle(scim_request)
    except SCIMException as error:
        result = svc.error_response(error)
    except Exception:  # a bug: a SCIM error body, the traceback in the log, never Django's 500 page
        logger.exception("scim request failed org=%s %s %s", organization.pk, request.method, path[:200])
        result = svc.error_response(RuntimeError())
    searching = path.rstrip("/").endswith(".search")  # a POST that reads
    if request.method not in WRITES or searching:  # reads: the audit log line only (Okta polls often)
        logger.info("scim read org=%s %s %s status=%s", organization.pk, request.method, path[:200], int(result.status))
    else:
        status = int(result.status)
        detail["status"] = status
        if result.body and isinstance(result.body.get("id"), str):
            detail["id"] = result.body["id"]
        if result.body and status >= 400:
            detail["scimType"] = result.body.get("scimType", "")
            detail["error"] = str(result.body.get("detail", ""))[:200]
        _audit(request, organization, REASONS["ok"] if status < HTTPStatus.BAD_REQUEST else REASONS["refused"], detail)
    return _response(result)

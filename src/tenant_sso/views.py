"""Thin views: read the request, call a flow, turn the outcome into a response and an audit event."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import audit, flows, signals, stash, throttling
from .conf import app_settings
from .exceptions import RequestError, SSOError
from .models import Connection, LoginEvent, Organization
from .session import get_sso
from .urlsafety import safe_next

logger = logging.getLogger("tenant_sso")

View = Callable[..., HttpResponse]


def sso_response(view: View) -> View:
    """No caching of SSO responses, no referrer leaking the code or state (RFC 6749 10.3, 10.12);
    the login attempt cookies the view set or took (:func:`tenant_sso.stash.write_cookies`)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = stash.write_cookies(request, view(request, *args, **kwargs))
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        response.setdefault("Referrer-Policy", "no-referrer")
        if response.status_code >= 400:
            # Django logs 4xx/5xx on django.request with the request attached, and handlers such
            # as AdminEmailHandler render its full URL: the callback's code and state. Log the
            # same line without the request (the audit event has the details).
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=None)
        return response

    return wrapper


def error_response(
    request: HttpRequest,
    error: SSOError,
    *,
    connection: Connection | None = None,
    claims: dict[str, Any] | None = None,
) -> HttpResponse:
    """One error page and one audit event for every refusal.

    A refusal nobody signed in to (no validated token, no session user) gets its audit row only
    within the per-client and total ceilings of :mod:`tenant_sso.throttling`.
    """
    outcome = LoginEvent.Outcome.DENIED if error.status in (401, 403) else LoginEvent.Outcome.ERROR
    user = getattr(request, "user", None)
    anonymous = not claims and not (user is not None and user.is_authenticated)
    if not anonymous or throttling.should_record_anonymous(audit.client_ip(request), error.code):
        audit.record(
            request,
            outcome,
            reason=error.code,
            connection=connection,
            claims=claims,
            detail={"detail": error.detail[:500]} if error.detail else {},
        )
    signals.login_failed.send(
        sender=Connection, request=request, connection=connection, code=error.code, detail=error.detail
    )
    response = render(
        request,
        "tenant_sso/error.html",
        {"code": error.code, "message": error.message, "login_url": flows.login_page_url()},
        status=error.status,
    )
    if error.status == 429:
        response["Retry-After"] = str(app_settings.RATE_LIMIT_WINDOW)
    return response


RATE_LIMITED = "Too many sign-in attempts. Please wait a minute and try again."


def _rate_limit(request: HttpRequest, connection_pk: Any = None) -> None:
    """Per client address (login starts and callbacks together), then per organization."""
    if connection_pk is None:
        client = throttling.client_key(audit.client_ip(request))
        if throttling.over("ip", client, app_settings.RATE_LIMIT_PER_IP):
            raise RequestError("rate_limited", RATE_LIMITED, status=429, detail=f"client {client}")
    elif throttling.over("org", f"connection:{connection_pk}", app_settings.RATE_LIMIT_PER_ORGANIZATION):
        raise RequestError("rate_limited", RATE_LIMITED, status=429, detail="organization limit")


def _same_origin_navigation(request: HttpRequest) -> bool:
    """Whether a GET comes from a page of this site (docs/security.md, "Login CSRF").

    Fetch metadata decides: ``Sec-Fetch-Site: same-origin`` on a navigation. ``cross-site``,
    ``same-site`` (a sibling subdomain may be another tenant's), ``none`` (bookmark, typed URL),
    an ``Origin`` that is not ours, or no fetch metadata at all (older browsers): not same-origin,
    so the person confirms on our page first.
    """
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.get_host()}":
        return False
    return request.headers.get("Sec-Fetch-Site") == "same-origin" and request.headers.get(
        "Sec-Fetch-Mode", "navigate"
    ) in ("navigate", "same-origin")


def _login_params(request: HttpRequest) -> dict[str, str]:
    if request.method == "POST":
        if int(request.META.get("CONTENT_LENGTH") or 0) > app_settings.MAX_QUERY_LENGTH:
            raise RequestError("request_too_large", detail="form too long")
        return {key: request.POST.get(key, "") for key in ("org", "email", "next", "confirm")}
    return _query(request)


def _confirmation(
    request: HttpRequest, connection: Connection, params: dict[str, str], current: str | None
) -> HttpResponse:
    """The page a cross-site, bookmarked or organization-switching login start gets: it names
    the organization (and the one signed in now); its button POSTs with the CSRF token."""
    response = render(
        request,
        "tenant_sso/confirm_login.html",
        {
            "organization": connection.organization,
            "current_organization": flows.organization_name(current),
            "current_user": request.user if current is not None else None,
            "org": connection.organization.slug,
            "email": params.get("email", ""),
            "next": params.get("next", ""),
        },
    )
    return _form_page(response)  # its URL holds no code or state, only what was asked


def _query(request: HttpRequest) -> dict[str, str]:
    if len(request.META.get("QUERY_STRING", "")) > app_settings.MAX_QUERY_LENGTH:
        raise RequestError("request_too_large", detail="query string too long")
    return {key: request.GET.get(key, "") for key in request.GET}


def _form_page(response: HttpResponse) -> HttpResponse:
    """For pages with POST forms: under ``no-referrer`` browsers send ``Origin: null`` with the
    form, which Django's CSRF check refuses; ``same-origin`` keeps referrers inside the site
    (:func:`sso_response` only sets ``no-referrer`` where a view set no policy)."""
    response["Referrer-Policy"] = "same-origin"
    return response


@require_GET
@sso_response
def signin(request: HttpRequest) -> HttpResponse:
    """The package's login page (template ``tenant_sso/login.html``, overridable).

    Asks for the work email, or lists the organizations with ``TENANT_SSO_LOGIN_PAGE_ORGANIZATIONS``;
    the form posts to :func:`login_start`. A signed-in user is told so (with a way out).
    """
    next_url = safe_next(request.GET.get("next"), "")
    organizations = (
        Organization.objects.filter(connections__enabled=True).distinct().order_by("name")
        if app_settings.LOGIN_PAGE_ORGANIZATIONS
        else None
    )
    context = {
        "next": next_url,
        "continue_url": next_url or flows.landing_url(),
        "organizations": organizations,
        "logged_out": "logged_out" in request.GET,
        "sso": get_sso(request),
    }
    return _form_page(render(request, "tenant_sso/login.html", context))


@require_http_methods(["GET", "POST"])
@sso_response
def login_start(request: HttpRequest) -> HttpResponse:
    """``org=<slug>`` or ``email=<address>``, optional ``next``: redirect to the IdP.

    A POST (CSRF token checked by Django's middleware) starts the login. A GET starts it only
    when it is a navigation from a page of this site; otherwise, and whenever the browser is
    signed in to another organization (or without SSO), a confirmation page names the
    organization(s) and its button POSTs (``confirm=<slug>``). Nothing is written before that.
    """
    connection = None
    try:
        _rate_limit(request)
        params = _login_params(request)
        connection = flows.find_connection(org=params.get("org"), email=params.get("email"))
        _rate_limit(request, connection.pk)
        current = flows.session_organization(request)
        switching = current is not None and current != connection.organization.slug
        if request.method == "POST":
            confirmed = params.get("confirm") == connection.organization.slug
            site = request.headers.get("Sec-Fetch-Site", "same-origin")
            if (switching or site != "same-origin") and not confirmed:
                return _confirmation(request, connection, params, current)
        elif switching or not _same_origin_navigation(request):
            return _confirmation(request, connection, params, current)
        url = flows.begin_login(
            request, connection, next_url=params.get("next"), login_hint=params.get("email")
        )
    except SSOError as error:
        return error_response(request, error, connection=connection)
    return HttpResponseRedirect(url)


@require_GET
@sso_response
def idp_initiated(request: HttpRequest, org: str) -> HttpResponse:
    """An IdP-initiated SAML sign-in landing from Cognito (``?code=...``, no ``state``).

    The code is ignored, never redeemed; the connection's ``idp_initiated`` decides between a
    fresh SP-initiated login and ``idp_initiated_disabled``. A browser signed in to another
    organization (or without SSO) gets the confirmation page: a session is never replaced
    silently (docs/security.md, "IdP-initiated sign-in").
    """
    connection = None
    try:
        _rate_limit(request)
        connection = flows.find_connection(org=org)
        _rate_limit(request, connection.pk)
        if connection.idp_initiated:
            current = flows.session_organization(request)
            if current is not None and current != connection.organization.slug:
                return _confirmation(request, connection, {}, current)
        url = flows.begin_idp_initiated_login(request, connection)
    except SSOError as error:
        return error_response(request, error, connection=connection)
    return HttpResponseRedirect(url)


@require_GET
@sso_response
def callback(request: HttpRequest, org: str | None = None) -> HttpResponse:
    """The redirect URI: shared (``callback/``, Cognito) or an organization's own
    (``callback/<org>/``, OIDC); the ``state`` says which connection it belongs to."""
    attempt = None
    try:
        _rate_limit(request)
        params = _query(request)
        attempt = flows.pending_attempt(request, params.get("state", ""))
        if attempt is not None:
            _rate_limit(request, attempt.get("connection"))
        login = flows.verify_callback(request, params, org=org)
    except flows.CallbackRefused as refused:
        if attempt is not None and attempt.get("mode") == flows.LoginMode.SETUP and refused.connection is not None:
            from .setup import views as setup_views  # the setup portal's test sign-in: back to its page

            return setup_views.test_refused(request, refused.connection, refused.error)
        return error_response(request, refused.error, connection=refused.connection, claims=refused.claims)
    except SSOError as error:
        return error_response(request, error)
    return FINISH[login.mode](request, login)


def _sign_in(request: HttpRequest, login: flows.VerifiedLogin) -> HttpResponse:
    """A real login: provision, start the session, audit, signal, then go to ``next``."""
    try:
        signed_in = flows.sign_in(request, login)
    except SSOError as error:
        return error_response(request, error, connection=login.connection, claims=login.claims)
    audit.record(
        request,
        LoginEvent.Outcome.SUCCESS,
        connection=login.connection,
        claims=login.claims,
        user=signed_in.user,
        detail={"groups": login.groups, "created": signed_in.created},
    )
    signals.login_succeeded.send(
        sender=Connection,
        request=request,
        user=signed_in.user,
        connection=login.connection,
        claims=login.claims,
        created=signed_in.created,
    )
    return HttpResponseRedirect(login.next_url)


def _test_result(request: HttpRequest, login: flows.VerifiedLogin) -> HttpResponse:
    """Admin "try login": show the claims, the groups parsed and the policy's decision; no session."""
    denial = login.denial
    audit.record(
        request,
        LoginEvent.Outcome.TEST,
        reason=denial.code if denial else "",
        connection=login.connection,
        claims=login.claims,
        detail={"groups": login.groups, "matched": login.matched},
    )
    return render(request, "tenant_sso/test_result.html", {"result": login, "denial": denial})


def _setup_test_result(request: HttpRequest, login: flows.VerifiedLogin) -> HttpResponse:
    """The setup portal's test sign-in: kept for the wizard, which shows it (no session)."""
    from .setup import views as setup_views

    return setup_views.test_finished(request, login)


#: What a verified callback does, by the mode its login was started in (the one dispatch).
FINISH: dict[flows.LoginMode, Callable[[HttpRequest, flows.VerifiedLogin], HttpResponse]] = {
    flows.LoginMode.LOGIN: _sign_in,
    flows.LoginMode.TEST: _test_result,
    flows.LoginMode.SETUP: _setup_test_result,
}


@require_POST
@sso_response
def logout(request: HttpRequest) -> HttpResponse:
    """``POST`` (CSRF-protected): end the Django session, then the identity provider's."""
    user = request.user if request.user.is_authenticated else None
    url, connection = flows.logout(request)
    if user is not None:
        audit.record(request, LoginEvent.Outcome.LOGOUT, connection=connection, user=user)
        signals.logged_out.send(sender=Connection, request=request, user=user, connection=connection)
    return HttpResponseRedirect(url)


@require_GET
@sso_response
def logout_upstream(request: HttpRequest) -> HttpResponse:
    """Cognito's sign-out URL (``logout_uri``) when the upstream IdP's session must end too.

    Redirects only to the connection's configured ``upstream_logout_url`` (see
    :func:`flows.upstream_logout`), never to a URL from the query string.
    """
    url, _connection = flows.upstream_logout(request)
    return HttpResponseRedirect(url)


@csrf_exempt  # a server-to-server POST from the IdP, authenticated by the token's signature
@require_POST
@sso_response
def backchannel_logout(request: HttpRequest, org: str) -> HttpResponse:
    """OIDC Back-Channel Logout 1.0 section 2.8: 200 when the token is valid (sessions ended, or
    none to end), 400 with an error JSON otherwise; never cached."""
    from .flows.backchannel import backchannel_logout as end_sessions

    # Not under the login rate limit: an IdP ending many sessions at once posts one token per
    # session from one address, and a refused logout keeps a session the IdP ended alive. Forgeries
    # cost one signature check (the JWKS refetch on an unknown kid is rate-limited by the resolver).
    try:
        # Spec 2.5: form-encoded; Django parses that (and multipart) into POST, anything else is empty.
        done = end_sessions(org, request.POST.get("logout_token"))
    except SSOError as error:
        if throttling.should_record_anonymous(audit.client_ip(request), error.code):
            audit.record(request, LoginEvent.Outcome.ERROR, reason=error.code,
                         detail={"detail": error.detail[:500], "endpoint": "backchannel_logout"})
        body = {"error": "invalid_request", "error_description": error.code}
        return JsonResponse(body, status=400)
    logger.info("back-channel logout org=%s sessions=%s", org, done.ended)
    return HttpResponse(status=200)

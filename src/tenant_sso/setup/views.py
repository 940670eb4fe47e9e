"""The setup portal's views: thin (read the request, call :mod:`.links` / :mod:`.wizard`, render).

Every page: ``Cache-Control: no-store``; the page that receives a link's secret sends
``Referrer-Policy: no-referrer`` and redirects to a URL without it; the wizard's form pages send
``same-origin`` (their POSTs are CSRF-checked by Django and need an Origin). Every view but
``open`` needs this browser's setup session for the organization in the URL (:func:`.links.current`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import flows, stash
from ..conf import app_settings
from ..exceptions import SSOError
from ..models import Organization, OrganizationDomain, SetupLink
from ..saml.metadata import MAX_METADATA_BYTES
from . import links, providers, wizard
from . import saml as saml_choices  # registers the SAML choices
from .links import SetupRefused

View = Callable[..., HttpResponse]
#: A form post larger than this is refused before it is parsed (every field is short).
MAX_POST = 16 * 1024


def _page(view: View) -> View:
    """no-store; refusals as the setup error page (code + message, audited where decided); the
    test sign-in's attempt cookie (:func:`tenant_sso.stash.write_cookies`)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if request.method == "POST" and int(request.META.get("CONTENT_LENGTH") or 0) > _max_post(kwargs):
                raise SetupRefused("setup_request_too_large", "That form is far too large.", status=400)
            response = view(request, *args, **kwargs)
        except SSOError as error:
            response = render(
                request, "tenant_sso/setup/error.html",
                {"code": error.code, "message": error.message}, status=error.status,
            )
        response["Cache-Control"] = "no-store"
        response.setdefault("Referrer-Policy", "no-referrer")
        return stash.write_cookies(request, response)

    return wrapper


def _max_post(kwargs: dict[str, Any]) -> int:
    """A SAML choice's form may carry a pasted metadata document; every other form is small."""
    choice = providers.choice_for(kwargs.get("key", ""))
    return saml_choices.MAX_SAML_POST if choice is not None and saml_choices.is_saml(choice) else MAX_POST


def _form(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "same-origin"
    return response


def _org(request: HttpRequest, org: str) -> tuple[Organization, SetupLink]:
    link = links.current(request, org)
    return link.organization, link


def _url(name: str, org: str, **kwargs: str) -> str:
    return reverse(f"tenant_sso:setup_{name}", kwargs={"org": org, **kwargs})


def _context(request: HttpRequest, organization: Organization, **extra: Any) -> dict[str, Any]:
    state = wizard.state_of(organization)
    return {
        "organization": organization,
        "org": organization.slug,
        "state": state,
        "route": wizard.route_of(state),
        "progress": wizard.progress(organization),
        **extra,
    }


# -- the link ------------------------------------------------------------------------------------
@require_GET
@_page
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """Exchange the link's secret for a setup session, then leave this URL (no-referrer)."""
    link = links.open_link(request, token)
    response = HttpResponseRedirect(_url("overview", link.organization.slug))
    response["Referrer-Policy"] = "no-referrer"
    return response


# -- the wizard ----------------------------------------------------------------------------------
@require_GET
@_page
def overview(request: HttpRequest, org: str) -> HttpResponse:
    organization, _link = _org(request, org)
    cognito = wizard.route_of(wizard.state_of(organization)) == "cognito"
    context = _context(
        request, organization,
        choices=providers.available(("oidc", "saml") if cognito else ("oidc",)),
        saml_unavailable=[] if cognito else providers.available(("saml",)),
        readiness=wizard.readiness(organization),
    )
    return _form(render(request, "tenant_sso/setup/overview.html", context))


def _provider_page(
    request: HttpRequest, organization: Organization, choice: providers.IdPChoice, *,
    values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
    results: list[Any] | None = None, status: int = 200,
) -> HttpResponse:
    route = wizard.route_of(wizard.state_of(organization))
    redirect_uri = wizard.upstream_redirect_uri(organization, route, request)
    initiate = wizard.initiate_uri(organization, request)
    if isinstance(choice, saml_choices.SAMLChoice):
        sp = saml_choices.sp_for(choice, organization, wizard.cognito_domain(organization))
        steps = choice.instructions(redirect_uri=redirect_uri, initiate_uri=initiate, sp=sp)
    else:
        steps = choice.instructions(redirect_uri=redirect_uri, initiate_uri=initiate)
    context = _context(
        request, organization, choice=choice, steps=steps,
        fields=[
            {"field": f,
             "value": "" if f.secret else (values or {}).get(f.name, "")[
                 :MAX_METADATA_BYTES if f.multiline else providers.MAX_FIELD],
             "error": (errors or {}).get(f.name, "")}
            for f in choice.fields
        ],
        results=results, failed=any(not r.ok for r in results or []),
        form_error=(errors or {}).get("__all__", ""),
    )
    return _form(render(request, "tenant_sso/setup/provider.html", context, status=status))


def _choice(key: str, organization: Organization) -> providers.IdPChoice:
    choice = providers.choice_for(key)
    if choice is None:
        raise SetupRefused("setup_provider_unknown", "Choose one of the identity providers listed.", status=404)
    if saml_choices.is_saml(choice) and wizard.route_of(wizard.state_of(organization)) != "cognito":
        raise SetupRefused("setup_saml_needs_cognito", wizard.SAML_NEEDS_COGNITO, status=400)
    return choice


def _live(
    request: HttpRequest, organization: Organization, link: SetupLink, choice: providers.IdPChoice,
    values: dict[str, str],
) -> tuple[list[Any], Any]:
    """The live checks of ``values`` (rate-limited per link, audited): (results, SAML metadata)."""
    links.limit_checks(link)
    metadata, code = None, ""
    if saml_choices.is_saml(choice):
        results, metadata, code = saml_choices.check_metadata(values)
        what = saml_choices.audit_detail(values)
    else:
        route = wizard.route_of(wizard.state_of(organization))
        results = wizard.live_checks(organization, values, wizard.upstream_redirect_uri(organization, route, request))
        what = {"issuer": values["issuer"]}
    links.record(request, "checked", organization=organization, link=link, reason=code,
                 detail={"ok": all(r.ok for r in results), **what})
    return results, metadata


def _values(request: HttpRequest, choice: providers.IdPChoice) -> dict[str, str]:
    return {f.name: request.POST.get(f.name, "") for f in choice.fields}


@require_http_methods(["GET", "POST"])
@_page
def provider(request: HttpRequest, org: str, key: str) -> HttpResponse:
    """GET: the instructions and the form. POST: check the values live, then apply them."""
    organization, link = _org(request, org)
    choice = _choice(key, organization)
    if request.method == "GET":
        return _provider_page(request, organization, choice)
    values, errors = choice.clean(_values(request, choice))
    if errors:
        reason = (saml_choices.is_saml(choice) and saml_choices.refusal_code(errors)) or "setup_value_invalid"
        links.record(request, "refused", organization=organization, link=link, reason=reason,
                     detail={"fields": sorted(errors)})
        return _provider_page(request, organization, choice, values=_values(request, choice), errors=errors,
                              status=400)
    results, metadata = _live(request, organization, link, choice, values)
    if request.POST.get("action") == "check" or any(not r.ok for r in results):
        if request.headers.get("Accept") == "application/json":
            return JsonResponse({"results": [r.as_dict() for r in results]})
        return _provider_page(request, organization, choice, values=values, results=results)
    try:
        applied = wizard.apply(request, organization, choice, values, metadata=metadata)
    except SSOError as error:
        links.record(request, "apply_failed", organization=organization, link=link, reason=error.code)
        return _provider_page(request, organization, choice, values=values, results=results,
                              errors={"__all__": wizard.explain_error(error)}, status=error.status)
    context = _context(request, organization, choice=choice, applied=applied, results=results)
    return _form(render(request, "tenant_sso/setup/applied.html", context))


@require_POST
@_page
def check(request: HttpRequest, org: str, key: str) -> HttpResponse:
    """The live check alone (the form's "Check" button, or JavaScript as the person types):
    JSON for ``Accept: application/json``, else the provider page with the results."""
    organization, link = _org(request, org)
    choice = _choice(key, organization)
    values, errors = choice.clean(_values(request, choice))
    wants_json = request.headers.get("Accept") == "application/json"
    if errors:
        if wants_json:
            return JsonResponse({"errors": errors}, status=400)
        return _provider_page(request, organization, choice, values=_values(request, choice), errors=errors,
                              status=400)
    results, _metadata = _live(request, organization, link, choice, values)
    if wants_json:
        return JsonResponse({"results": [r.as_dict() for r in results]})
    return _provider_page(request, organization, choice, values=values, results=results)


@require_http_methods(["GET", "POST"])
@_page
def test(request: HttpRequest, org: str) -> HttpResponse:
    """GET: the last test sign-in and the group choices. POST: start a test sign-in."""
    organization, link = _org(request, org)
    connection = wizard.portal_connection(organization)
    state = wizard.state_of(organization)
    if request.method == "POST":
        if connection is None or state.configured_at is None:
            raise wizard.SetupError("setup_not_configured", "Connect your identity provider first (step 2).")
        links.record(request, "test_started", organization=organization, link=link)
        url = flows.begin_login(request, connection, mode=flows.LoginMode.SETUP, prompt="login")
        return HttpResponseRedirect(url)
    groups = list(state.test_result.get("groups", [])) if state.tested_at else []
    context = _context(
        request, organization, connection=connection, result=state.test_result if state.tested_at else None,
        groups=[{"name": g, "allowed": connection is not None and g in connection.allowed_groups,
                 "mapped": (connection.group_mapping.get(g, "") if connection else "")} for g in groups],
        mappable=app_settings.SETUP_MAPPABLE_GROUPS,
        decision=wizard.decision(connection, groups) if connection is not None and state.tested_at else None,
        error={"code": state.test_result["error"], "message": state.test_result.get("error_message", "")}
        if state.test_result.get("error") else None,
    )
    return _form(render(request, "tenant_sso/setup/test.html", context))


def test_finished(request: HttpRequest, login: flows.VerifiedLogin) -> HttpResponse:
    """The callback of a test sign-in (views.FINISH): keep the result, back to the test page."""
    org = login.connection.organization.slug
    try:
        links.current(request, org)
    except SetupRefused as refused:
        return render(request, "tenant_sso/setup/error.html", {"code": refused.code, "message": refused.message},
                      status=refused.status)
    wizard.record_test(request, login)
    return HttpResponseRedirect(_url("test", org))


def test_refused(request: HttpRequest, connection: Any, error: SSOError) -> HttpResponse:
    """A test sign-in the IdP or the checks refused (views.callback): kept for the test page,
    which says why in the customer's terms, with the code."""
    org = connection.organization.slug
    try:
        links.current(request, org)
    except SetupRefused as refused:
        return render(request, "tenant_sso/setup/error.html", {"code": refused.code, "message": refused.message},
                      status=refused.status)
    wizard.record_test_refused(request, connection.organization, error)
    return HttpResponseRedirect(_url("test", org))


@require_POST
@_page
def policy(request: HttpRequest, org: str) -> HttpResponse:
    organization, _link = _org(request, org)
    allowed = request.POST.getlist("allowed")[:200]
    mapping = {}
    for group in request.POST.getlist("group")[:200]:
        target = request.POST.get(f"map:{group}", "")
        if target:
            mapping[group] = target
    wizard.save_policy(request, organization, allowed, mapping)
    return HttpResponseRedirect(_url("test", org))


@require_http_methods(["GET", "POST"])
@_page
def domains(request: HttpRequest, org: str) -> HttpResponse:
    """Claim and verify email domains (``tenant_sso.domains``: DNS TXT records)."""
    organization, link = _org(request, org)
    api = _domains_api()
    error = ""
    checked: dict[int, Any] = {}
    if request.method == "POST" and api is not None:
        try:
            if request.POST.get("action") == "claim":
                row = api.claim_domain(organization, request.POST.get("domain", "")[:300], request=request,
                                       actor=f"setup link #{link.pk}")
                links.record(request, "domain_claimed", organization=organization, link=link,
                             detail={"domain": row.domain})
            else:
                row = OrganizationDomain.objects.filter(
                    organization=organization, pk=_int(request.POST.get("domain_id"))
                ).first()
                if row is None:
                    raise SetupRefused("setup_domain_unknown", "That domain is not one of yours.", status=404)
                result = api.verify_domain(row, request=request, actor=f"setup link #{link.pk}")
                checked[row.pk] = result
                links.record(request, "domain_checked", organization=organization, link=link,
                             reason="" if result.ok else str(result.code), detail={"domain": row.domain})
                if result.ok:
                    from .. import signals

                    signals.setup_step.send(sender=Organization, organization=organization, step="domain_verified",
                                            detail={"domain": row.domain})
        except SSOError as problem:
            error = f"{problem.message} [{problem.code}]"
    rows = []
    for row in OrganizationDomain.objects.filter(organization=organization):
        txt = api.txt_record(row) if api is not None and row.verification_token else ("", "")
        rows.append({"row": row, "name": txt[0], "value": txt[1], "check": checked.get(row.pk)})
    context = _context(request, organization, rows=rows, error=error, available=api is not None)
    return _form(render(request, "tenant_sso/setup/domains.html", context, status=400 if error else 200))


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 12 else 0


def _domains_api() -> Any:
    import importlib

    try:
        return importlib.import_module("tenant_sso.domains")  # domain verification (DNS TXT)
    except ImportError:
        return None


@require_POST
@_page
def live(request: HttpRequest, org: str) -> HttpResponse:
    organization, link = _org(request, org)
    wizard.go_live(request, organization, actor=f"setup link #{link.pk}")
    return HttpResponseRedirect(_url("overview", org))

"""The admin action "Onboard to Cognito" for organizations: the same plan as ``sso_cognito onboard``.

Register it on the Organization admin::

    from .cognito.admin_actions import onboard_to_cognito

    class OrganizationAdmin(admin.ModelAdmin):
        actions = [onboard_to_cognito]

The first click shows, per selected organization, the calls onboarding would make and their
differences (the ``--dry-run`` plan; template ``admin/tenant_sso/cognito_onboard.html``); "Apply"
runs them. An organization already in Cognito is
re-synchronised from the database (email domains, claims, app client settings) keeping its upstream
IdP as it is; one not yet onboarded needs the customer's IdP (issuer, client ID, client secret),
which the page asks for when exactly one organization is selected: an OIDC IdP (issuer, client ID,
client secret) or a SAML IdP (its metadata URL, or the metadata document pasted, with a vendor
preset for the attribute names and the IdP-initiated / request signing / encryption switches; the
metadata is read and checked before any AWS call). The client secret typed there goes to Cognito
only; it is never shown back or stored by this app.

A ModelAdmin may define a method ``cognito_provisioner(self)`` returning a
:class:`~tenant_sso.cognito.onboarding.Provisioner`, to choose the boto3 client (a role, an
endpoint); tests point it at a local Cognito stand-in.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .. import validation
from ..exceptions import SSOError
from ..forms import checked
from ..oidc.client import is_scope_token
from ..saml.presets import DEFAULT_PRESET, PRESETS
from .plan import DEFAULT_SCOPES, AnyUpstream, Plan, SAMLIdP, TenantSpec, Upstream

#: The presets' choices, for the form (generic first: the default).
PRESET_CHOICES = sorted(((p.name, p.label) for p in PRESETS.values()), key=lambda c: c[0] != DEFAULT_PRESET)
#: A pasted metadata document is bounded like a fetched one (tenant_sso.saml.metadata).
MAX_PASTED_METADATA = 1_000_000


class UpstreamForm(forms.Form):
    """The customer's identity provider, for an organization that is not in Cognito yet."""

    user_pool_id = forms.CharField(
        required=False,
        help_text="The pool ID (us-east-1_AbC123) or its issuer URL. Empty: a pool of TENANT_SSO_COGNITO_POOLS "
        "with room (or the tenant's pool).",
    )
    issuer = forms.URLField(
        required=False, assume_scheme="https", label="Upstream issuer", help_text="e.g. https://acme.okta.com"
    )
    upstream_client_id = forms.CharField(required=False, label="Upstream client ID")
    upstream_client_secret = forms.CharField(
        required=False,
        label="Upstream client secret",
        widget=forms.PasswordInput(render_value=False),
        help_text="Never shown back: type it again before Apply. It goes to Cognito only.",
    )
    allowed_groups = forms.CharField(
        required=False, help_text="Comma-separated; empty keeps the organization's current allowed groups."
    )
    groups_scope = forms.CharField(
        required=False,
        label="Upstream groups scope",
        help_text="Extra scopes asked of the customer's IdP besides openid email profile, separated by "
        "spaces, e.g. groups (Okta) when it releases the groups claim only with that scope.",
    )
    groups_claim = forms.CharField(required=False, help_text="Upstream claim mapped to custom:groups [groups].")
    roles_claim = forms.CharField(required=False, help_text="Upstream claim mapped to custom:roles [none].")
    saml_metadata_url = forms.URLField(
        required=False, assume_scheme="https", label="SAML metadata URL",
        help_text="A SAML IdP instead of an OIDC one: its metadata URL (https), or paste the document below.",
    )
    saml_metadata_xml = forms.CharField(
        required=False, label="SAML metadata document", max_length=MAX_PASTED_METADATA,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="The IdP's metadata XML, when it has no URL. Read and checked before anything is sent to Cognito.",
    )
    idp_preset = forms.ChoiceField(
        required=False, choices=PRESET_CHOICES, initial=DEFAULT_PRESET, label="SAML IdP vendor",
        help_text="Sets the default attribute names below (e.g. Entra's groups claim URI).",
    )
    saml_groups_attribute = forms.CharField(
        required=False, label="SAML groups attribute", help_text="Mapped to custom:groups. Empty: the vendor's."
    )
    saml_email_attribute = forms.CharField(
        required=False, label="SAML email attribute", help_text="Mapped to email. Empty: the vendor's."
    )
    idp_initiated = forms.BooleanField(
        required=False, label="IdP-initiated sign-in",
        help_text="Users may start from the IdP's app tile; each such sign-in restarts from this app.",
    )
    sign_requests = forms.BooleanField(
        required=False, label="Sign requests", help_text="Cognito signs its AuthnRequests (rsa-sha256)."
    )
    encrypted_responses = forms.BooleanField(
        required=False, label="Encrypted responses", help_text="The IdP encrypts assertions to Cognito."
    )

    def clean_user_pool_id(self) -> str:
        value = str(self.cleaned_data.get("user_pool_id") or "").strip()
        return checked(validation.clean_pool_id, value) if value else ""
    def clean_groups_scope(self) -> str:
        scopes = str(self.cleaned_data.get("groups_scope") or "").split()
        bad = [scope for scope in scopes if not is_scope_token(scope)]
        if bad:
            raise forms.ValidationError(
                f"{bad[0][:50]!r} is not a scope name: printable ASCII without spaces, quotes or "
                "backslashes (RFC 6749 3.3)."
            )
        return " ".join(dict.fromkeys(scopes))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [bool(data.get(k)) for k in ("issuer", "upstream_client_id", "upstream_client_secret")]
        if any(given) and not all(given):
            raise forms.ValidationError("Give the upstream issuer, client ID and client secret together.")
        url, xml = data.get("saml_metadata_url"), str(data.get("saml_metadata_xml") or "").strip()
        if url and xml:
            raise forms.ValidationError("Give the SAML metadata URL or the document, not both.")
        saml_options = any(data.get(k) for k in (
            "saml_groups_attribute", "saml_email_attribute", "idp_initiated", "sign_requests", "encrypted_responses"
        ))
        if saml_options and not (url or xml):
            raise forms.ValidationError("The SAML settings go with the IdP's metadata: give its URL or document.")
        if (url or xml) and any(given):
            raise forms.ValidationError("Give an OIDC identity provider or a SAML one, not both.")
        return data

    def upstream(self) -> AnyUpstream | None:
        data = self.cleaned_data
        url, xml = data.get("saml_metadata_url") or "", str(data.get("saml_metadata_xml") or "").strip()
        if url or xml:
            preset = PRESETS[data.get("idp_preset") or DEFAULT_PRESET]
            return SAMLIdP(
                metadata_url=url,
                metadata_xml=xml.encode("utf-8"),
                preset=preset.name,
                email_attribute=str(data.get("saml_email_attribute") or "").strip() or preset.email_attribute,
                groups_attribute=str(data.get("saml_groups_attribute") or data.get("groups_claim") or "").strip()
                or preset.groups_attribute,
                idp_initiated=bool(data.get("idp_initiated")),
                sign_requests=bool(data.get("sign_requests")),
                encrypted_responses=bool(data.get("encrypted_responses")),
            )
        if not data.get("issuer"):
            return None
        scopes = (*DEFAULT_SCOPES, *str(data.get("groups_scope") or "").split())
        return Upstream(data["issuer"], data["upstream_client_id"], data["upstream_client_secret"], scopes)


#: The page of the first click (preview) and of a form with errors.
TEMPLATE = "admin/tenant_sso/cognito_onboard.html"


def _provisioner(modeladmin: Any) -> Any:
    factory = getattr(modeladmin, "cognito_provisioner", None)
    if callable(factory):
        return factory()
    from .onboarding import Provisioner

    return Provisioner()


def _spec(org: Any, form: UpstreamForm | None) -> TenantSpec:
    if form is None or not form.is_valid():
        return TenantSpec(org_slug=org.slug)
    data = form.cleaned_data
    groups = [g.strip() for g in (data.get("allowed_groups") or "").split(",") if g.strip()]
    return TenantSpec(
        org_slug=org.slug,
        org_name=org.name,
        upstream=form.upstream(),
        user_pool_id=data.get("user_pool_id") or None,
        allowed_groups=tuple(groups) if groups else None,
        groups_claim=data.get("groups_claim") or None,
        roles_claim=data.get("roles_claim") or None,
    )


@admin.action(description="Onboard to Cognito (preview, then apply)", permissions=["change"])
def onboard_to_cognito(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
    """Show the onboarding plan of the selected organizations; apply it on confirmation."""
    organizations = list(queryset)
    single = len(organizations) == 1
    form = UpstreamForm(request.POST if ("apply" in request.POST or "preview" in request.POST) else None) if single else None
    try:
        provisioner = _provisioner(modeladmin)
    except SSOError as exc:
        modeladmin.message_user(request, f"[{exc.code}] {exc.message}", messages.ERROR)
        return None
    if "apply" in request.POST and (form is None or form.is_valid()):
        for org in organizations:
            try:
                outcome = provisioner.onboard(_spec(org, form))
            except SSOError as exc:
                modeladmin.message_user(request, f"Onboarding {org.slug}: [{exc.code}] {exc.message}", messages.ERROR)
                continue
            if outcome.status == "unchanged":
                modeladmin.message_user(request, f"Onboarding {org.slug}: no changes, already onboarded.", messages.INFO)
            else:
                steps = ", ".join(outcome.plan.actions)
                modeladmin.message_user(request, f"Onboarding {org.slug}: {outcome.status} ({steps}).", messages.SUCCESS)
        return None

    rows: list[dict[str, Any]] = []
    for org in organizations:
        try:
            outcome = provisioner.onboard(_spec(org, form), dry_run=True)
        except SSOError as exc:
            if exc.code == "cognito_upstream_required" and single:
                info = "Not in Cognito yet: give the customer's identity provider below, then Preview."
                rows.append({"org": org.slug, "info": info, "problem": "", "plan": ""})
            else:
                rows.append({"org": org.slug, "info": "", "problem": f"[{exc.code}] {exc.message}", "plan": ""})
            continue
        plan: Plan = outcome.plan
        rows.append({"org": org.slug, "info": "", "problem": "", "plan": "\n".join(plan.describe())})
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Onboard to Cognito",
        "rows": rows,
        "form": form if single else None,
        "queryset": organizations,
        "checkbox": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    if form is not None and form.is_bound and not form.is_valid():
        context["form"] = form
    return render(request, TEMPLATE, context)

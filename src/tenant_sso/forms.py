"""Admin forms: what support staff type, checked with messages a person can act on.

* The client secret is write-only: never rendered back, shown only as "set" / "not set".
* Allowed groups are edited one per line, the group mapping as ``idp-group = Django group``
  lines; both are stored as the same JSON as before (a list, an object).
* Group names may be Entra ID object IDs (GUIDs, docs/cognito.md, "Okta and Entra ID"): a value
  that looks like a GUID but has the wrong shape is an error, since it can never match.
* A Cognito issuer can be typed as the bare pool ID (``us-east-1_AbC123``): the issuer URL is
  built from it (``https://cognito-idp.{region}.amazonaws.com/{poolId}``).
* Slugs, email domains, issuers and Cognito domains follow :mod:`tenant_sso.validation`, the rules
  the commands and onboarding apply too; a domain another organization owns, in any spelling, is
  an error naming that organization.
* Problems that do not block saving (a mapping for a group that may not sign in, an empty
  allow-list) are collected in :attr:`ConnectionForm.warnings`; the admin shows them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.models import Group

from . import validation
from .claims import GUID, MAX_GROUP_LENGTH, normalize_group
from .kinds import KINDS
from .models import Connection, Organization, OrganizationDomain, owner_label, scopes_error
from .oidc.signatures import SUPPORTED as SUPPORTED_ALGORITHMS

# Something a person meant as an object ID: only hex digits and dashes, long enough.
_GUID_LIKE = re.compile(r"^[0-9a-fA-F{}-]{20,}$")
CLAIM_NAME = re.compile(r"^[^\s]{1,100}$")


def checked(rule: Callable[..., str], value: Any, *args: Any) -> str:
    """Run a rule of :mod:`tenant_sso.validation`; its refusal becomes a form error with its code."""
    try:
        return rule(str(value or ""), *args)
    except validation.InvalidValue as error:
        raise forms.ValidationError(error.message, code=error.code) from error


def domain_taken(domain: str, organization_pk: int | None, exclude_pk: int | None = None) -> str | None:
    """Why ``domain`` (normalised) cannot be added to the organization ``organization_pk``:
    the organization that already owns it, named; ``None`` when it is free."""
    owners = OrganizationDomain.objects.filter(domain=domain).select_related("organization")
    if exclude_pk is not None:
        owners = owners.exclude(pk=exclude_pk)
    owner = owners.first()
    if owner is None:
        return None
    if organization_pk is not None and owner.organization_id == organization_pk:
        return f"{domain} is already an email domain of this organization."
    return f"{domain} already belongs to {owner_label(owner.organization)}."


class OrganizationForm(forms.ModelForm):  # type: ignore[type-arg]
    """An organization: its slug follows :func:`tenant_sso.validation.clean_slug`."""

    # Not the model's SlugField: its own message would hide the rule's (same rule, stricter).
    slug = forms.CharField(
        max_length=validation.SLUG_MAX_LENGTH,
        help_text="Lower-case letters, digits, '-' and '_'; names the organization in commands, URLs and Cognito.",
    )

    class Meta:
        model = Organization
        fields = "__all__"

    def clean_slug(self) -> str:
        return checked(validation.clean_slug, self.cleaned_data.get("slug"))


class OrganizationDomainForm(forms.ModelForm):  # type: ignore[type-arg]
    """An email domain, normalised (case, trailing dot, punycode) and refused when another
    organization owns it in any spelling, naming that organization (staff are trusted with the
    owner's name; the portal's claim is :func:`tenant_sso.domains.claim_domain`). Renaming a
    domain drops its DNS verification."""

    class Meta:
        model = OrganizationDomain
        fields = "__all__"

    def clean_domain(self) -> str:
        domain = checked(validation.clean_email_domain, self.cleaned_data.get("domain"))
        # Set by the inline formset, unsaved on the add page (then every existing owner is another one).
        organization = getattr(self.instance, "organization", None)
        organization_pk = organization.pk if organization is not None else None
        taken = domain_taken(domain, organization_pk, exclude_pk=self.instance.pk)
        if taken:
            raise forms.ValidationError(taken, code="email_domain_taken")
        return domain

    def save(self, commit: bool = True) -> OrganizationDomain:
        # A renamed domain is another domain: its proof and token were the old name's (an operator
        # vouching for the new name sets "verified at" again in a second save).
        if self.instance.pk and "domain" in self.changed_data:
            self.instance.verified_at = None
            self.instance.verification_token = ""  # a new one is drawn on save
        return super().save(commit)  # type: ignore[no-any-return]


def check_group_name(value: str, where: str) -> str:
    """A group name or object ID, trimmed; ``ValidationError`` naming ``where`` if unusable."""
    value = value.strip()
    if len(value) > MAX_GROUP_LENGTH:
        raise forms.ValidationError(f"{where}: longer than {MAX_GROUP_LENGTH} characters.")
    if _GUID_LIKE.match(value) and "-" in value and not GUID.match(value):
        raise forms.ValidationError(
            f"{where}: {value!r} looks like an Entra object ID but is not one: an object ID is "
            "8-4-4-4-12 hexadecimal digits, e.g. 8d3c2a6b-1f2e-4c5d-9e8f-0a1b2c3d4e5f (copy it from "
            "Entra ID > Groups > the group > Object ID)."
        )
    return value


class LinesWidget(forms.Textarea):
    """A textarea showing a list one item per line."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"rows": 4, "cols": 60, "spellcheck": "false", **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        formatted = super().format_value(value)
        return None if formatted is None else str(formatted)


class MappingWidget(LinesWidget):
    """A textarea showing a mapping as ``key = value`` lines."""

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dict):
            return "\n".join(f"{k} = {v}" for k, v in value.items())
        return super().format_value(value)


class GroupListField(forms.Field):
    """IdP groups, one per line; stored as a JSON list (duplicates dropped, order kept)."""

    widget = LinesWidget

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return [str(v) for v in value]
        groups: list[str] = []
        seen: set[str] = set()
        errors: list[forms.ValidationError] = []
        for number, line in enumerate(str(value or "").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                name = check_group_name(line, f"Line {number}")
            except forms.ValidationError as error:
                errors.append(error)
                continue
            if normalize_group(name) not in seen:
                seen.add(normalize_group(name))
                groups.append(name)
        if errors:
            raise forms.ValidationError(errors)
        return groups


class GroupMappingField(forms.Field):
    """``idp-group = Django group`` lines; stored as a JSON object."""

    widget = MappingWidget

    def to_python(self, value: Any) -> dict[str, str]:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        mapping: dict[str, str] = {}
        seen: dict[str, int] = {}
        errors: list[forms.ValidationError] = []
        group_max = Group._meta.get_field("name").max_length or 150
        for number, line in enumerate(str(value or "").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"Line {number}"
            key, sep, target = line.partition("=")
            if not sep or not key.strip() or not target.strip():
                errors.append(forms.ValidationError(
                    f"{where}: write 'IdP group = Django group', e.g. 'sso-admins = Administrators'."
                ))
                continue
            try:
                key = check_group_name(key, where)
            except forms.ValidationError as error:
                errors.append(error)
                continue
            target = target.strip()
            if len(target) > group_max:
                errors.append(forms.ValidationError(
                    f"{where}: a Django group name has at most {group_max} characters."
                ))
                continue
            if normalize_group(key) in seen:
                errors.append(forms.ValidationError(
                    f"{where}: {key!r} is already mapped on line {seen[normalize_group(key)]}; "
                    "map each IdP group once."
                ))
                continue
            seen[normalize_group(key)] = number
            mapping[key] = target
        if errors:
            raise forms.ValidationError(errors)
        return mapping


class ScopeListField(forms.Field):
    """Extra scopes, separated by spaces or new lines; stored as a JSON list (RFC 6749 3.3 tokens)."""

    widget = LinesWidget

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return [str(v) for v in value]
        return list(dict.fromkeys(str(value or "").split()))

    def validate(self, value: Any) -> None:
        super().validate(value)
        error = scopes_error(value)
        if error:
            raise forms.ValidationError(error)


class SecretInput(forms.PasswordInput):
    """A password input that never renders the value, followed by "set" or "not set"."""

    template_name = "admin/tenant_sso/widgets/secret_input.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            attrs={"autocomplete": "new-password", "class": "vTextField", **(attrs or {})}, render_value=False
        )
        self.is_set = False

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["secret_is_set"] = self.is_set
        return context


class ConnectionForm(forms.ModelForm):  # type: ignore[type-arg]
    client_secret = forms.CharField(
        required=False,
        strip=True,
        widget=SecretInput(),
        help_text="Write-only: stored encrypted, never shown again. Leave empty to keep the current "
        "secret. Cognito: App integration > App clients > this client > Client secret.",
    )
    issuer = forms.CharField(
        max_length=500,
        widget=forms.TextInput(attrs={"class": "vURLField"}),
        help_text="Cognito: the pool issuer https://cognito-idp.{region}.amazonaws.com/{poolId}, or just "
        "the pool ID (User pools > your pool > Overview, e.g. eu-west-1_AbC123xyz). OIDC: the "
        "provider's issuer, e.g. https://acme.okta.com or https://login.microsoftonline.com/{tenant}/v2.0.",
    )
    allowed_groups = GroupListField(
        required=False,
        help_text="One IdP group per line (names, or Entra object IDs). Only members of these groups "
        "may sign in; nobody gets in while this is empty.",
    )
    extra_scopes = ScopeListField(
        required=False,
        help_text="Scopes always requested in addition to openid (and email, profile, groups when the "
        "provider lists them), one per line or separated by spaces, e.g. a custom scope that releases "
        "the groups claim. Cognito: the scope must also be allowed on the app client.",
    )
    signing_algorithms = forms.TypedMultipleChoiceField(
        required=False,
        choices=[(alg, alg) for alg in sorted(SUPPORTED_ALGORITHMS)],
        widget=forms.CheckboxSelectMultiple,
        help_text="The ID token signing algorithms accepted for this connection (e.g. ES256 for a "
        "provider that signs with an EC key). None checked: TENANT_SSO_ALLOWED_ALGORITHMS. The token's "
        "own header never chooses the algorithm.",
    )
    group_mapping = GroupMappingField(
        required=False,
        help_text="One mapping per line: IdP group = Django group, e.g. 'sso-admins = Administrators'. "
        "Members get the Django group at each login (created if missing); it is removed when they "
        "leave the IdP group.",
    )

    class Meta:
        model = Connection
        fields = "__all__"
        help_texts = {
            "client_id": "Cognito: App integration > App clients > this client > Client ID. "
            "OIDC: the application (client) ID of the app registration.",
            "cognito_domain": "Cognito: Branding > Domain (prefix.auth.region.amazoncognito.com, or "
            "your custom domain). Not the issuer's cognito-idp host.",
            "identity_provider": "Cognito: the name of the customer's IdP in the pool (Authentication > "
            "Social and external providers), e.g. AcmeOkta.",
            "groups_claim": "Claim holding the user's groups. Empty: custom:groups (Cognito) or groups "
            "(OIDC). Cognito: the custom attribute the IdP's groups are mapped to.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warnings: list[str] = []
        widget = self.fields["client_secret"].widget
        if isinstance(widget, SecretInput):
            widget.is_set = bool(self.instance.pk and self.instance.has_client_secret)
            if widget.is_set:
                widget.attrs["placeholder"] = "•••••••• (set; type to replace)"

    def _kind(self) -> str:
        kind = self.cleaned_data.get("kind") or self.data.get(self.add_prefix("kind"))
        return str(kind or self.instance.kind)

    def clean_issuer(self) -> str:
        return checked(validation.clean_issuer, self.cleaned_data.get("issuer", ""), self._kind())

    def clean_cognito_domain(self) -> str:
        return checked(validation.clean_cognito_domain, self.cleaned_data.get("cognito_domain", ""))

    def clean_groups_claim(self) -> str:
        value = str(self.cleaned_data.get("groups_claim", "")).strip()
        if value and not CLAIM_NAME.match(value):
            raise forms.ValidationError("A claim name has no spaces, e.g. custom:groups or groups.")
        return value

    def clean_roles_claim(self) -> str:
        value = str(self.cleaned_data.get("roles_claim", "")).strip()
        if value and not CLAIM_NAME.match(value):
            raise forms.ValidationError("A claim name has no spaces, e.g. custom:roles.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.has_client_secret and not data.get("client_secret"):
            self.add_error("client_secret", "A client secret is required: paste it from the app client.")
        self.warnings = self._warnings(data)
        return data

    def _warnings(self, data: dict[str, Any]) -> list[str]:
        """What saves fine but probably does not do what the person wants."""
        warnings: list[str] = []
        allowed = data.get("allowed_groups") or []
        mapping = data.get("group_mapping") or {}
        if not allowed and data.get("enabled", True):
            warnings.append("No allowed groups: nobody can sign in through this connection.")
        allowed_set = {normalize_group(g) for g in allowed}
        stray = [k for k in mapping if normalize_group(k) not in allowed_set]
        if allowed and stray:
            warnings.append(
                f"The group mapping names {', '.join(stray)}, which is not in the allowed groups: members "
                "of only that group cannot sign in, so the mapping has no effect for them."
            )
        kind = KINDS.get(str(data.get("kind", self.instance.kind)))
        if kind is not None:
            warnings.extend(kind.form_warnings(data))
        return warnings

    def save(self, commit: bool = True) -> Connection:
        connection: Connection = super().save(commit=False)
        secret = self.cleaned_data.get("client_secret")
        if secret:
            connection.set_client_secret(secret)
        if commit:
            connection.save()
            self.save_m2m()
        return connection

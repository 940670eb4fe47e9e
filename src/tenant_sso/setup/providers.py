"""The IdP choices of the setup wizard: a registry of plug-ins (docs/setup-portal.md, "IdP choices").

An :class:`IdPChoice` says, for one kind of identity provider, what the IT admin does on their side
(:meth:`IdPChoice.instructions`: steps, each with the exact value to paste), what we need back
(:attr:`IdPChoice.fields`), how those values are checked (:meth:`IdPChoice.clean`; the live checks
against the provider are in :mod:`.wizard`) and what "apply" creates (:attr:`IdPChoice.protocol`
names the applier in :mod:`.wizard`). Okta, Entra ID, Google Workspace and generic OIDC are OIDC
choices; a SAML choice (ADFS, generic SAML) registers here with ``protocol="saml"`` and its own
fields (:mod:`.saml`: ADFS, generic SAML, Okta and Entra ID as SAML presets), offered on the
Cognito route only. :func:`register` adds a project's own choice.

Each choice works on both routes (:class:`~tenant_sso.models.SetupState.Route`): through Cognito
(the customer's IdP sends the browser to the pool's ``https://<domain>/oauth2/idpresponse``) or a
direct OIDC connection (to our ``callback/<org>/``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..validation import InvalidValue, clean_issuer

#: Longest value accepted in any field (an issuer URL, a client ID or secret); a bigger value is
#: refused before anything else looks at it.
MAX_FIELD = 500


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    help: str = ""
    secret: bool = False
    placeholder: str = ""
    #: A pasted document (SAML metadata): a text area, and the value is shown back whole.
    multiline: bool = False


@dataclass(frozen=True)
class Step:
    """One instruction; ``value`` (if any) is shown with a copy button."""

    text: str
    value: str = ""


@dataclass(frozen=True)
class IdPChoice:
    key: str
    label: str
    protocol: str = "oidc"
    #: Where the customer creates the application, then the names of its settings.
    console: str = ""
    app_type: str = "an OpenID Connect web application"
    redirect_label: str = "Sign-in redirect URI"
    issuer_help: str = ""
    issuer_example: str = ""
    groups_hint: str = ""
    extra_steps: tuple[str, ...] = ()
    fields: tuple[Field, ...] = field(default_factory=tuple)

    def instructions(self, *, redirect_uri: str, initiate_uri: str) -> list[Step]:
        steps = [
            Step(f"In {self.console}, create {self.app_type}." if self.console else f"Create {self.app_type}."),
            Step(f"Set the {self.redirect_label} to exactly this value:", redirect_uri),
            Step("If it asks for a sign-in (initiate login) URL, use:", initiate_uri),
            *[Step(text) for text in self.extra_steps],
        ]
        if self.groups_hint:
            steps.append(Step(self.groups_hint))
        steps.append(Step("Copy the values it gives you into the form below."))
        return steps

    def clean(self, values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """(cleaned values, {field: message}) for the values the person typed; never raises."""
        cleaned: dict[str, str] = {}
        errors: dict[str, str] = {}
        for f in self.fields:
            raw = values.get(f.name, "")
            value = raw if f.secret else raw.strip()
            if not value:
                errors[f.name] = f"{f.label} is required."
            elif len(value) > MAX_FIELD:
                errors[f.name] = f"{f.label} is too long ({len(value)} characters; at most {MAX_FIELD})."
            elif any(ord(c) < 32 or ord(c) == 127 for c in value):
                errors[f.name] = f"{f.label} contains control characters: copy it again."
            else:
                cleaned[f.name] = value
        if "issuer" in cleaned:
            try:
                cleaned["issuer"] = clean_issuer(cleaned["issuer"], "oidc")
            except InvalidValue as problem:
                errors["issuer"] = problem.message
                del cleaned["issuer"]
        return cleaned, errors


def _oidc_fields(issuer_help: str, example: str) -> tuple[Field, ...]:
    return (
        Field("issuer", "Issuer URL", issuer_help, placeholder=example),
        Field("client_id", "Client ID"),
        Field("client_secret", "Client secret", "Stored encrypted; never shown again.", secret=True),
    )


OKTA = IdPChoice(
    key="okta",
    label="Okta",
    console="the Okta Admin Console (Applications > Create App Integration)",
    app_type="an OIDC - OpenID Connect, Web Application integration",
    redirect_label="Sign-in redirect URI",
    groups_hint=(
        "Under Sign On > OpenID Connect ID Token, set Groups claim type to Filter, name 'groups', "
        "matching the groups that may sign in."
    ),
    extra_steps=("Assign the application to the people or groups who will use it.",),
    fields=_oidc_fields("Your Okta org URL, e.g. https://acme.okta.com", "https://acme.okta.com"),
)
ENTRA = IdPChoice(
    key="entra",
    label="Microsoft Entra ID",
    console="the Microsoft Entra admin center (App registrations > New registration)",
    app_type="a registration with platform Web",
    redirect_label="Redirect URI (Web)",
    groups_hint=(
        "Under Token configuration, add a groups claim (Security groups): Entra sends group object IDs."
    ),
    extra_steps=("Under Certificates & secrets, create a client secret and copy its Value.",),
    fields=_oidc_fields(
        "https://login.microsoftonline.com/<tenant ID>/v2.0",
        "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
    ),
)
GOOGLE = IdPChoice(
    key="google",
    label="Google Workspace",
    console="the Google Cloud console (APIs & Services > Credentials > Create OAuth client ID)",
    app_type="an OAuth client ID of type Web application",
    redirect_label="Authorized redirect URI",
    groups_hint="Google sends no groups claim: the people allowed are chosen after the test sign-in.",
    extra_steps=("Set the OAuth consent screen to Internal so only your Workspace accounts can use it.",),
    fields=_oidc_fields("Always https://accounts.google.com", "https://accounts.google.com"),
)
GENERIC_OIDC = IdPChoice(
    key="oidc",
    label="Another OpenID Connect provider",
    console="",
    app_type="a confidential OpenID Connect client (authorization code flow)",
    redirect_label="redirect URI",
    groups_hint="Release a 'groups' claim in the ID token if your provider can.",
    fields=_oidc_fields(
        "The issuer: its discovery document is <issuer>/.well-known/openid-configuration",
        "https://idp.example.com",
    ),
)

CHOICES: dict[str, IdPChoice] = {c.key: c for c in (OKTA, ENTRA, GOOGLE, GENERIC_OIDC)}


def register(choice: IdPChoice) -> None:
    """Add (or replace) an IdP choice: a project's own, or SAML's once it exists."""
    CHOICES[choice.key] = choice


def choice_for(key: str) -> IdPChoice | None:
    return CHOICES.get(key) if isinstance(key, str) else None


def available(protocols: tuple[str, ...] = ("oidc",)) -> list[IdPChoice]:
    """The choices whose protocol the wizard can apply."""
    return [c for c in CHOICES.values() if c.protocol in protocols]


def as_context(choice: IdPChoice) -> dict[str, Any]:
    return {"key": choice.key, "label": choice.label}

"""The SAML choices of the setup wizard: ADFS, generic SAML, and Okta / Entra ID / Google Workspace
as SAML presets (docs/setup-portal.md, "SAML identity providers").

SAML upstreams are brokered by Cognito (docs/providers.md): these choices are offered only on the
Cognito route (:data:`~tenant_sso.models.SetupState.Route.COGNITO`). The values the IT admin
pastes on their side are :func:`tenant_sso.saml.sp.sp_values` for the pool the tenant goes to
(SP entity id ``urn:amazon:cognito:sp:<poolId>``, ACS ``https://<domain>/saml2/idpresponse``,
sign-out URL, the preset's attribute names). What comes back (a metadata URL or the pasted
metadata document, the attribute names) is checked by :func:`tenant_sso.saml_store.load_metadata`
(defusedxml, size limit, certificates' dates; a URL fetched through the network policy) before
anything is saved; apply hands the checked document to Cognito onboarding as a
:class:`~tenant_sso.cognito.plan.SAMLIdP`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeGuard

from ..diagnostics.results import CheckResult, explain, failed, passed
from ..exceptions import ConfigurationError, InvalidMetadata, SSOError
from ..saml.metadata import MAX_METADATA_BYTES, IdPMetadata
from ..saml.presets import PRESETS
from ..saml.sp import SpValue, sp_values
from .providers import MAX_FIELD, Field, IdPChoice, Step, register

#: Longest attribute name accepted (Entra's and ADFS's claim URIs are about 70 characters).
MAX_ATTRIBUTE = 256
#: A form post of a SAML choice may carry a pasted metadata document: this much over the limit of
#: :data:`tenant_sso.saml.metadata.MAX_METADATA_BYTES` is still parsed, so that a document just too
#: large gets ``saml_metadata_too_large`` rather than the generic ``setup_request_too_large``.
MAX_SAML_POST = 2 * MAX_METADATA_BYTES
METADATA_CHECK = "SAML metadata"


@dataclass(frozen=True)
class SAMLChoice(IdPChoice):
    """A SAML 2.0 IdP behind Cognito; ``preset`` names :data:`tenant_sso.saml.presets.PRESETS`."""

    preset: str = "generic"
    #: Vendor-specific steps, each possibly naming an :class:`SpValue` key (its value is shown).
    saml_steps: tuple[tuple[str, str], ...] = ()

    def instructions(self, *, redirect_uri: str, initiate_uri: str, sp: list[SpValue] | None = None) -> list[Step]:
        """The vendor's steps, then every SP value with its label and where the vendor names it."""
        values = {v.key: v for v in sp or []}
        steps = [Step(f"In {self.console}, create {self.app_type}." if self.console else f"Create {self.app_type}.")]
        for text, key in self.saml_steps:
            value = values.get(key)
            steps.append(Step(text, value.value if value else ""))
        shown = {key for _text, key in self.saml_steps}
        for value in sp or []:
            if value.key not in shown:
                steps.append(Step(f"{value.label}. {value.help}", value.value))
        steps.append(Step("Then give us the metadata URL (or paste the metadata XML) below."))
        return steps

    def clean(self, values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """(cleaned values, {field: message}): exactly one of ``metadata_url`` / ``metadata_xml``;
        the attribute names default to the preset's. Never raises."""
        preset = PRESETS[self.preset]
        cleaned: dict[str, str] = {}
        errors: dict[str, str] = {}
        url = values.get("metadata_url", "").strip()
        xml = values.get("metadata_xml", "").strip()
        if url and xml:
            errors["metadata_url"] = "Give either the metadata URL or the metadata XML, not both."
        elif not url and not xml:
            errors["metadata_url"] = "Give the metadata URL, or paste the metadata XML below."
        elif url:
            if len(url) > MAX_FIELD:
                errors["metadata_url"] = f"Metadata URL is too long ({len(url)} characters; at most {MAX_FIELD})."
            elif any(ord(c) < 32 or ord(c) == 127 for c in url):
                errors["metadata_url"] = "Metadata URL contains control characters: copy it again."
            else:
                cleaned["metadata_url"] = url
        elif len(xml.encode("utf-8")) > MAX_METADATA_BYTES:
            errors["metadata_xml"] = (
                f"This metadata is larger than {MAX_METADATA_BYTES // 1000} kB; an identity provider's own "
                "metadata is a few kB: paste the federation metadata of this one application. "
                "[saml_metadata_too_large]"
            )
        else:
            cleaned["metadata_xml"] = xml
        for name, default in (("email_attribute", preset.email_attribute),
                              ("groups_attribute", preset.groups_attribute)):
            value = values.get(name, "").strip() or default
            if len(value) > MAX_ATTRIBUTE:
                errors[name] = f"That attribute name is too long (at most {MAX_ATTRIBUTE} characters)."
            elif any(ord(c) < 32 or ord(c) == 127 or c.isspace() for c in value):
                errors[name] = "An attribute name has no spaces or control characters: copy it again."
            else:
                cleaned[name] = value
        return cleaned, errors


def _fields(preset: str, url_help: str) -> tuple[Field, ...]:
    chosen = PRESETS[preset]
    return (
        Field("metadata_url", "Metadata URL", url_help, placeholder="https://"),
        Field("metadata_xml", "Or: the metadata XML", "Paste the whole document, if you have a file rather than a URL.",
              multiline=True),
        Field("email_attribute", "Email attribute name", f"Default: {chosen.email_attribute}",
              placeholder=chosen.email_attribute),
        Field("groups_attribute", "Groups attribute name", f"Default: {chosen.groups_attribute}",
              placeholder=chosen.groups_attribute),
    )


ADFS = SAMLChoice(
    key="adfs",
    label="ADFS (SAML)",
    protocol="saml",
    preset="adfs",
    console="AD FS Management (Relying Party Trusts > Add Relying Party Trust, Claims aware)",
    app_type="a relying party trust: 'Enter data about the relying party manually', AD FS profile",
    saml_steps=(
        ("Configure URL: enable support for the SAML 2.0 WebSSO protocol, with this Relying party SAML "
         "2.0 SSO service URL:", "acs_url"),
        ("Configure Identifiers: add this Relying party trust identifier:", "sp_entity_id"),
        ("Endpoints tab of the trust's Properties: add a SAML Logout endpoint, binding POST, with this "
         "trusted URL:", "slo_url"),
        ("Edit Claim Issuance Policy: add a rule 'Send LDAP Attributes as Claims' (E-Mail-Addresses -> "
         "E-Mail Address, Token-Groups - Unqualified Names -> Group), then a rule 'Transform an "
         "Incoming Claim' E-Mail Address -> Name ID, format:", "name_id_format"),
    ),
    fields=_fields("adfs", "Usually https://<your ADFS host>/FederationMetadata/2007-06/FederationMetadata.xml"),
)
GENERIC_SAML = SAMLChoice(
    key="saml",
    label="Another SAML 2.0 provider",
    protocol="saml",
    preset="generic",
    app_type="a SAML 2.0 application (service provider) in your identity provider",
    saml_steps=(
        ("Set the Entity ID (audience, SP identifier) to:", "sp_entity_id"),
        ("Set the Assertion Consumer Service (ACS, reply) URL, HTTP-POST binding, to:", "acs_url"),
    ),
    fields=_fields("generic", "Your identity provider's metadata URL for this application (https)."),
)
OKTA_SAML = SAMLChoice(
    key="okta-saml",
    label="Okta (SAML)",
    protocol="saml",
    preset="okta",
    console="the Okta Admin Console (Applications > Create App Integration)",
    app_type="a SAML 2.0 app integration",
    saml_steps=(
        ("Single sign-on URL (check 'Use this for Recipient URL and Destination URL'):", "acs_url"),
        ("Audience URI (SP Entity ID):", "sp_entity_id"),
        ("Name ID format:", "name_id_format"),
    ),
    fields=_fields("okta", "Sign On tab > Metadata URL (https://<your org>.okta.com/app/.../sso/saml/metadata)."),
)
ENTRA_SAML = SAMLChoice(
    key="entra-saml",
    label="Microsoft Entra ID (SAML)",
    protocol="saml",
    preset="entra",
    console="the Microsoft Entra admin center (Enterprise applications > New application > Create your own)",
    app_type="a non-gallery application, then Single sign-on > SAML",
    saml_steps=(
        ("Basic SAML Configuration > Identifier (Entity ID):", "sp_entity_id"),
        ("Basic SAML Configuration > Reply URL (Assertion Consumer Service URL):", "acs_url"),
        ("Basic SAML Configuration > Logout URL:", "slo_url"),
    ),
    fields=_fields("entra", "SAML Certificates > App Federation Metadata Url."),
)

SAML_CHOICES = (ADFS, GENERIC_SAML, OKTA_SAML, ENTRA_SAML)
for _choice in SAML_CHOICES:
    register(_choice)


def is_saml(choice: IdPChoice) -> TypeGuard[SAMLChoice]:
    return choice.protocol == "saml" and isinstance(choice, SAMLChoice)


# -- what the customer pastes -----------------------------------------------------------------------
def target_pool(organization: Any) -> str:
    """The user pool this organization's SAML IdP trusts (its SP entity id names it): the pool of the
    portal's Cognito connection, else the first of ``TENANT_SSO_COGNITO_POOLS`` (the pool whose domain
    ``TENANT_SSO_SETUP_COGNITO_DOMAIN`` is). Apply onboards into that same pool."""
    from ..cognito.config import configured_pools
    from ..cognito.identifiers import pool_of_issuer
    from .wizard import SetupError, portal_connection

    existing = portal_connection(organization)
    if existing is not None and existing.kind == "cognito":
        pool = pool_of_issuer(existing.issuer)
        if pool is not None:
            return pool[0]
    try:
        pools = configured_pools()
    except ConfigurationError:
        pools = []
    if not pools:
        raise SetupError(
            "setup_cognito_pool_missing",
            "This setup is not ready on our side yet (no user pool for SAML): please tell your contact.",
            detail="TENANT_SSO_COGNITO_POOLS is empty",
        )
    return pools[0].user_pool_id


def sp_for(choice: SAMLChoice, organization: Any, cognito_domain: str) -> list[SpValue]:
    """The values to paste: entity id, ACS, sign-out URL, NameID format, the preset's email and
    groups attributes (the two the portal maps; no roles). Not the SP signing certificate: Cognito
    makes it per pool and the operator hands it over (``sso_cognito sp-metadata``) when the
    customer turns on signed single logout (docs/setup-portal.md)."""
    return sp_values(
        user_pool_id=target_pool(organization), cognito_domain=cognito_domain, client_id="",
        idp_initiated_url="", preset=choice.preset, sign_requests=False, single_logout=False,
        roles_attribute="",
    )


# -- the live check ---------------------------------------------------------------------------------
#: The customer's wording of the metadata refusals they can act on (the parser's own messages are
#: written for the operator: "ask the customer to..."); ``{date}`` is the first date in the parser's.
CUSTOMER_WORDS = {
    "saml_metadata_certificate_expired": (
        "The signing certificate in this metadata expired on {date}: renew the token-signing certificate "
        "in your identity provider (make the new one primary), then give us the new metadata."
    ),
    "saml_metadata_certificate_not_yet_valid": (
        "The signing certificate in this metadata is not valid yet (from {date}): use the metadata "
        "with your current certificate, or try again once it is valid."
    ),
    "saml_metadata_forbidden_xml": (
        "This document declares a DTD or XML entities, which we refuse for safety: give us the metadata "
        "exactly as your identity provider publishes it."
    ),
    "saml_metadata_not_idp": (
        "This is not an identity provider's SAML 2.0 metadata (is it a service provider's, or another "
        "file?): download the federation metadata of your identity provider for this application."
    ),
    "saml_metadata_malformed": "This is not a well-formed metadata XML document: copy the whole file again.",
    "saml_metadata_no_sso_endpoint": (
        "The metadata names no sign-in URL (SingleSignOnService, HTTP-Redirect or HTTP-POST): is SAML "
        "sign-in turned on for this application?"
    ),
    "saml_metadata_no_signing_certificate": (
        "The metadata has no signing certificate, so your identity provider's answers could not be "
        "verified: add a token-signing certificate to the application."
    ),
    "saml_metadata_too_large": (
        f"This document is larger than {MAX_METADATA_BYTES // 1000} kB; an identity provider's own metadata "
        "is a few kB: give us the metadata of this one application."
    ),
    "saml_metadata_expired": "This metadata is past its validUntil date: download it again from your identity provider.",
}


def explain_metadata(error: SSOError) -> str:
    """A refused metadata document or URL, in the customer's terms, with its code."""
    words = CUSTOMER_WORDS.get(error.code)
    if words is not None:
        found = re.search(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2} UTC)?", error.message)
        return f"{words.format(date=found.group(0) if found else 'a past date')} ({error.code})"
    if isinstance(error, InvalidMetadata):
        return f"{error.message} ({error.code})"
    return explain(error)


def check_metadata(values: dict[str, str]) -> tuple[list[CheckResult], IdPMetadata | None, str]:
    """Read (URL through the network policy) and check the metadata, as onboarding will:
    (results, the metadata or None, the refusal's reason code or "")."""
    from ..saml_store import load_metadata

    try:
        if "metadata_url" in values:
            metadata = load_metadata(url=values["metadata_url"])
        else:
            metadata = load_metadata(xml=values["metadata_xml"])
    except SSOError as error:
        return [failed(METADATA_CHECK, explain_metadata(error))], None, error.code
    expiry = metadata.earliest_expiry()
    detail = (
        f"identity provider {metadata.entity_id}, sign-in at {metadata.sso_url}, "
        f"{len(metadata.signing_certificates)} signing certificate(s), the first expiring {expiry:%Y-%m-%d}"
        + (", single logout published" if metadata.slo_url else "")
    )
    return [passed(METADATA_CHECK, detail)], metadata, ""


def refusal_code(errors: dict[str, str]) -> str:
    """The reason code a refused SAML form is audited with."""
    return "saml_metadata_too_large" if "[saml_metadata_too_large]" in errors.get("metadata_xml", "") else ""


def audit_detail(values: dict[str, str]) -> dict[str, Any]:
    """What a setup event keeps of the values: the URL, or the document's size (never the XML)."""
    if "metadata_url" in values:
        return {"metadata_url": values["metadata_url"][:MAX_FIELD]}
    return {"metadata_bytes": len(values.get("metadata_xml", "").encode("utf-8"))}


def upstream(choice: SAMLChoice, values: dict[str, str], metadata: IdPMetadata | None) -> Any:
    """The :class:`~tenant_sso.cognito.plan.SAMLIdP` apply onboards (metadata already checked)."""
    from ..cognito.plan import SAMLIdP

    return SAMLIdP(
        metadata_url=values.get("metadata_url", ""),
        metadata_xml=values.get("metadata_xml", "").encode("utf-8") if "metadata_xml" in values else b"",
        preset=choice.preset,
        email_attribute=values["email_attribute"],
        groups_attribute=values["groups_attribute"],
        idp_signout=bool(metadata.slo_url) if metadata is not None else None,
        metadata=metadata,
    )

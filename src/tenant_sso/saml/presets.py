"""Each IdP vendor's SAML attribute names: the defaults of ``--idp-preset`` (docs/saml.md).

The names are what each vendor's admin console emits for the claim (Entra ID, ADFS) or what our
setup instructions ask the customer to type (Okta, Google Workspace, generic: their attribute
statements are free-form). Cognito maps them: ``email`` <- ``email_attribute``, ``custom:groups``
<- ``groups_attribute``, ``custom:roles`` <- ``roles_attribute`` (when not empty).
"""

from __future__ import annotations

from dataclasses import dataclass

NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

CLAIM_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
CLAIM_GROUPS_MS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
CLAIM_ROLE_MS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
CLAIM_GROUP_ADFS = "http://schemas.xmlsoap.org/claims/Group"


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    email_attribute: str
    groups_attribute: str
    roles_attribute: str  # "" when the vendor has no conventional roles attribute
    name_id_format: str
    notes: str  # shown to the operator with the values to hand the customer


PRESETS: dict[str, Preset] = {
    "okta": Preset(
        name="okta",
        label="Okta (SAML 2.0 app integration)",
        email_attribute="email",
        groups_attribute="groups",
        roles_attribute="",
        name_id_format=NAMEID_EMAIL,
        notes=(
            "Attribute Statements: name 'email', value user.email. Group Attribute Statements: "
            "name 'groups', filter 'Matches regex' .* (or a narrower filter); Okta sends one "
            "AttributeValue per group."
        ),
    ),
    "entra": Preset(
        name="entra",
        label="Microsoft Entra ID (enterprise application)",
        email_attribute=CLAIM_EMAIL,
        groups_attribute=CLAIM_GROUPS_MS,
        roles_attribute=CLAIM_ROLE_MS,
        name_id_format=NAMEID_EMAIL,
        notes=(
            "Attributes & Claims: keep emailaddress (user.mail); Add a group claim (Security groups "
            "or 'Groups assigned to the application'). Entra sends group object IDs unless "
            "'sAMAccountName'/'Cloud-only group display names' is chosen. Over 150 groups the "
            "groups claim is replaced by a link (group overage): assign only the groups that "
            "matter to the application."
        ),
    ),
    "adfs": Preset(
        name="adfs",
        label="Active Directory Federation Services (relying party trust)",
        email_attribute=CLAIM_EMAIL,
        groups_attribute=CLAIM_GROUP_ADFS,
        roles_attribute=CLAIM_ROLE_MS,
        name_id_format=NAMEID_EMAIL,
        notes=(
            "Claim issuance policy, 'Send LDAP Attributes as Claims': E-Mail-Addresses -> E-Mail "
            "Address, Token-Groups - Unqualified Names -> Group; a 'Transform an Incoming Claim' "
            "rule E-Mail Address -> Name ID (Email)."
        ),
    ),
    "google": Preset(
        name="google",
        label="Google Workspace (custom SAML app)",
        email_attribute="email",
        groups_attribute="groups",
        roles_attribute="",
        name_id_format=NAMEID_EMAIL,
        notes=(
            "Name ID: Basic Information > Primary email, format EMAIL. Attribute mapping: Primary "
            "email -> 'email'; Group membership: the groups to send -> app attribute 'groups' (at most "
            "75 group names; a renamed group must be entered again)."
        ),
    ),
    "generic": Preset(
        name="generic",
        label="Any SAML 2.0 identity provider",
        email_attribute="email",
        groups_attribute="groups",
        roles_attribute="",
        name_id_format=NAMEID_PERSISTENT,
        notes="Send the user's email in an attribute named 'email' and each group in 'groups'.",
    ),
}

DEFAULT_PRESET = "generic"


def get_preset(name: str) -> Preset:
    """The preset named ``name`` (KeyError listing the known names otherwise)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown SAML preset {name!r}: choose among {', '.join(PRESETS)}") from None

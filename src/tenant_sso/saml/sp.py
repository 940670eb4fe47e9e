"""The values the customer's IT admin pastes into their IdP for a SAML upstream behind Cognito.

Each value is checked against AWS's Cognito documentation (docs/saml.md, "What to hand the
customer", says where): the SP entity id (audience) ``urn:amazon:cognito:sp:<poolId>``, the ACS
URL ``https://<domain>/saml2/idpresponse`` (HTTP-POST), the single logout URL
``https://<domain>/saml2/logout``, the attribute statements our mapping reads, Cognito's signing
certificate when AuthnRequests are signed, its encryption certificate when responses are
encrypted, and, for IdP-initiated sign-in, the default RelayState: the authorize parameters
Cognito reads from it (``identity_provider``, ``client_id``, ``redirect_uri``, ``response_type``,
``scope``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from .presets import PRESETS, Preset

SP_ENTITY_ID_PREFIX = "urn:amazon:cognito:sp:"
IDP_RESPONSE_PATH = "/saml2/idpresponse"
LOGOUT_PATH = "/saml2/logout"
DEFAULT_SCOPES = ("openid",)


@dataclass(frozen=True)
class SpValue:
    key: str  # stable: sp_entity_id, acs_url, slo_url, name_id_format, attributes, ...
    label: str
    value: str
    help: str


def cognito_base_url(cognito_domain: str) -> str:
    """``https://<host>`` from a Cognito domain given as a bare host or a URL."""
    domain = cognito_domain.strip().rstrip("/")
    if "://" not in domain:
        return f"https://{domain}"
    parts = urlsplit(domain)
    return f"{parts.scheme}://{parts.netloc}"


def sp_entity_id(user_pool_id: str) -> str:
    return f"{SP_ENTITY_ID_PREFIX}{user_pool_id}"


def acs_url(cognito_domain: str) -> str:
    return cognito_base_url(cognito_domain) + IDP_RESPONSE_PATH


def slo_url(cognito_domain: str) -> str:
    return cognito_base_url(cognito_domain) + LOGOUT_PATH


def relay_state(
    *, client_id: str, redirect_uri: str, identity_provider: str, scopes: Sequence[str] = DEFAULT_SCOPES
) -> str:
    """The default RelayState of an IdP-initiated sign-in: the authorize parameters, form-encoded."""
    return urlencode(
        [
            ("identity_provider", identity_provider),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", " ".join(scopes)),
        ]
    )


def attribute_values(
    preset: Preset, *, email_attribute: str = "", groups_attribute: str = "", roles_attribute: str | None = None
) -> list[SpValue]:
    """One value per attribute the IdP must send, named as our Cognito mapping reads it."""
    roles = preset.roles_attribute if roles_attribute is None else roles_attribute
    values = [
        SpValue(
            "email_attribute",
            "Attribute name: the user's email address (required)",
            email_attribute or preset.email_attribute,
            "Mapped to the user's email in Cognito (a required attribute of the user pool).",
        ),
        SpValue(
            "groups_attribute",
            "Attribute name: the user's groups, one value per group (required)",
            groups_attribute or preset.groups_attribute,
            f"Mapped to custom:groups; only members of the connection's allowed groups get in. {preset.notes}",
        ),
    ]
    if roles:
        values.append(
            SpValue(
                "roles_attribute",
                "Attribute name: the user's roles (optional)",
                roles,
                "Mapped to custom:roles.",
            )
        )
    return values


def sp_values(
    *,
    user_pool_id: str,
    cognito_domain: str,
    client_id: str,
    idp_initiated_url: str,
    preset: str | Preset,
    sign_requests: bool,
    signing_certificate_pem: str | None = None,
    single_logout: bool = False,
    identity_provider: str = "",
    encrypted_responses: bool = False,
    encryption_certificate_pem: str | None = None,
    email_attribute: str = "",
    groups_attribute: str = "",
    roles_attribute: str | None = None,
    scopes: Sequence[str] = DEFAULT_SCOPES,
) -> list[SpValue]:
    """The values to hand the customer, in the order an IdP's setup form asks for them.

    ``idp_initiated_url``: our redirect_uri for IdP-initiated sign-in ("" when it is off: no
    RelayState is given). ``*_attribute``: the connection's attribute names ("" / None: the
    preset's; ``roles_attribute=""``: no roles attribute). Certificates are included only when the feature is on; when it is on and the
    certificate is not known, the value says so rather than being left out silently.
    """
    chosen = PRESETS[preset] if isinstance(preset, str) else preset
    values = [
        SpValue(
            "sp_entity_id",
            "Audience URI (SP entity ID)",
            sp_entity_id(user_pool_id),
            "Okta: Audience URI; Entra: Identifier (Entity ID); ADFS: relying party identifier; "
            "Google: Entity ID.",
        ),
        SpValue(
            "acs_url",
            "Single sign-on URL (ACS URL, HTTP-POST)",
            acs_url(cognito_domain),
            "Okta: Single sign-on URL; Entra: Reply URL; ADFS: SAML Assertion Consumer endpoint; "
            "Google: ACS URL.",
        ),
        SpValue(
            "slo_url",
            "Single logout URL",
            slo_url(cognito_domain),
            "Single logout: the IdP POSTs its LogoutResponse here (Okta: SP Issuer/Single Logout URL; "
            "Entra: Logout URL; ADFS: SAML Logout endpoint, POST).",
        ),
        SpValue(
            "name_id_format",
            "Name ID format",
            chosen.name_id_format,
            "A stable value per user; Cognito keys the federated user on it.",
        ),
        *attribute_values(
            chosen,
            email_attribute=email_attribute,
            groups_attribute=groups_attribute,
            roles_attribute=roles_attribute,
        ),
    ]
    if sign_requests or single_logout:
        values.append(
            SpValue(
                "signing_certificate",
                "SP signing certificate (signed AuthnRequests)",
                signing_certificate_pem or "(not known yet: run sso_cognito sp-metadata after onboarding)",
                "Cognito signs its AuthnRequests (when signing is on) and its single-logout requests with "
                "this certificate; the IdP verifies them with it.",
            )
        )
    if encrypted_responses:
        values.append(
            SpValue(
                "encryption_certificate",
                "SP encryption certificate (encrypted assertions)",
                encryption_certificate_pem or "(not known yet: run sso_cognito sp-metadata after onboarding)",
                "The IdP encrypts assertions to this certificate; Cognito decrypts them.",
            )
        )
    if idp_initiated_url:
        values.append(
            SpValue(
                "relay_state",
                "Default RelayState (IdP-initiated sign-in)",
                relay_state(
                    client_id=client_id,
                    redirect_uri=idp_initiated_url,
                    identity_provider=identity_provider,
                    scopes=scopes,
                ),
                "Okta: Default RelayState; Entra: Relay State (optional); Google: Start URL. Without "
                "it Cognito cannot tell which app the tile signs in to.",
            )
        )
    return values

"""SAML test material: real X.509 certificates (cryptography) and IdP metadata shaped like each
vendor's (Okta, Entra ID, ADFS, Google Workspace), as their documentation shows it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID


@lru_cache(maxsize=1)
def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_certificate(
    *,
    not_before: datetime,
    not_after: datetime,
    common_name: str = "idp.example.com",
    serial: int | None = None,
) -> bytes:
    """A self-signed certificate (DER) valid from ``not_before`` to ``not_after``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_key().public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(_key(), hashes.SHA256())
    )
    return cert.public_bytes(Encoding.DER)


def valid_certificate(
    now: datetime, *, days_left: float = 365, common_name: str = "idp.example.com"
) -> bytes:
    return make_certificate(
        not_before=now - timedelta(days=30),
        not_after=now + timedelta(days=days_left),
        common_name=common_name,
    )


def expired_certificate(
    now: datetime, *, days_ago: float = 1, common_name: str = "old.idp.example.com"
) -> bytes:
    return make_certificate(
        not_before=now - timedelta(days=800),
        not_after=now - timedelta(days=days_ago),
        common_name=common_name,
    )


def b64(der: bytes) -> str:
    """The base64 body of an X509Certificate element, wrapped at 64 columns as IdPs emit it."""
    text = base64.b64encode(der).decode("ascii")
    return "\n".join(text[i : i + 64] for i in range(0, len(text), 64))


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def okta_metadata(certs: list[bytes], *, app: str = "exk1fcia6d6EMsf331d8") -> bytes:
    """Okta's "Identity Provider metadata" of a SAML 2.0 app integration (md: prefix, one
    signing certificate, POST and Redirect at the app's /sso/saml)."""
    keys = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{b64(c)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor>"
        for c in certs
    )
    sso = f"https://acme.okta.com/app/acme_tenantsso_1/{app}/sso/saml"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/{app}">'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{keys}"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
        f'<md:SingleSignOnService Binding="{POST}" Location="{sso}"/>'
        f'<md:SingleSignOnService Binding="{REDIRECT}" Location="{sso}"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    ).encode()


ENTRA_TENANT = "4f2c3a1e-9b7d-4e55-8a1c-2d6f0e9b7a31"


def entra_metadata(certs: list[bytes], *, tenant: str = ENTRA_TENANT) -> bytes:
    """Entra ID's federation metadata of an enterprise application: default namespace, a
    (here unchecked) Signature, WS-Federation RoleDescriptors before the IDPSSODescriptor, one
    KeyDescriptor per certificate (two during a rollover)."""
    keys = "".join(
        '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>'
        f"<X509Certificate>{b64(c)}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
        for c in certs
    )
    base = f"https://login.microsoftonline.com/{tenant}/saml2"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<EntityDescriptor ID="_a1b2c3d4-0000-4000-8000-000000000001" entityID="https://sts.windows.net/{tenant}/" '
        'xmlns="urn:oasis:names:tc:SAML:2.0:metadata">'
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
        '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        "</SignedInfo><SignatureValue>AAAA</SignatureValue></Signature>"
        '<RoleDescriptor xsi:type="fed:SecurityTokenServiceType" '
        'protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">'
        f"{keys}"
        "</RoleDescriptor>"
        '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{keys}"
        f'<SingleLogoutService Binding="{REDIRECT}" Location="{base}"/>'
        f'<SingleSignOnService Binding="{REDIRECT}" Location="{base}"/>'
        f'<SingleSignOnService Binding="{POST}" Location="{base}"/>'
        "</IDPSSODescriptor></EntityDescriptor>"
    ).encode()


def adfs_metadata(
    signing: list[bytes], *, encryption: bytes | None = None, host: str = "adfs.contoso.com"
) -> bytes:
    """ADFS's /FederationMetadata/2007-06/FederationMetadata.xml: an SPSSODescriptor too, an
    encryption key next to the signing key, three NameID formats, the claims it offers."""

    def key(use: str, der: bytes) -> str:
        return (
            f'<KeyDescriptor use="{use}"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>'
            f"<X509Certificate>{b64(der)}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
        )

    keys = (key("encryption", encryption) if encryption else "") + "".join(key("signing", c) for c in signing)
    ls = f"https://{host}/adfs/ls/"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<EntityDescriptor ID="_5e6f7a8b" entityID="http://{host}/adfs/services/trust" '
        'xmlns="urn:oasis:names:tc:SAML:2.0:metadata">'
        '<SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<AssertionConsumerService Binding="{POST}" Location="{ls}" index="0" isDefault="true"/>'
        "</SPSSODescriptor>"
        '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{keys}"
        f'<SingleLogoutService Binding="{REDIRECT}" Location="{ls}"/>'
        f'<SingleLogoutService Binding="{POST}" Location="{ls}"/>'
        "<NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>"
        "<NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</NameIDFormat>"
        "<NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</NameIDFormat>"
        f'<SingleSignOnService Binding="{REDIRECT}" Location="{ls}"/>'
        f'<SingleSignOnService Binding="{POST}" Location="{ls}"/>'
        '<Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" '
        'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="E-Mail Address" '
        'xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/>'
        '<Attribute Name="http://schemas.xmlsoap.org/claims/Group" '
        'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="Group" '
        'xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/>'
        "</IDPSSODescriptor></EntityDescriptor>"
    ).encode()


def google_metadata(
    certs: list[bytes], *, idpid: str = "C01abcde2", valid_until: datetime | None = None
) -> bytes:
    """Google Workspace's "IdP metadata" of a custom SAML app: validUntil on the entity,
    WantAuthnRequestsSigned="false", email NameID, Redirect and POST."""
    keys = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{b64(c)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor>"
        for c in certs
    )
    until = f' validUntil="{valid_until:%Y-%m-%dT%H:%M:%S.000Z}"' if valid_until else ""
    sso = f"https://accounts.google.com/o/saml2/idp?idpid={idpid}"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="https://accounts.google.com/o/saml2?idpid={idpid}"{until}>'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{keys}"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
        f'<md:SingleSignOnService Binding="{REDIRECT}" Location="{sso}"/>'
        f'<md:SingleSignOnService Binding="{POST}" Location="{sso}"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    ).encode()

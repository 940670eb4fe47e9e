"""A SAML 2.0 identity provider's metadata, parsed and checked before anything uses it.

Every tenant IdP may be hostile, and so may whoever pastes a metadata URL or file into a setup
form: the XML is parsed by defusedxml with DTDs, entity declarations and external references all
refused (billion laughs, XXE), after a size limit, and nothing in it is fetched. What is kept is
what Cognito (or the local broker) needs and what we track: the entity id, the single sign-on
and single logout endpoints, the signing certificates (their expiry dates) and whether the IdP
wants signed AuthnRequests (docs/saml.md).

The metadata's own XML signature, when there is one, is NOT verified here: the document comes
from the operator (a file) or from the IdP over https, as Cognito itself takes it. The
assertions are what is verified, with these certificates (by Cognito, or by the devidp with a
well-kept XML-DSig library).

No Django imports (like :mod:`tenant_sso.oidc`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..exceptions import InvalidMetadata
from ..oidc.metadata import is_secure_url

__all__ = [
    "MAX_METADATA_BYTES",
    "Certificate",
    "IdPMetadata",
    "InvalidMetadata",
    "load_certificate",
    "parse_metadata",
    "read_signing_certificates",
]

#: Larger documents are refused before parsing (an IdP's own metadata is a few kB; Entra's and
#: ADFS's, with several certificates and claim lists, stay under 100 kB; federation aggregates
#: are not an IdP's metadata).
MAX_METADATA_BYTES = 1_000_000
#: SAML 2.0 metadata 2.3.2: entityID is a URI of at most 1024 characters.
MAX_ENTITY_ID_LENGTH = 1024
#: Cognito takes signing certificates of at most 4,096 characters each (AWS, "Things to know about
#: SAML IdPs in Amazon Cognito user pools": "Each signing certificate must be 4,096 characters or
#: fewer"); refused here rather than by CreateIdentityProvider half-way through onboarding.
MAX_CERTIFICATE_CHARS = 4096

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


@dataclass(frozen=True)
class Certificate:
    """An X.509 certificate from the metadata (DER), with what we show and track of it."""

    der: bytes
    subject: str
    fingerprint_sha256: str  # lowercase hex, no separators
    not_before: datetime  # aware, UTC
    not_after: datetime  # aware, UTC

    @property
    def pem(self) -> str:
        body = base64.encodebytes(self.der).decode("ascii").replace("\n", "")
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"

    @property
    def fingerprint_display(self) -> str:
        """``AB:CD:...``, as IdP admin consoles show fingerprints."""
        upper = self.fingerprint_sha256.upper()
        return ":".join(upper[i : i + 2] for i in range(0, len(upper), 2))

    def is_valid_at(self, now: datetime) -> bool:
        return self.not_before <= now <= self.not_after

    def days_left(self, now: datetime) -> int:
        """Whole days until ``not_after`` (negative once expired; 0 on the last day)."""
        return days_until(self.not_after, now)


def days_until(moment: datetime, now: datetime) -> int:
    """Whole days from ``now`` until ``moment``, rounded down (-1 as soon as it has passed)."""
    seconds = (moment - now).total_seconds()
    return int(seconds // 86400)


@dataclass(frozen=True)
class IdPMetadata:
    entity_id: str
    sso_redirect_url: str  # "" when the IdP has no HTTP-Redirect binding
    sso_post_url: str  # "" when the IdP has no HTTP-POST binding
    slo_url: str  # "" when the IdP publishes no single logout service
    signing_certificates: tuple[Certificate, ...]
    want_authn_requests_signed: bool
    xml: bytes
    name_id_formats: tuple[str, ...] = ()
    valid_until: datetime | None = None

    @property
    def sso_url(self) -> str:
        """The endpoint a browser is sent to: HTTP-Redirect when published, else HTTP-POST."""
        return self.sso_redirect_url or self.sso_post_url

    def earliest_expiry(self) -> datetime:
        return min(c.not_after for c in self.signing_certificates)


def load_certificate(der: bytes) -> Certificate:
    """A :class:`Certificate` from DER bytes; ValueError when they are not a certificate."""
    cert = x509.load_der_x509_certificate(der)
    der = cert.public_bytes(Encoding.DER)
    return Certificate(
        der=der,
        subject=cert.subject.rfc4514_string()[:500],
        fingerprint_sha256=hashlib.sha256(der).hexdigest(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def _tag(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _parse_xml(xml: bytes) -> Element:
    if len(xml) > MAX_METADATA_BYTES:
        raise InvalidMetadata(
            "saml_metadata_too_large",
            f"The SAML metadata is larger than {MAX_METADATA_BYTES // 1000} kB; an IdP's own metadata is a few kB.",
        )
    if not xml.strip():
        raise InvalidMetadata("saml_metadata_malformed", "The SAML metadata is empty.")
    try:
        return fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise InvalidMetadata(
            "saml_metadata_forbidden_xml",
            "The SAML metadata declares a DTD or entities, which are refused (they can expand "
            f"without limit or read files): {type(error).__name__}.",
        ) from None
    except (ParseError, ValueError) as error:
        raise InvalidMetadata(
            "saml_metadata_malformed", f"The SAML metadata is not well-formed XML: {error}"[:300]
        ) from None


def _idp_entity(root: Element) -> tuple[Element, Element]:
    """The EntityDescriptor holding a SAML 2.0 IDPSSODescriptor, and that descriptor."""
    if root.tag == _tag(MD, "EntityDescriptor"):
        entities = [root]
    elif root.tag == _tag(MD, "EntitiesDescriptor"):
        entities = list(root.iter(_tag(MD, "EntityDescriptor")))
    else:
        raise InvalidMetadata(
            "saml_metadata_not_idp",
            "The document is not SAML 2.0 metadata (no md:EntityDescriptor); download the IdP's "
            "federation metadata XML.",
        )
    found: list[tuple[Element, Element]] = []
    for entity in entities:
        for descriptor in entity.findall(_tag(MD, "IDPSSODescriptor")):
            protocols = (descriptor.get("protocolSupportEnumeration") or "").split()
            if SAML2_PROTOCOL in protocols:
                found.append((entity, descriptor))
                break
    if not found:
        raise InvalidMetadata(
            "saml_metadata_not_idp",
            "The metadata describes no SAML 2.0 identity provider (no IDPSSODescriptor for "
            f"{SAML2_PROTOCOL}); is it the service provider's metadata?",
        )
    if len(found) > 1:
        raise InvalidMetadata(
            "saml_metadata_ambiguous",
            f"The metadata describes {len(found)} identity providers; give the one for this connection.",
        )
    return found[0]


def _endpoint(descriptor: Element, name: str, binding: str, url_ok: Callable[[str], bool]) -> str:
    for service in descriptor.findall(_tag(MD, name)):
        if service.get("Binding") != binding:
            continue
        location = (service.get("Location") or "").strip()
        if not location:
            continue
        if len(location) > 2000 or not url_ok(location):
            raise InvalidMetadata(
                "saml_metadata_insecure_endpoint",
                f"The {name} endpoint {location[:200]!r} is not an https URL.",
            )
        return location
    return ""


def _key_descriptors(descriptor: Element) -> Iterator[tuple[str, Element]]:
    for key in descriptor.findall(_tag(MD, "KeyDescriptor")):
        yield (key.get("use") or "").strip(), key


def _signing_certificates(descriptor: Element) -> tuple[Certificate, ...]:
    certificates: list[Certificate] = []
    seen: set[str] = set()
    for use, key in _key_descriptors(descriptor):
        if use not in ("", "signing"):  # no use attribute: the key serves both (metadata 2.4.1.1)
            continue
        for element in key.iter(_tag(DS, "X509Certificate")):
            text = "".join((element.text or "").split())
            if len(text) > MAX_CERTIFICATE_CHARS:
                raise InvalidMetadata(
                    "saml_metadata_certificate_too_long",
                    f"A signing certificate is {len(text)} characters long; Cognito takes at most "
                    f"{MAX_CERTIFICATE_CHARS} (use a smaller key or certificate at the IdP).",
                )
            try:
                certificate = load_certificate(base64.b64decode(text, validate=True))
            except (binascii.Error, ValueError):
                raise InvalidMetadata(
                    "saml_metadata_bad_certificate",
                    "A signing certificate in the metadata is not a valid base64 X.509 certificate.",
                ) from None
            if certificate.fingerprint_sha256 not in seen:
                seen.add(certificate.fingerprint_sha256)
                certificates.append(certificate)
    return tuple(certificates)


def _valid_until(entity: Element, root: Element) -> datetime | None:
    values = [e.get("validUntil") for e in (root, entity) if e.get("validUntil")]
    moments: list[datetime] = []
    for value in values:
        try:
            moment = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
        except ValueError:
            raise InvalidMetadata(
                "saml_metadata_malformed", f"validUntil {value!r} is not an xs:dateTime."
            ) from None
        moments.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return min(moments) if moments else None


def read_signing_certificates(xml: bytes) -> tuple[Certificate, ...]:
    """The IdP's signing certificates, expired or not (e.g. Cognito's copy of the metadata, for
    expiry tracking): the same safe parsing, none of :func:`parse_metadata`'s validity checks."""
    _entity, descriptor = _idp_entity(_parse_xml(xml))
    return _signing_certificates(descriptor)


def parse_metadata(
    xml: bytes, *, now: datetime, url_ok: Callable[[str], bool] = is_secure_url
) -> IdPMetadata:
    """Parse and check an IdP's SAML 2.0 metadata; :class:`InvalidMetadata` with a reason code when
    it cannot be used.

    Checked: size, well-formed XML without DTD or entities, exactly one SAML 2.0 IdP, an entity id,
    an SSO endpoint (HTTP-Redirect or HTTP-POST) that is https (``url_ok``: http only on loopback),
    not past ``validUntil``, and at least one signing certificate valid at ``now`` (an expired one
    next to a valid one is a rollover and is kept, so its expiry can be shown).
    """
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    root = _parse_xml(xml)
    entity, descriptor = _idp_entity(root)
    entity_id = (entity.get("entityID") or "").strip()
    if not entity_id:
        raise InvalidMetadata(
            "saml_metadata_no_entity_id", "The metadata's EntityDescriptor has no entityID."
        )
    if len(entity_id) > MAX_ENTITY_ID_LENGTH:
        raise InvalidMetadata(
            "saml_metadata_no_entity_id",
            f"The entityID is longer than {MAX_ENTITY_ID_LENGTH} characters (SAML metadata 2.3.2).",
        )
    valid_until = _valid_until(entity, root)
    if valid_until is not None and valid_until < now:
        raise InvalidMetadata(
            "saml_metadata_expired",
            f"The metadata was valid until {valid_until:%Y-%m-%d %H:%M} UTC; download it again from the IdP.",
        )
    redirect = _endpoint(descriptor, "SingleSignOnService", BINDING_REDIRECT, url_ok)
    post = _endpoint(descriptor, "SingleSignOnService", BINDING_POST, url_ok)
    if not (redirect or post):
        raise InvalidMetadata(
            "saml_metadata_no_sso_endpoint",
            "The metadata has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding.",
        )
    slo = _endpoint(descriptor, "SingleLogoutService", BINDING_REDIRECT, url_ok) or _endpoint(
        descriptor, "SingleLogoutService", BINDING_POST, url_ok
    )
    certificates = _signing_certificates(descriptor)
    if not certificates:
        raise InvalidMetadata(
            "saml_metadata_no_signing_certificate",
            'The metadata has no signing certificate (KeyDescriptor use="signing" with an '
            "X509Certificate): responses could not be verified.",
        )
    if not any(c.is_valid_at(now) for c in certificates):
        latest = max(certificates, key=lambda c: c.not_after)
        if latest.not_after < now:
            raise InvalidMetadata(
                "saml_metadata_certificate_expired",
                f"The IdP's signing certificate expired on {latest.not_after:%Y-%m-%d}; ask the "
                "customer to roll it and send new metadata.",
            )
        raise InvalidMetadata(
            "saml_metadata_certificate_not_yet_valid",
            f"The IdP's signing certificate is valid only from "
            f"{min(c.not_before for c in certificates):%Y-%m-%d %H:%M} UTC.",
        )
    name_id_formats = tuple(
        (e.text or "").strip() for e in descriptor.findall(_tag(MD, "NameIDFormat")) if (e.text or "").strip()
    )
    want_signed = (descriptor.get("WantAuthnRequestsSigned") or "").strip().lower() in ("true", "1")
    return IdPMetadata(
        entity_id=entity_id,
        sso_redirect_url=redirect,
        sso_post_url=post,
        slo_url=slo,
        signing_certificates=certificates,
        want_authn_requests_signed=want_signed,
        xml=xml,
        name_id_formats=name_id_formats,
        valid_until=valid_until,
    )

"""SAML 2.0 as Cognito speaks it to a customer's IdP: metadata, the AuthnRequest, the response.

The devidp plays Cognito as a SAML *service provider*: it sends an ``AuthnRequest`` with the
HTTP-Redirect binding and receives the IdP's ``Response`` at ``/saml2/idpresponse`` (HTTP-POST).
Pure functions here; the endpoint is :mod:`.saml_broker`.

No XML-DSig is written here: signatures are verified by ``signxml`` (on ``lxml``), the optional
``devidp-saml`` extra, and only what ``signxml`` returns as signed is read (the defence against
signature wrapping). XML is parsed without DTDs, entities or network access.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from .exceptions import DevIdPConfigError, DevIdPError

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
}
REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#: Cognito's ``/saml2/idpresponse`` accepts SAML responses of up to 100,000 characters.
MAX_RESPONSE_CHARS = 100_000
MAX_METADATA_BYTES = 1_000_000
#: Clock skew allowed on NotBefore / NotOnOrAfter, seconds.
CLOCK_SKEW = 60


class SamlError(DevIdPError):
    """A SAML message the pool refuses; ``str()`` is the description shown or sent to the app."""


def _libs() -> tuple[Any, Any]:
    try:
        import signxml
        from lxml import etree  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise DevIdPConfigError(
            "SAML identity providers need the devidp-saml extra: pip install 'tenant-sso[devidp-saml]'"
        ) from exc
    return etree, signxml


def _parse(xml: bytes) -> Any:
    """Parse untrusted XML: no DTD (so no entity expansion, no XXE), no network."""
    etree, _ = _libs()
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False
    )
    try:
        root = etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SamlError(f"malformed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise SamlError("XML with a DOCTYPE is refused")
    return root


def _text(element: Any) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _pem(b64_der: str) -> str:
    body = "".join(b64_der.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def _instant(value: str | None, what: str) -> float | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise SamlError(f"{what} is not a SAML timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


# -- metadata ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IdPMetadata:
    """What the pool keeps of a SAML IdP's metadata (``CreateIdentityProvider`` reads the same)."""

    entity_id: str
    sso_redirect_url: str
    certificates: tuple[str, ...]  # PEM, the IdP's signing certificates


def parse_metadata(xml: bytes) -> IdPMetadata:
    """The entity id, the HTTP-Redirect SSO endpoint and the signing certificates.

    Raises :class:`SamlError` when one of them is missing (Cognito refuses such metadata too).
    """
    if len(xml) > MAX_METADATA_BYTES:
        raise SamlError("metadata larger than 1 MB")
    root = _parse(xml)
    if root.tag == f"{{{NS['md']}}}EntitiesDescriptor":
        found = root.find("md:EntityDescriptor", NS)
        if found is None:
            raise SamlError("metadata: no EntityDescriptor")
        root = found
    if root.tag != f"{{{NS['md']}}}EntityDescriptor":
        raise SamlError("metadata: the root is not an EntityDescriptor")
    entity_id = (root.get("entityID") or "").strip()
    if not entity_id:
        raise SamlError("metadata: no entityID")
    descriptor = root.find("md:IDPSSODescriptor", NS)
    if descriptor is None:
        raise SamlError("metadata: no IDPSSODescriptor")
    sso = next(
        (
            s.get("Location")
            for s in descriptor.findall("md:SingleSignOnService", NS)
            if s.get("Binding") == REDIRECT_BINDING and s.get("Location")
        ),
        None,
    )
    if not sso:
        raise SamlError("metadata: no SingleSignOnService with the HTTP-Redirect binding")
    certificates = tuple(
        _pem(_text(cert))
        for key in descriptor.findall("md:KeyDescriptor", NS)
        if key.get("use") in (None, "signing")
        for cert in key.findall(".//ds:X509Certificate", NS)
        if _text(cert)
    )
    if not certificates:
        raise SamlError("metadata: no signing certificate")
    return IdPMetadata(entity_id=entity_id, sso_redirect_url=sso, certificates=certificates)


# -- the AuthnRequest ----------------------------------------------------------------------------
def _timestamp(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def authn_request_url(
    metadata: IdPMetadata,
    *,
    request_id: str,
    sp_entity_id: str,
    acs_url: str,
    relay_state: str,
    force_authn: bool,
    now: float,
) -> str:
    """The IdP's SSO URL carrying a deflated, base64 ``SAMLRequest`` and ``RelayState``.

    Unsigned, as Cognito sends it unless the provider has ``RequestSigningAlgorithm``.
    """
    etree, _ = _libs()
    request = etree.Element(
        f"{{{NS['samlp']}}}AuthnRequest",
        nsmap={"samlp": NS["samlp"], "saml": NS["saml"]},
        ID=request_id,
        Version="2.0",
        IssueInstant=_timestamp(now),
        Destination=metadata.sso_redirect_url,
        AssertionConsumerServiceURL=acs_url,
        ProtocolBinding=POST_BINDING,
    )
    if force_authn:
        request.set("ForceAuthn", "true")
    etree.SubElement(request, f"{{{NS['saml']}}}Issuer").text = sp_entity_id
    etree.SubElement(
        request,
        f"{{{NS['samlp']}}}NameIDPolicy",
        Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        AllowCreate="true",
    )
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw DEFLATE (SAML bindings 3.4.4.1)
    deflated = compressor.compress(etree.tostring(request)) + compressor.flush()
    query = urlencode({"SAMLRequest": base64.b64encode(deflated).decode("ascii"), "RelayState": relay_state})
    separator = "&" if "?" in metadata.sso_redirect_url else "?"
    return f"{metadata.sso_redirect_url}{separator}{query}"


# -- the Response ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SamlAssertion:
    """The checked content of a signed assertion."""

    issuer: str
    name_id: str
    assertion_id: str
    in_response_to: str | None
    not_on_or_after: float
    attributes: dict[str, tuple[str, ...]]


def decode_response(encoded: str) -> bytes:
    """The XML of a ``SAMLResponse`` form value (base64), within Cognito's size limit."""
    if len(encoded) > MAX_RESPONSE_CHARS:
        raise SamlError(f"SAMLResponse longer than {MAX_RESPONSE_CHARS} characters")
    try:
        return base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SamlError("SAMLResponse is not base64") from None


def response_issuer(xml: bytes) -> str:
    """The Issuer of an (unverified) Response, to pick the IdP whose certificates verify it."""
    root = _parse(xml)
    if root.tag != f"{{{NS['samlp']}}}Response":
        raise SamlError("not a SAML Response")
    issuer = root.find("saml:Issuer", NS)
    if issuer is None:
        issuer = root.find("saml:Assertion/saml:Issuer", NS)
    value = _text(issuer)
    if not value:
        raise SamlError("the Response names no Issuer")
    return value


def _verify_signature(xml: bytes, certificates: tuple[str, ...]) -> Any:
    """The element signxml vouches for (the Response or its Assertion), or :class:`SamlError`."""
    _, signxml = _libs()
    last: Exception | None = None
    for cert in certificates:
        try:
            return signxml.XMLVerifier().verify(xml, x509_cert=cert).signed_xml
        except (signxml.exceptions.InvalidSignature, signxml.exceptions.InvalidInput) as exc:
            last = exc
    raise SamlError(f"the signature does not verify with the IdP's certificate ({last})")


def verify_response(
    xml: bytes,
    metadata: IdPMetadata,
    *,
    audience: str,
    acs_url: str,
    now: float,
    skew: float = CLOCK_SKEW,
) -> SamlAssertion:
    """Check a Response as Cognito does and return what its signed assertion says.

    Signed Response or signed Assertion (signxml's choice of the first signature in document
    order); status Success; Destination and the bearer confirmation's Recipient are our ACS URL;
    issuer = the metadata's entity id; Conditions' time window and audience
    ``urn:amazon:cognito:sp:<poolId>``; InResponseTo consistent (the caller matches it to a
    request it sent). Encrypted assertions are not supported by the devidp.
    """
    root = _parse(xml)
    if root.tag != f"{{{NS['samlp']}}}Response":
        raise SamlError("not a SAML Response")
    status = root.find("samlp:Status/samlp:StatusCode", NS)
    if status is None or status.get("Value") != SUCCESS:
        code = status.get("Value") if status is not None else "no status"
        raise SamlError(f"the IdP did not sign the user in ({code})")
    if root.find("saml:EncryptedAssertion", NS) is not None:
        raise SamlError("encrypted assertions are not supported by the devidp")
    destination = root.get("Destination")
    if destination is not None and destination != acs_url:
        raise SamlError(f"Destination {destination!r} is not this pool's /saml2/idpresponse")
    assertions = root.findall("saml:Assertion", NS)
    if len(assertions) != 1:
        raise SamlError("the Response must carry exactly one Assertion")

    signed = _verify_signature(xml, metadata.certificates)
    if signed.tag == f"{{{NS['samlp']}}}Response":
        signed_assertions = signed.findall("saml:Assertion", NS)
        if len(signed_assertions) != 1 or signed.get("ID") != root.get("ID"):
            raise SamlError("the signed Response is not the Response received")
        assertion = signed_assertions[0]
    elif signed.tag == f"{{{NS['saml']}}}Assertion" and signed.get("ID") == assertions[0].get("ID"):
        assertion = signed
    else:
        raise SamlError("the signature covers neither the Response nor its Assertion")

    issuer = _text(assertion.find("saml:Issuer", NS))
    if issuer != metadata.entity_id:
        raise SamlError(f"assertion issuer {issuer!r} is not the IdP's entity id")
    response_issuer_value = _text(root.find("saml:Issuer", NS))
    if response_issuer_value and response_issuer_value != metadata.entity_id:
        raise SamlError("the Response's issuer is not the IdP's entity id")

    conditions = assertion.find("saml:Conditions", NS)
    if conditions is None:
        raise SamlError("the assertion has no Conditions")
    not_before = _instant(conditions.get("NotBefore"), "NotBefore")
    not_on_or_after = _instant(conditions.get("NotOnOrAfter"), "NotOnOrAfter")
    if not_before is not None and now + skew < not_before:
        raise SamlError("the assertion is not valid yet (NotBefore)")
    if not_on_or_after is not None and now - skew >= not_on_or_after:
        raise SamlError("the assertion has expired (NotOnOrAfter)")
    audiences = {_text(a) for a in conditions.findall("saml:AudienceRestriction/saml:Audience", NS)}
    if audience not in audiences:
        raise SamlError(f"the assertion's audience is not {audience}")

    subject = assertion.find("saml:Subject", NS)
    name_id = _text(subject.find("saml:NameID", NS)) if subject is not None else ""
    if not name_id:
        raise SamlError("the assertion has no NameID")
    confirmations = [
        c.find("saml:SubjectConfirmationData", NS)
        for c in subject.findall("saml:SubjectConfirmation", NS)
        if c.get("Method") == BEARER
    ]
    data = next((d for d in confirmations if d is not None), None)
    if data is None:
        raise SamlError("the assertion has no bearer SubjectConfirmationData")
    recipient = data.get("Recipient")
    if recipient is not None and recipient != acs_url:
        raise SamlError(f"Recipient {recipient!r} is not this pool's /saml2/idpresponse")
    confirm_until = _instant(data.get("NotOnOrAfter"), "SubjectConfirmationData NotOnOrAfter")
    if confirm_until is not None and now - skew >= confirm_until:
        raise SamlError("the subject confirmation has expired")
    in_response_to = root.get("InResponseTo") or None
    confirmation_irt = data.get("InResponseTo") or None
    if in_response_to and confirmation_irt and in_response_to != confirmation_irt:
        raise SamlError("InResponseTo differs between the Response and the assertion")
    attributes: dict[str, tuple[str, ...]] = {}
    for attribute in assertion.findall("saml:AttributeStatement/saml:Attribute", NS):
        name = attribute.get("Name")
        if name:
            values = tuple(_text(v) for v in attribute.findall("saml:AttributeValue", NS))
            attributes[name] = attributes.get(name, ()) + tuple(v for v in values if v)
    return SamlAssertion(
        issuer=issuer,
        name_id=name_id,
        assertion_id=assertion.get("ID") or "",
        in_response_to=confirmation_irt or in_response_to,
        not_on_or_after=min(t for t in (not_on_or_after, confirm_until, now + 3600) if t is not None),
        attributes=attributes,
    )


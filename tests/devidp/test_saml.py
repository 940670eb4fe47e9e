"""The devidp brokering a SAML IdP, in process: the AuthnRequest it sends, the Responses it accepts
and refuses (signature, audience, time window, destination, issuer, InResponseTo, replay),
IdP-initiated sign-in (IDPInit), the attribute mapping into ``custom:groups`` and stale values.

Responses are signed here with signxml's signer (the library the devidp verifies with), so these
tests need no Node; tests/browser/test_saml_in_browser.py runs the third-party saml-idp.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import signxml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from tenant_sso.devidp import DevIdP, DevIdPConfig, DevIdPConfigError
from tenant_sso.devidp.core import FORM_TYPE
from tenant_sso.devidp.web import Request, Response

POOL = "us-east-1_SamlPool1"
AUDIENCE = f"urn:amazon:cognito:sp:{POOL}"
BASE = "http://127.0.0.1:9"
ACS = f"{BASE}/saml2/idpresponse"
ENTITY = "urn:test:saml-idp"
SSO = "https://idp.example.test/sso"
CALLBACK = "http://127.0.0.1:8000/api/oidc/cognito/callback/"
TILE = "http://127.0.0.1:8000/api/oidc/cognito/idp-initiated/initech/"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


def _key_pair(cn: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def idp_keys() -> tuple[str, str]:
    return _key_pair("saml idp")


@pytest.fixture(scope="module")
def other_keys() -> tuple[str, str]:
    return _key_pair("someone else")


def metadata(cert_pem: str, *, with_cert: bool = True) -> bytes:
    body = "".join(cert_pem.strip().splitlines()[1:-1])
    key = (f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{body}'
           "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>") if with_cert else ""
    return (f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{ENTITY}">'
            f'<md:IDPSSODescriptor protocolSupportEnumeration="{SAMLP}">{key}'
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            f'Location="{SSO}"/></md:IDPSSODescriptor></md:EntityDescriptor>').encode()


def make_idp(tmp_path: Path, cert_pem: str, *, idp_initiated: bool = False, keep_stale: bool = True,
             with_cert: bool = True) -> DevIdP:
    path = tmp_path / "metadata.xml"
    path.write_bytes(metadata(cert_pem, with_cert=with_cert))
    config = {
        "user_pool_id": POOL,
        "clients": [{"client_id": "initech", "client_secret": "s3cret", "callback_urls": [CALLBACK, TILE],
                     "identity_providers": ["Initech"]}],
        "identity_providers": [{
            "name": "Initech", "type": "saml", "metadata_file": str(path), "idp_initiated": idp_initiated,
            "keep_stale_attributes": keep_stale,
            "attribute_mapping": {"email": "email", "given_name": "firstName", "custom:groups": "groups"},
        }],
    }
    idp = DevIdP(DevIdPConfig.from_dict(config))
    idp.base_url = BASE
    return idp


def _instant(delta: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_response(
    keys: tuple[str, str], *, in_response_to: str | None, name_id: str = "peter@initech.test",
    attributes: dict[str, list[str]] | None = None, audience: str = AUDIENCE, destination: str = ACS,
    recipient: str = ACS, issuer: str = ENTITY, not_before: float = -30, not_after: float = 300,
    sign: bool = True, tamper: bool = False, extra_assertion: bool = False,
) -> str:
    """A base64 SAMLResponse, its assertion signed with ``keys`` (signxml, exclusive c14n)."""
    attributes = {"email": [name_id], "groups": ["engineering", "R&D"]} if attributes is None else attributes
    irt = f' InResponseTo="{in_response_to}"' if in_response_to else ""
    assertion_id = f"_a{uuid.uuid4().hex}"
    attrs = "".join(
        f'<saml:Attribute Name="{name}">' + "".join(f"<saml:AttributeValue>{v.replace('&', '&amp;')}"
                                                   "</saml:AttributeValue>" for v in values) + "</saml:Attribute>"
        for name, values in attributes.items()
    )
    assertion_xml = (
        f'<saml:Assertion xmlns:saml="{SAML}" ID="{assertion_id}" Version="2.0" IssueInstant="{_instant(0)}">'
        f"<saml:Issuer>{issuer}</saml:Issuer>"
        f'<saml:Subject><saml:NameID>{name_id}</saml:NameID><saml:SubjectConfirmation '
        f'Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData{irt} '
        f'NotOnOrAfter="{_instant(not_after)}" Recipient="{recipient}"/></saml:SubjectConfirmation></saml:Subject>'
        f'<saml:Conditions NotBefore="{_instant(not_before)}" NotOnOrAfter="{_instant(not_after)}">'
        f"<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>"
        f"</saml:Conditions><saml:AttributeStatement>{attrs}</saml:AttributeStatement></saml:Assertion>"
    )
    assertion = etree.fromstring(assertion_xml.encode())
    if sign:
        signer = signxml.XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
        assertion = signer.sign(assertion, key=keys[0], cert=keys[1], reference_uri=f"#{assertion_id}")
    if tamper:
        value = assertion.find(f".//{{{SAML}}}AttributeValue[.='engineering']")
        value.text = "sso-admins"
    response = etree.fromstring(
        f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="_r{uuid.uuid4().hex}" Version="2.0" '
        f'IssueInstant="{_instant(0)}" Destination="{destination}"{irt}><saml:Issuer>{issuer}</saml:Issuer>'
        f'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        "</samlp:Response>".encode()
    )
    if extra_assertion:  # signature wrapping: an unsigned assertion of the attacker's first
        evil = etree.fromstring(etree.tostring(assertion))
        evil.set("ID", "_evil")
        evil.find(f".//{{{SAML}}}NameID").text = "ceo@initech.test"
        response.append(evil)
    response.append(assertion)
    return base64.b64encode(etree.tostring(response)).decode()


def authorize(idp: DevIdP, **params: str) -> Response:
    query = {"response_type": "code", "client_id": "initech", "redirect_uri": CALLBACK, "scope": "openid email",
             "state": "st-1", "nonce": "n-1", **params}
    return idp.handle(Request("GET", "/oauth2/authorize", query={k: [v] for k, v in query.items()}))


def post_acs(idp: DevIdP, saml_response: str, relay_state: str | None, cookies: dict[str, str] | None = None
             ) -> Response:
    form = {"SAMLResponse": [saml_response], **({"RelayState": [relay_state]} if relay_state is not None else {})}
    return idp.handle(Request("POST", "/saml2/idpresponse", form=form, content_type=FORM_TYPE,
                              cookies=cookies or {}))


def sent_request(idp: DevIdP) -> tuple[Any, str]:
    """Start a sign-in; the AuthnRequest the browser carries to the IdP and its RelayState."""
    answer = authorize(idp)
    assert answer.status == 302, answer.body[:300]
    location = str(answer.header("Location"))
    assert location.startswith(f"{SSO}?")
    query = parse_qs(urlsplit(location).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    return etree.fromstring(xml), query["RelayState"][0]


def claims_of(idp: DevIdP, location: str, redirect_uri: str = CALLBACK) -> dict[str, Any]:
    code = parse_qs(urlsplit(location).query)["code"][0]
    basic = base64.b64encode(b"initech:s3cret").decode()
    form = {"grant_type": ["authorization_code"], "code": [code], "redirect_uri": [redirect_uri]}
    answer = idp.handle(Request("POST", "/oauth2/token", form=form, content_type=FORM_TYPE,
                                headers={"Authorization": f"Basic {basic}"}))
    assert answer.status == 200, answer.body
    payload = json.loads(answer.body)["id_token"].split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "==")))


def login(idp: DevIdP, keys: tuple[str, str], **response: Any) -> Response:
    request, relay = sent_request(idp)
    return post_acs(idp, build_response(keys, in_response_to=request.get("ID"), **response), relay)


def test_the_authn_request_is_cognitos(tmp_path: Path, idp_keys: Any) -> None:
    request, relay = sent_request(make_idp(tmp_path, idp_keys[1]))
    assert request.tag == f"{{{SAMLP}}}AuthnRequest"
    assert request.get("AssertionConsumerServiceURL") == ACS and request.get("Destination") == SSO
    assert request.find(f"{{{SAML}}}Issuer").text == AUDIENCE
    assert request.get("ID").startswith("_") and relay


def test_a_signed_response_signs_in_with_groups_in_cognitos_format(tmp_path: Path, idp_keys: Any) -> None:
    idp = make_idp(tmp_path, idp_keys[1])
    answer = login(idp, idp_keys)
    assert answer.status == 302, answer.body[:400]
    location = str(answer.header("Location"))
    assert location.startswith(CALLBACK) and parse_qs(urlsplit(location).query)["state"] == ["st-1"]
    claims = claims_of(idp, location)
    assert claims["email"] == "peter@initech.test" and claims["nonce"] == "n-1"
    assert claims["custom:groups"] == "[engineering, R%26D]"
    assert claims["cognito:username"] == "Initech_peter@initech.test"
    assert json.loads(claims["identities"])[0]["providerType"] == "SAML"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"tamper": True}, "signature"),
        ({"sign": False}, "signature"),
        ({"audience": "urn:amazon:cognito:sp:us-east-1_Other"}, "audience"),
        ({"not_after": -120}, "expired"),
        ({"not_before": 600}, "not valid yet"),
        ({"recipient": "http://127.0.0.1:9/elsewhere"}, "Recipient"),
        ({"destination": "http://127.0.0.1:9/elsewhere"}, "Destination"),
        ({"issuer": "urn:someone:else"}, "entity id"),
        ({"extra_assertion": True}, "exactly one Assertion"),
    ],
)
def test_a_bad_response_goes_back_to_the_app_as_an_error_without_a_code(
    tmp_path: Path, idp_keys: Any, change: dict[str, Any], why: str
) -> None:
    idp = make_idp(tmp_path, idp_keys[1])
    answer = login(idp, idp_keys, **change)
    location = str(answer.header("Location") or "")
    text = location + answer.body.decode()
    assert "code=" not in location
    assert why in parse_qs(urlsplit(location).query).get("error_description", [text])[0] or why in text


def test_a_response_signed_with_another_key_is_refused(tmp_path: Path, idp_keys: Any, other_keys: Any) -> None:
    idp = make_idp(tmp_path, idp_keys[1])
    answer = login(idp, other_keys)
    query = parse_qs(urlsplit(str(answer.header("Location"))).query)
    assert query["error"] == ["invalid_request"] and "signature" in query["error_description"][0]
    assert "code" not in query


def test_a_response_is_used_once(tmp_path: Path, idp_keys: Any) -> None:
    idp = make_idp(tmp_path, idp_keys[1])
    request, relay = sent_request(idp)
    saml_response = build_response(idp_keys, in_response_to=request.get("ID"))
    assert post_acs(idp, saml_response, relay).status == 302
    again = post_acs(idp, saml_response, relay)
    assert again.status == 400 and b"already used" in again.body


def test_a_response_to_a_request_never_sent_is_refused(tmp_path: Path, idp_keys: Any) -> None:
    idp = make_idp(tmp_path, idp_keys[1], idp_initiated=True)
    answer = post_acs(idp, build_response(idp_keys, in_response_to="_never-sent"), "whatever")
    assert answer.status == 400 and b"InResponseTo" in answer.body


def test_xml_with_a_doctype_is_refused(tmp_path: Path, idp_keys: Any) -> None:
    idp = make_idp(tmp_path, idp_keys[1])
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&b;</samlp:Response>')
    answer = post_acs(idp, base64.b64encode(bomb).decode(), None)
    assert answer.status == 400 and b"DOCTYPE" in answer.body


def _tile_relay(redirect_uri: str = TILE, idp_name: str = "Initech") -> str:
    return urlencode({"response_type": "code", "client_id": "initech", "redirect_uri": redirect_uri,
                      "identity_provider": idp_name, "scope": "openid email"})


def test_idp_initiated_is_refused_unless_the_provider_has_idpinit(tmp_path: Path, idp_keys: Any) -> None:
    idp = make_idp(tmp_path, idp_keys[1], idp_initiated=False)
    answer = post_acs(idp, build_response(idp_keys, in_response_to=None), _tile_relay())
    assert answer.status == 400 and b"IdP-initiated sign-in is not enabled" in answer.body


def test_idp_initiated_with_idpinit_redirects_with_a_code_and_no_state(tmp_path: Path, idp_keys: Any) -> None:
    idp = make_idp(tmp_path, idp_keys[1], idp_initiated=True)
    answer = post_acs(idp, build_response(idp_keys, in_response_to=None), _tile_relay())
    assert answer.status == 302, answer.body[:300]
    location = str(answer.header("Location"))
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(TILE) and list(query) == ["code"]
    assert claims_of(idp, location, TILE)["email"] == "peter@initech.test"


@pytest.mark.parametrize(
    "relay", [_tile_relay("https://evil.example/steal"), _tile_relay(idp_name="Other"), "", "client_id=nope"]
)
def test_idp_initiated_relay_state_must_name_a_registered_client_uri_and_this_idp(
    tmp_path: Path, idp_keys: Any, relay: str
) -> None:
    idp = make_idp(tmp_path, idp_keys[1], idp_initiated=True)
    answer = post_acs(idp, build_response(idp_keys, in_response_to=None), relay)
    location = str(answer.header("Location") or "")
    assert "code=" not in location and not location.startswith("https://evil.example")


@pytest.mark.parametrize(("keep", "expected"), [(True, "[engineering, R%26D]"), (False, None)])
def test_groups_absent_from_the_next_assertion_keep_their_old_value_as_in_cognito(
    tmp_path: Path, idp_keys: Any, keep: bool, expected: str | None
) -> None:
    idp = make_idp(tmp_path, idp_keys[1], keep_stale=keep)
    assert login(idp, idp_keys).status == 302
    second = login(idp, idp_keys, attributes={"email": ["peter@initech.test"]})
    assert claims_of(idp, str(second.header("Location"))).get("custom:groups") == expected
    user = idp.pool_user("Initech", "peter@initech.test")
    assert user is not None and user.custom_groups == expected


def test_a_first_sign_in_without_an_email_is_refused_by_the_pool(tmp_path: Path, idp_keys: Any) -> None:
    idp = make_idp(tmp_path, idp_keys[1])
    answer = login(idp, idp_keys, attributes={"groups": ["engineering"]})
    query = parse_qs(urlsplit(str(answer.header("Location"))).query)
    assert query["error"] == ["invalid_request"] and "email" in query["error_description"][0]


def test_metadata_without_a_signing_certificate_is_an_error_page(tmp_path: Path, idp_keys: Any) -> None:
    answer = authorize(make_idp(tmp_path, idp_keys[1], with_cert=False))
    assert answer.status == 400 and b"no signing certificate" in answer.body


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"users": [{"sub": "x", "email": "x@initech.test"}]}, "no 'users'"),
        ({"attribute_mapping": {"custom:groups": "groups"}}, "must map 'email'"),
        ({"metadata_url": "http://127.0.0.1:1/metadata"}, "exactly one of"),
        ({"attribute_mapping": {"email": "email", "phone": "tel"}}, "'phone'"),
    ],
)
def test_saml_provider_config_errors_name_the_key(entry: dict[str, Any], message: str) -> None:
    provider = {"name": "Initech", "type": "saml", "metadata_file": "m.xml",
                "attribute_mapping": {"email": "email"}, **entry}
    config = {"user_pool_id": POOL, "identity_providers": [provider],
              "clients": [{"client_id": "c", "callback_urls": [CALLBACK], "identity_providers": ["Initech"]}]}
    with pytest.raises(DevIdPConfigError, match=message):
        DevIdPConfig.from_dict(config)


def test_a_relative_metadata_file_is_read_beside_the_config_file(tmp_path: Path, idp_keys: Any) -> None:
    (tmp_path / "idp-metadata.xml").write_bytes(metadata(idp_keys[1]))
    config = {"user_pool_id": POOL, "identity_providers": [
        {"name": "Initech", "type": "saml", "metadata_file": "idp-metadata.xml",
         "attribute_mapping": {"email": "email"}}],
        "clients": [{"client_id": "c", "callback_urls": [CALLBACK], "identity_providers": ["Initech"]}]}
    (tmp_path / "devidp.json").write_text(json.dumps(config))
    idp = DevIdP(DevIdPConfig.load(tmp_path / "devidp.json"))
    assert idp.saml_metadata("Initech").entity_id == ENTITY

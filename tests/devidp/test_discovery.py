"""Discovery and JWKS, shaped like Cognito's."""

from __future__ import annotations

from tenant_sso.devidp import DevIdPServer

from .helpers import POOL, rp


def test_discovery_document(devidp: DevIdPServer) -> None:
    base = devidp.base_url
    response = rp().get(f"{base}/{POOL}/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    doc = response.json()
    assert doc["issuer"] == devidp.issuer == f"{base}/{POOL}"
    assert doc["authorization_endpoint"] == f"{base}/oauth2/authorize"
    assert doc["token_endpoint"] == f"{base}/oauth2/token"
    assert doc["userinfo_endpoint"] == f"{base}/oauth2/userInfo"
    assert doc["jwks_uri"] == f"{base}/{POOL}/.well-known/jwks.json"
    assert doc["end_session_endpoint"] == f"{base}/logout"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["subject_types_supported"] == ["public"]
    assert "openid" in doc["scopes_supported"]


def test_jwks(devidp: DevIdPServer) -> None:
    keys = rp().get(devidp.jwks_url).json()["keys"]
    assert len(keys) == 1
    (key,) = keys
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] == devidp.idp.keys.current.kid
    assert {"n", "e"} <= set(key) and "d" not in key and "p" not in key


def test_unknown_paths_and_methods(devidp: DevIdPServer) -> None:
    base = devidp.base_url
    assert rp().get(f"{base}/").status_code == 404
    assert rp().get(f"{base}/us-east-1_Other/.well-known/jwks.json").status_code == 404
    not_found = rp().get(f"{base}//etc/passwd")
    assert not_found.status_code == 404 and not_found.text == "Not Found\n"
    wrong = rp().post(devidp.jwks_url)
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET"
    assert rp().get(f"{base}/oauth2/token").status_code == 405

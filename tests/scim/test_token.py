"""The organization's SCIM token: the command prints it once, only its digest is stored, a wrong
token or another organization's is refused, rotation and revocation take effect at once."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tenant_sso.models import LoginEvent, ScimToken


def _run(*args: str) -> list[str]:
    out = StringIO()
    call_command("sso_scim_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def test_create_prints_url_then_token_and_stores_only_digest(scim_connection: Any, settings: Any) -> None:
    settings.TENANT_SSO_BASE_URL = "https://app.example.com"
    lines = _run("create", "--org", "acme")
    assert len(lines) == 2
    assert lines[0] == "https://app.example.com/api/oidc/cognito/scim/v2/acme"
    token = lines[1]
    row = ScimToken.objects.get(organization__slug="acme")
    assert token not in row.token_digest and len(row.token_digest) == 64
    assert LoginEvent.objects.filter(reason="scim_token_created").count() == 1
    with pytest.raises(CommandError, match="scim_token_exists"):
        _run("create", "--org", "acme")


def test_rotate_and_revoke_take_effect_at_once(scim: Any) -> None:
    old = scim.token
    assert scim("GET", "/Users").status_code == 200
    new = _run("rotate", "--org", "acme")[1]
    assert new != old
    assert scim("GET", "/Users", token=old).status_code == 401
    assert scim("GET", "/Users", token=new).status_code == 200
    _run("revoke", "--org", "acme")
    refused = scim("GET", "/Users", token=new)
    assert refused.status_code == 401
    assert refused.json_body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert refused["WWW-Authenticate"].startswith("Bearer")
    with pytest.raises(CommandError, match="scim_token_missing"):
        _run("rotate", "--org", "acme")


def test_unknown_org_and_wrong_token_look_alike(scim: Any, make_connection: Any) -> None:
    other = make_connection("globex", kind="oidc", email_domains=["globex.com"])
    from tenant_sso.scim import tokens

    globex_token, _ = tokens.issue(other.organization)
    wrong = scim("GET", "/Users", token="scim_wrong")
    foreign = scim("GET", "/Users", token=globex_token)
    missing_org = scim.__class__(scim.client, "nope", scim.token)("GET", "/Users")
    assert wrong.status_code == foreign.status_code == missing_org.status_code == 401
    assert wrong.content == foreign.content == missing_org.content
    assert LoginEvent.objects.filter(reason="scim_unauthorized").count() == 3
    no_header = scim.client.get(scim.url("/Users"))
    assert no_header.status_code == 401


def test_rate_limited_per_organization(scim: Any, settings: Any) -> None:
    settings.TENANT_SSO_RATE_LIMIT_PER_SCIM_TOKEN = 3
    codes = [scim("GET", "/Users").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    limited = scim("GET", "/Users")
    assert limited.json_body["status"] == "429" and limited["Retry-After"]


def test_a_huge_body_is_refused_before_it_is_read(scim: Any) -> None:
    from tenant_sso.scim.service import MAX_BODY

    response = scim("POST", "/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                      "userName": "x" * (MAX_BODY + 10)})
    assert response.status_code == 413
    assert response.json_body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]

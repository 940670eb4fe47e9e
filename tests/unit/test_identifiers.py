"""Cognito's identifiers and the shared rules as plain functions: no Django, no boto3, no I/O."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tenant_sso.cognito import identifiers
from tenant_sso.validation import InvalidValue, canonical_domain, clean_issuer, clean_pool_id, plural


def test_the_modules_import_without_django_or_boto3() -> None:
    code = (
        "import sys, tenant_sso.cognito.identifiers, tenant_sso.validation;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'boto3', 'botocore'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_issuer_is_built_and_parsed_the_same_way() -> None:
    url = identifiers.issuer_url("eu-west-1_AbC123xyz")
    assert url == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz"
    parsed = identifiers.parse_issuer(url + "/")
    assert parsed is not None and parsed.consistent and parsed.pool_id == "eu-west-1_AbC123xyz"
    assert identifiers.pool_of_issuer(url) == ("eu-west-1_AbC123xyz", "eu-west-1")
    assert identifiers.pool_of_issuer("https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123xyz") is None
    assert identifiers.pool_of_issuer("https://acme.okta.com") is None
    with pytest.raises(ValueError):
        identifiers.issuer_url("not-a-pool")


@pytest.mark.parametrize(
    ("host", "issuer_host", "region"),
    [
        ("cognito-idp.eu-west-1.amazonaws.com", True, None),
        ("acme.auth.eu-west-1.amazoncognito.com", False, "eu-west-1"),
        ("ACME.auth.eu-west-1.amazoncognito.com.", False, "eu-west-1"),
        ("login.acme.com", False, None),
    ],
)
def test_domain_shapes(host: str, issuer_host: bool, region: str | None) -> None:
    assert identifiers.is_issuer_host(host) is issuer_host
    assert identifiers.domain_region(host) == region


def test_oidc_issuers_keep_their_trailing_slash_cognito_pool_issuers_lose_it() -> None:
    assert clean_issuer("https://acme.okta.com/oauth2/default/", "oidc") == "https://acme.okta.com/oauth2/default/"
    assert clean_issuer("https://idp.test/.well-known/openid-configuration", "oidc") == "https://idp.test"
    pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz"
    assert clean_issuer(pool + "/", "cognito") == pool


def test_a_pool_is_accepted_as_its_id_or_its_issuer() -> None:
    assert clean_pool_id("us-east-1_AbC") == "us-east-1_AbC"
    assert clean_pool_id("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC/") == "us-east-1_AbC"
    with pytest.raises(InvalidValue) as caught:
        clean_pool_id("https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_AbC")
    assert caught.value.code == "cognito_region_mismatch"


def test_lookups_use_the_stored_form() -> None:
    assert canonical_domain(" Bücher.Example. ") == "xn--bcher-kva.example"
    assert canonical_domain("ACME.com.") == "acme.com"


def test_plural() -> None:
    assert [plural(n, "group") for n in (0, 1, 2)] == ["0 groups", "1 group", "2 groups"]

"""One set of rules for slugs, email domains, issuers and Cognito domains, whichever way a value
comes in: the admin (HTTP, the page a person fills), ``manage.py sso_connection create`` and
Cognito onboarding (``manage.py sso_cognito onboard`` against moto's Cognito).

Each rule is tried on every path that takes that value; a refused value gives the same message
everywhere (with its stable code on the command line) and saves nothing; an accepted one is stored
in the same normalised form everywhere."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tenant_sso.models import Connection, Organization, OrganizationDomain
from tests.support.admin import errors_of, new_connection
from tests.support.cognito import onboard_args
from tests.support.html import form_values

pytestmark = pytest.mark.django_db

PATHS = ["admin", "command", "onboarding"]
# What a person reads, per code: the same sentence on every path.
MESSAGES = {
    "slug_invalid": "is not a slug",
    "domain_has_at": "is an email address: enter only the domain after the @",
    "domain_has_scheme": "is a URL: enter only the domain",
    "domain_has_path": "has a path: enter only the domain",
    "domain_has_port": "has a port",
    "domain_not_qualified": "has no dot",
    "domain_invalid": "is not a domain name",
    "cognito_region_mismatch": "but the issuer's host says",
    "cognito_issuer_shape": "A Cognito issuer is https://cognito-idp.{region}.amazonaws.com/{poolId}",
    "cognito_bad_pool_id": "is not a",
    "cognito_domain_is_issuer_host": "That is the issuer's host",
    "cognito_domain_shape": "is not a Cognito domain",
    "cognito_domain_has_path": "without a path",
}


class Submitted:
    """The outcome of giving one value on one path: the error text shown, or None when accepted."""

    def __init__(self, error: str | None) -> None:
        self.error = error

    def refused_with(self, code: str, path: str) -> None:
        assert self.error is not None, f"{path} accepted a value refused elsewhere ({code})"
        assert MESSAGES[code] in self.error, self.error
        if path != "admin":
            assert f"[{code}]" in self.error, self.error


def _command(*args: str) -> Submitted:
    try:
        call_command("sso_connection", "create", *args, stdout=StringIO())
    except CommandError as error:
        return Submitted(str(error))
    return Submitted(None)


def command_create(*, org: str = "acme", domain: str = "acme.test", issuer: str = "us-east-1_AbC123xyz",
                   cognito_domain: str = "acme.auth.us-east-1.amazoncognito.com") -> Submitted:
    return _command(  # --flag=value: a value starting with "-" is still a value
        f"--org={org}", f"--email-domain={domain}", "--kind", "cognito", f"--issuer={issuer}",
        f"--cognito-domain={cognito_domain}", "--client-id", "client-1", "--client-secret-env", "MATRIX_SECRET",
        "--allowed-group", "engineering",
    )


def admin_organization(client: Any, *, slug: str = "acme", domain: str = "acme.test") -> Submitted:
    url = reverse("admin:tenant_sso_organization_add")
    data = form_values(client.get(url).content.decode(), "organization_form")
    data.update({"name": "Acme Corp", "slug": slug, "domains-0-domain": domain})
    response = client.post(url, data)
    if response.status_code == 302:
        return Submitted(None)
    assert response.status_code == 200
    return Submitted(errors_of(response.content.decode()))


def admin_connection(client: Any, **overrides: str) -> Submitted:
    org, _ = Organization.objects.get_or_create(slug="acme", defaults={"name": "Acme Corp"})
    data = {"organization": str(org.pk), **new_connection(**overrides)}
    response = client.post(reverse("admin:tenant_sso_connection_add"), data)
    if response.status_code == 302:
        return Submitted(None)
    assert response.status_code == 200
    return Submitted(errors_of(response.content.decode()))


def onboarding(request: pytest.FixtureRequest, *args: str, org: str = "acme", pool_id: str | None = None) -> Submitted:
    provisioner = request.getfixturevalue("provisioner")
    pool = pool_id or request.getfixturevalue("pool")
    request.getfixturevalue("upstream_secret")
    argv = onboard_args(pool, org=org)
    argv = [a for a in argv if a not in ("--email-domain", f"{org}.test")] + list(args)
    try:
        call_command("sso_cognito", *argv, provisioner=provisioner, stdout=StringIO(), stderr=StringIO())
    except CommandError as error:
        return Submitted(str(error))
    return Submitted(None)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATRIX_SECRET", "s3cret")


# -- email domains ---------------------------------------------------------------------------------
DOMAINS = [
    ("Acme.COM.", None, "acme.com"),
    ("  acme.com ", None, "acme.com"),
    ("bücher.example", None, "xn--bcher-kva.example"),
    ("peter@acme.com", "domain_has_at", None),
    ("https://acme.com", "domain_has_scheme", None),
    ("acme.com/login", "domain_has_path", None),
    ("acme.com:443", "domain_has_port", None),
    ("localhost", "domain_not_qualified", None),
    ("acme_corp.com", "domain_invalid", None),
    ("-acme.com", "domain_invalid", None),
    ("10.0.0.1", "domain_invalid", None),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("value", "code", "stored"), DOMAINS)
def test_email_domain_rules(
    request: pytest.FixtureRequest, admin_client: Any, path: str, value: str, code: str | None, stored: str | None
) -> None:
    if path == "admin":
        result = admin_organization(admin_client, domain=value)
    elif path == "command":
        result = command_create(domain=value)
    else:
        result = onboarding(request, f"--email-domain={value}")
    if code:
        result.refused_with(code, path)
        assert not OrganizationDomain.objects.exists()
    else:
        assert result.error is None, result.error
        assert list(OrganizationDomain.objects.values_list("domain", flat=True)) == [stored]


# -- organization slugs ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("value", "code"), [("Acme Corp", "slug_invalid"), ("acme/../x", "slug_invalid"),
                                             ("ACME", "slug_invalid"), ("acme-corp_2", None)])
def test_slug_rules(request: pytest.FixtureRequest, admin_client: Any, path: str, value: str, code: str | None) -> None:
    if path == "admin":
        result = admin_organization(admin_client, slug=value)
    elif path == "command":
        result = command_create(org=value)
    else:
        result = onboarding(request, "--email-domain", "acme.test", org=value)
    if code:
        result.refused_with(code, path)
        assert not Organization.objects.exists()
    else:
        assert result.error is None, result.error
        assert list(Organization.objects.values_list("slug", flat=True)) == [value]


# -- issuer, pool ID, region -----------------------------------------------------------------------
# {pool} is a us-east-1 pool: moto's on the onboarding path, a made-up one elsewhere.
ISSUERS = [
    ("{pool}", None),
    ("https://cognito-idp.us-east-1.amazonaws.com/{pool}", None),
    ("https://cognito-idp.us-east-1.amazonaws.com/{pool}/", None),
    ("https://cognito-idp.eu-west-1.amazonaws.com/{pool}", "cognito_region_mismatch"),
    ("https://cognito-idp.us-east-1.amazonaws.com/not-a-pool", "cognito_bad_pool_id"),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("template", "code"), ISSUERS)
def test_issuer_pool_and_region_rules(
    request: pytest.FixtureRequest, admin_client: Any, path: str, template: str, code: str | None
) -> None:
    if path == "onboarding":  # the pool is named by --user-pool-id: its ID or its issuer URL
        pool = request.getfixturevalue("pool")
        result = onboarding(request, "--email-domain", "acme.test", pool_id=template.format(pool=pool))
    else:
        pool = "us-east-1_AbC123xyz"
        value = template.format(pool=pool)
        result = admin_connection(admin_client, issuer=value) if path == "admin" else command_create(issuer=value)
    if code:
        result.refused_with(code, path)
        assert not Connection.objects.exists()
    else:
        assert result.error is None, result.error
        assert Connection.objects.get().issuer == f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"


@pytest.mark.parametrize("path", ["admin", "command"])
def test_a_non_cognito_amazonaws_issuer_is_refused(admin_client: Any, path: str) -> None:
    value = "https://sts.us-east-1.amazonaws.com/us-east-1_AbC123xyz"
    result = admin_connection(admin_client, issuer=value) if path == "admin" else command_create(issuer=value)
    result.refused_with("cognito_issuer_shape", path)


# -- the Cognito domain (onboarding reads it from the pool: no operator input there) --------------
COGNITO_DOMAINS = [
    ("cognito-idp.us-east-1.amazonaws.com", "cognito_domain_is_issuer_host"),
    ("https://cognito-idp.us-east-1.amazonaws.com", "cognito_domain_is_issuer_host"),
    ("acme.us-east-1.amazoncognito.com", "cognito_domain_shape"),
    ("https://acme.auth.us-east-1.amazoncognito.com/login", "cognito_domain_has_path"),
    ("https://acme.auth.us-east-1.amazoncognito.com/", None),
    ("login.acme.com", None),
]


@pytest.mark.parametrize("path", ["admin", "command"])
@pytest.mark.parametrize(("value", "code"), COGNITO_DOMAINS)
def test_cognito_domain_rules(admin_client: Any, path: str, value: str, code: str | None) -> None:
    if path == "admin":
        result = admin_connection(admin_client, cognito_domain=value)
    else:
        result = command_create(cognito_domain=value)
    if code:
        result.refused_with(code, path)
        assert not Connection.objects.exists()
    else:
        assert result.error is None, result.error
        assert Connection.objects.get().cognito_domain == value.rstrip("/")


# -- a domain another organization owns, in any spelling --------------------------------------------
SPELLINGS = ["acme.com", "ACME.com", "Acme.COM.", "acme.com.", " acme.com"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_taken_domain_in_the_admin_names_its_owner(admin_client: Any, make_organization: Any, spelling: str) -> None:
    owner = make_organization("acme", "Acme Corp")
    OrganizationDomain.objects.create(organization=owner, domain="acme.com")
    url = reverse("admin:tenant_sso_organization_add")
    data = form_values(admin_client.get(url).content.decode(), "organization_form")
    data.update({"name": "Evil", "slug": "evil", "domains-0-domain": spelling})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "acme.com already belongs to acme (Acme Corp)." in errors_of(response.content.decode())
    assert not Organization.objects.filter(slug="evil").exists()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_taken_domain_on_the_owners_page_is_not_added_twice(
    admin_client: Any, make_organization: Any, spelling: str
) -> None:
    owner = make_organization("acme", "Acme Corp")
    OrganizationDomain.objects.create(organization=owner, domain="acme.com")
    url = reverse("admin:tenant_sso_organization_change", args=[owner.pk])
    data = form_values(admin_client.get(url).content.decode(), "organization_form")
    data["domains-1-domain"] = spelling
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "acme.com" in errors_of(response.content.decode())
    assert OrganizationDomain.objects.count() == 1


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_taken_domain_in_the_command_names_its_owner(make_organization: Any, spelling: str) -> None:
    owner = make_organization("acme", "Acme Corp")
    OrganizationDomain.objects.create(organization=owner, domain="acme.com")
    result = command_create(org="evil", domain=spelling)
    assert result.error is not None
    assert "[email_domain_taken] acme.com already belongs to acme (Acme Corp)." in result.error
    assert not Organization.objects.filter(slug="evil").exists()


def test_a_taken_domain_in_onboarding_names_its_owner(
    request: pytest.FixtureRequest, call_log: Any, make_organization: Any
) -> None:
    owner = make_organization("globex")
    OrganizationDomain.objects.create(organization=owner, domain="globex.test")
    result = onboarding(request, "--email-domain", "GLOBEX.test.")
    assert result.error is not None and "[email_domain_taken] globex.test already belongs to globex (Globex)" in result.error
    assert call_log.writes() == []


@pytest.mark.parametrize(
    ("value", "code", "cleaned"),
    [
        ("us-east-1_AbC123", None, "us-east-1_AbC123"),
        ("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/", None, "us-east-1_AbC123"),
        ("https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_AbC123", "cognito_region_mismatch", None),
        ("us-east-1-AbC123", "cognito_bad_pool_id", None),
    ],
)
def test_the_admin_onboarding_form_takes_a_pool_by_id_or_issuer(value: str, code: str | None, cleaned: str | None) -> None:
    from tenant_sso.cognito.admin_actions import UpstreamForm

    form = UpstreamForm(data={"user_pool_id": value})
    if code:
        assert not form.is_valid()
        error = form.errors.as_data()["user_pool_id"][0]
        assert error.code == code and MESSAGES[code] in error.message
    else:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["user_pool_id"] == cleaned


def test_two_spellings_of_one_domain_in_one_submission_are_an_error_not_a_500(admin_client: Any) -> None:
    url = reverse("admin:tenant_sso_organization_add")
    data = form_values(admin_client.get(url).content.decode(), "organization_form")
    data.update({"name": "Acme Corp", "slug": "acme", "domains-0-domain": "acme.com",
                 "domains-1-domain": "ACME.com.", "domains-TOTAL_FORMS": "2"})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "duplicate" in errors_of(response.content.decode()).lower()
    assert not OrganizationDomain.objects.exists()

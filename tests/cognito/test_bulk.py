"""``sso_cognito onboard-bulk``: many tenants, spread over pools, resumable after a failure."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tenant_sso.models import Connection

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HEADER = "org,org_name,issuer,upstream_client_id,upstream_client_secret_env,email_domains,allowed_groups\n"


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "tenants.csv"
    path.write_text(
        HEADER
        + "acme,Acme Corp,https://acme.okta.test,acme-okta,ACME_SECRET,acme.test;acme-corp.test,engineering;Sales Team\n"
        + "globex,Globex,https://login.microsoftonline.test/globex/v2.0,globex-entra,GLOBEX_SECRET,globex.test,admins\n"
        + "initech,Initech,https://initech.okta.test,initech-okta,INITECH_SECRET,initech.test,staff\n"
    )
    return path


def _pool_of(slug: str) -> str:
    return Connection.objects.get(organization__slug=slug, enabled=True).issuer.rsplit("/", 1)[1]


def test_bulk_fills_the_first_pool_then_the_next_and_resumes_after_a_failure(
    provisioner: Any, cognito: Any, make_pool: Any, settings: Any, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    first, second = make_pool("first"), make_pool("second")
    settings.TENANT_SSO_COGNITO_POOLS = [
        {"user_pool_id": first, "region": "us-east-1", "max_tenants": 1},
        {"user_pool_id": second, "max_tenants": 300},
    ]
    monkeypatch.setenv("ACME_SECRET", "a-secret")
    monkeypatch.setenv("INITECH_SECRET", "i-secret")  # GLOBEX_SECRET is missing: that row fails
    path = _csv(tmp_path)
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match=r"\[bulk_failed\] 2 ok, 0 unchanged, 1 failed, of 3 rows"):
        call_command("sso_cognito", "onboard-bulk", str(path), provisioner=provisioner, stdout=out, stderr=err)

    report = out.getvalue()
    assert "row 2 (acme): ok" in report
    assert "row 3 (globex): failed: [upstream_secret_missing] environment variable GLOBEX_SECRET" in report
    assert "row 4 (initech): ok" in report
    assert "[3/3] initech" in err.getvalue()
    assert _pool_of("acme") == first
    assert _pool_of("initech") == second  # the first pool was full
    assert Connection.objects.get(organization__slug="acme").allowed_groups == ["engineering", "Sales Team"]
    assert not Connection.objects.filter(organization__slug="globex").exists()

    monkeypatch.setenv("GLOBEX_SECRET", "g-secret")
    out = StringIO()
    call_command("sso_cognito", "onboard-bulk", str(path), provisioner=provisioner, stdout=out, stderr=StringIO())

    report = out.getvalue()
    assert "row 2 (acme): unchanged" in report
    assert "row 3 (globex): ok" in report
    assert "row 4 (initech): unchanged" in report
    assert "1 ok, 2 unchanged, 0 failed, of 3 rows." in report
    assert _pool_of("globex") == second
    providers = cognito.list_identity_providers(UserPoolId=first, MaxResults=60)["Providers"]
    assert [p["ProviderName"] for p in providers] == ["acme"]


def test_every_pool_full_is_a_clear_error(
    provisioner: Any, make_pool: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings.TENANT_SSO_COGNITO_POOLS = [{"user_pool_id": make_pool(), "max_tenants": 0}]
    monkeypatch.setenv("ACME_SECRET", "a-secret")
    path = tmp_path / "one.csv"
    path.write_text(HEADER + "acme,Acme,https://acme.okta.test,acme-okta,ACME_SECRET,acme.test,engineering\n")
    out = StringIO()
    with pytest.raises(CommandError, match=r"\[bulk_failed\]"):
        call_command("sso_cognito", "onboard-bulk", str(path), provisioner=provisioner, stdout=out, stderr=StringIO())
    assert "failed: [cognito_pools_full]" in out.getvalue()


def test_pool_capacity_counts_every_page_of_identity_providers(
    provisioner: Any, pool_admin: Any, make_pool: Any, settings: Any, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    crowded, spare = make_pool("crowded"), make_pool("spare")
    for i in range(61):  # one more than a page of list_identity_providers (MaxResults 60)
        pool_admin.create_identity_provider(UserPoolId=crowded, ProviderName=f"other-{i:02d}", ProviderType="OIDC",
                                            ProviderDetails={"client_id": "x", "oidc_issuer": "https://x.test"})
    settings.TENANT_SSO_COGNITO_POOLS = [
        {"user_pool_id": crowded, "max_tenants": 61}, {"user_pool_id": spare, "max_tenants": 61},
    ]
    monkeypatch.setenv("ACME_SECRET", "a-secret")
    path = tmp_path / "one.csv"
    path.write_text(HEADER + "acme,Acme,https://acme.okta.test,acme-okta,ACME_SECRET,acme.test,engineering\n")

    call_command("sso_cognito", "onboard-bulk", str(path), provisioner=provisioner, stdout=StringIO(), stderr=StringIO())

    assert _pool_of("acme") == spare

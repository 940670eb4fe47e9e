"""The admin action: preview the plan of the selected organizations, then apply it."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory

from tenant_sso.cognito.admin_actions import onboard_to_cognito
from tenant_sso.models import Connection, Organization
from tests.support.cognito import onboard_args

pytestmark = pytest.mark.django_db


class OrganizationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    actions = [onboard_to_cognito]


def _admin(provisioner: Any) -> Any:
    model_admin = OrganizationAdmin(Organization, admin.site)
    model_admin.cognito_provisioner = lambda: provisioner  # type: ignore[attr-defined]
    return model_admin


def _request(data: dict[str, Any]) -> Any:
    request = RequestFactory().post("/admin/tenant_sso/organization/", data)
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]  # as MessageMiddleware does
    request.user = User.objects.filter(username="root").first() or User.objects.create_superuser(
        "root", "root@example.test", "pw"
    )
    return request


def test_preview_shows_the_plan_and_apply_onboards_a_new_tenant(
    provisioner: Any, cognito: Any, pool: str, settings: Any, make_organization: Any
) -> None:
    settings.TENANT_SSO_COGNITO_POOLS = [{"user_pool_id": pool}]
    org = make_organization("acme")
    org.domains.create(domain="acme.test")
    queryset = Organization.objects.filter(pk=org.pk)
    fields = {"issuer": "https://acme.okta.test", "upstream_client_id": "okta-client",
              "upstream_client_secret": "okta-secret-typed", "allowed_groups": "engineering, sso-admins"}

    page = onboard_to_cognito(_admin(provisioner), _request({"action": "onboard_to_cognito"}), queryset)
    assert page is not None
    assert "Not in Cognito yet: give the customer&#x27;s identity provider below" in page.content.decode()

    page = onboard_to_cognito(_admin(provisioner), _request({**fields, "preview": "1"}), queryset)
    assert page is not None
    html = page.content.decode()
    assert "create_identity_provider acme" in html and "create_user_pool_client tenant-sso-acme" in html
    assert "okta-secret-typed" not in html
    assert not Connection.objects.exists()

    request = _request({**fields, "apply": "1"})
    assert onboard_to_cognito(_admin(provisioner), request, queryset) is None
    assert [str(m) for m in get_messages(request)] == [
        "Onboarding acme: created (add_custom_attributes, create_identity_provider, create_user_pool_client, store_connection)."
    ]
    connection = Connection.objects.get(organization=org, enabled=True)
    assert connection.allowed_groups == ["engineering", "sso-admins"]
    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"]
    assert idp["IdpIdentifiers"] == ["acme.test"]


def test_apply_resyncs_onboarded_tenants_from_the_database(
    provisioner: Any, cognito: Any, pool: str, upstream_secret: str
) -> None:
    call_command("sso_cognito", *onboard_args(pool), provisioner=provisioner, stdout=StringIO())
    call_command("sso_cognito", *onboard_args(pool, org="globex"), provisioner=provisioner, stdout=StringIO())
    acme = Organization.objects.get(slug="acme")
    acme.domains.create(domain="acme.example")  # added in the admin since onboarding
    queryset = Organization.objects.filter(slug__in=["acme", "globex"])

    request = _request({"apply": "1"})
    onboard_to_cognito(_admin(provisioner), request, queryset)

    assert sorted(str(m) for m in get_messages(request)) == [
        "Onboarding acme: updated (update_identity_provider).",
        "Onboarding globex: no changes, already onboarded.",
    ]
    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"]
    assert sorted(idp["IdpIdentifiers"]) == ["acme.example", "acme.test"]
    assert idp["ProviderDetails"]["oidc_issuer"] == "https://acme.okta.test"  # upstream kept


def test_the_action_through_the_admin_changelist(
    provisioner: Any, cognito: Any, pool: str, upstream_secret: str, settings: Any, client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from . import admin_urls

    settings.ROOT_URLCONF = "tests.cognito.admin_urls"
    monkeypatch.setattr(admin_urls.OrganizationAdmin, "provisioner", provisioner)
    call_command("sso_cognito", *onboard_args(pool), provisioner=provisioner, stdout=StringIO())
    acme = Organization.objects.get(slug="acme")
    acme.domains.create(domain="acme.example")
    client.force_login(User.objects.create_superuser("admin", "admin@example.test", "pw"))
    changelist = "/admin/tenant_sso/organization/"

    page = client.post(changelist, {"action": "onboard_to_cognito", "_selected_action": [acme.pk], "index": 0})
    assert page.status_code == 200
    html = page.content.decode()
    assert "update_identity_provider acme" in html
    assert "IdpIdentifiers: [acme.test] -&gt; [acme.example, acme.test]" in html

    done = client.post(changelist, {"action": "onboard_to_cognito", "_selected_action": [acme.pk], "apply": "Apply"},
                       follow=True)
    assert done.status_code == 200
    assert "Onboarding acme: updated (update_identity_provider)." in done.content.decode()
    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"]
    assert sorted(idp["IdpIdentifiers"]) == ["acme.example", "acme.test"]


def test_the_upstream_groups_scope_is_validated_and_sent_to_cognito(
    provisioner: Any, cognito: Any, pool: str, settings: Any, make_organization: Any
) -> None:
    from tenant_sso.cognito.admin_actions import UpstreamForm

    upstream = {"issuer": "https://acme.okta.test/", "upstream_client_id": "okta-client",
                "upstream_client_secret": "okta-secret-typed", "allowed_groups": "engineering"}
    form = UpstreamForm({**upstream, "groups_scope": 'groups "quoted"'})
    assert not form.is_valid() and "is not a scope name" in str(form.errors["groups_scope"])

    settings.TENANT_SSO_COGNITO_POOLS = [{"user_pool_id": pool}]
    org = make_organization("acme")
    org.domains.create(domain="acme.test")
    request = _request({**upstream, "groups_scope": "groups okta.groups", "apply": "1"})
    assert onboard_to_cognito(_admin(provisioner), request, Organization.objects.filter(pk=org.pk)) is None
    idp = cognito.describe_identity_provider(UserPoolId=pool, ProviderName="acme")["IdentityProvider"]
    assert idp["ProviderDetails"]["authorize_scopes"].split() == ["openid", "email", "profile", "groups", "okta.groups"]
    assert idp["ProviderDetails"]["oidc_issuer"] == "https://acme.okta.test/"  # kept exactly, slash included

"""The admin's "sign out everywhere" (issue 16, point 1): a user's and an organization's active
SSO sessions are listed and ended from the admin, each ending audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tenant_sso.models import FederatedIdentity, LoginEvent, Organization, SSOSession
from tests.support.driver import login
from tests.support.pages import ME

pytestmark = pytest.mark.django_db


def browsers(idp: Any, *who: tuple[str, str]) -> list[Client]:
    clients = []
    for email, org in who:
        client = Client()
        assert login(client, idp.idp, email, org).status_code == 302
        clients.append(client)
    return clients


def test_a_user_is_signed_out_of_every_browser(admin_client: Any, tenants: Any, idp: Any) -> None:
    laptop, phone, carol = browsers(
        idp, ("alice@acme.test", "acme"), ("alice@acme.test", "acme"), ("carol@globex.test", "globex")
    )
    alice = FederatedIdentity.objects.get(email="alice@acme.test")
    listing = admin_client.get(reverse("admin:tenant_sso_federatedidentity_changelist"))
    sessions_link = reverse("admin:tenant_sso_ssosession_changelist") + f"?user__id__exact={alice.user_id}"
    assert f'{sessions_link}">2</a>' in listing.content.decode()  # her two browsers
    assert "2 SSO sessions" in admin_client.get(sessions_link).content.decode()  # both of hers, no one else

    answer = admin_client.post(
        reverse("admin:tenant_sso_federatedidentity_changelist"),
        {"action": "sign_out_everywhere", "_selected_action": [alice.pk]},
        follow=True,
    )

    assert "2 SSO sessions ended." in answer.content.decode()
    assert laptop.get(ME).status_code == 401 and phone.get(ME).status_code == 401
    assert carol.get(ME).status_code == 200  # nobody else
    ended = LoginEvent.objects.filter(outcome="revoked", reason="admin_signed_out")
    assert sorted(e.user_id for e in ended if e.user_id) == [alice.user_id, alice.user_id]
    assert any(e.detail.get("by") == "admin" for e in ended)


def test_an_organization_is_signed_out(admin_client: Any, tenants: Any, idp: Any) -> None:
    alice, carol = browsers(idp, ("alice@acme.test", "acme"), ("carol@globex.test", "globex"))
    acme = Organization.objects.get(slug="acme")
    listing = admin_client.get(reverse("admin:tenant_sso_organization_changelist")).content.decode()
    assert f'?connection__organization__id__exact={acme.pk}">1</a>' in listing

    admin_client.post(
        reverse("admin:tenant_sso_organization_changelist"),
        {"action": "sign_out_everyone", "_selected_action": [acme.pk]},
    )

    assert alice.get(ME).status_code == 401
    assert carol.get(ME).status_code == 200
    assert list(SSOSession.objects.values_list("connection__organization__slug", flat=True)) == ["globex"]


def test_staff_without_the_delete_permission_do_not_get_the_action(client: Any, tenants: Any, idp: Any) -> None:
    from django.contrib.auth.models import Permission

    staff = get_user_model().objects.create_user("support", password="pw", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_ssosession", "view_federatedidentity"]))
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("admin:tenant_sso_ssosession_changelist")).content.decode()
    assert "sign_out_everywhere" not in page


def test_the_connection_page_gives_the_back_channel_logout_uri_to_register(
    admin_client: Any, make_connection: Any, tenants: Any
) -> None:
    oidc = make_connection("initech", kind="oidc")
    page = admin_client.get(reverse("admin:tenant_sso_connection_change", args=[oidc.pk])).content.decode()
    assert "http://testserver/api/oidc/cognito/backchannel-logout/initech/" in page
    cognito = admin_client.get(reverse("admin:tenant_sso_connection_change", args=[tenants["acme"].pk])).content.decode()
    assert "backchannel-logout" not in cognito  # Cognito sends no logout tokens

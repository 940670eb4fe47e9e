"""The operator's side: the admin's setup actions and state column, go-live by override (audited),
break-glass (connections off, sessions ended at once), and the signals at each step."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tenant_sso import signals
from tenant_sso.models import Connection, SetupEvent, SetupLink, SetupState
from tests.support.driver import IdPBrowser, path_of, sso_login

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def steps() -> Any:
    seen: list[tuple[str, str]] = []

    def receiver(sender: Any, organization: Any, step: str, **kwargs: Any) -> None:
        seen.append((organization.slug, step))

    signals.setup_step.connect(receiver)
    yield seen
    signals.setup_step.disconnect(receiver)


def _action(client: Client, action: str, *orgs: Any) -> Any:
    return client.post(reverse("admin:tenant_sso_organization_changelist"),
                       {"action": action, "_selected_action": [o.pk for o in orgs]})


def test_admin_creates_a_link_shown_once_and_the_state_column(
    admin_client: Client, make_organization: Any, steps: list[tuple[str, str]]
) -> None:
    acme = make_organization("acme", name="Acme Corp")
    page = _action(admin_client, "create_setup_link", acme)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    text = page.content.decode()
    start = text.index('value="') + len('value="')
    link_url = text[start:text.index('"', start)]
    assert "/setup/link/" in link_url
    assert steps == [("acme", "link_sent")]
    assert SetupEvent.objects.get(action="link_created").actor == "admin:admin"
    changelist = admin_client.get(reverse("admin:tenant_sso_organization_changelist")).content.decode()
    assert "link sent" in changelist

    assert Client().get(path_of(link_url)).status_code == 302
    _action(admin_client, "revoke_setup_links", acme)
    assert SetupLink.objects.get().revoked_at is not None
    assert b"setup_link_revoked" in Client().get(path_of(link_url)).content


def test_one_organization_per_link(admin_client: Client, make_organization: Any) -> None:
    answer = _action(admin_client, "create_setup_link", make_organization("acme"), make_organization("globex"))
    assert answer.status_code == 302 and not SetupLink.objects.exists()


def test_override_and_break_glass(
    admin_client: Client, idp: Any, make_connection: Any, browser: IdPBrowser, steps: list[tuple[str, str]]
) -> None:
    connection = make_connection("acme", issuer=idp.issuer, cognito_domain=idp.base_url,
                                 identity_provider="AcmeOkta")
    Connection.objects.filter(pk=connection.pk).update(enabled=False)
    acme = connection.organization

    _action(admin_client, "go_live_override", acme)
    state = SetupState.objects.get(organization=acme)
    assert state.live_at is not None and state.live_override
    assert SetupEvent.objects.get(action="live").reason == "setup_live_override"
    user = Client()
    assert sso_login(user, browser, email="alice@acme.test", org="acme").status_code == 302
    assert user.get(reverse("me")).status_code == 200

    _action(admin_client, "break_glass", acme)
    assert not Connection.objects.filter(organization=acme, enabled=True).exists()
    assert user.get(reverse("me")).status_code == 401  # the session ended at once
    state.refresh_from_db()
    assert state.disabled_at is not None and state.live_at is None
    assert steps == [("acme", "live"), ("acme", "disabled")]
    assert "SSO turned off" in admin_client.get(reverse("admin:tenant_sso_organization_changelist")).content.decode()


def test_setup_events_are_read_only_in_the_admin(admin_client: Client, make_organization: Any) -> None:
    make_organization("acme")
    assert admin_client.get(reverse("admin:tenant_sso_setupevent_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:tenant_sso_setuplink_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:tenant_sso_setuplink_add")).status_code == 403

"""Setup links: unguessable, stored as a digest, expiring, revocable, scoped to one organization
and to the wizard; refused links get a page with a reason code and an audit event."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tenant_sso.models import SetupEvent, SetupLink
from tests.support import urls
from tests.support.driver import path_of
from tests.support.setup import new_link, url

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def orgs(make_organization: Any) -> None:
    make_organization("acme", name="Acme Corp")
    make_organization("globex", name="Globex")


def _refused(response: Any, code: str, status: int = 400) -> None:
    assert response.status_code == status, response.content[:500]
    assert f'<span class="code" id="reason">{code}</span>'.encode() in response.content
    assert response["Cache-Control"] == "no-store"


def test_only_a_digest_is_stored_and_the_url_is_the_last_line(orgs: None) -> None:
    link_url = new_link("acme", "--note", "sent to it@acme.test")
    token = urlsplit(link_url).path.rstrip("/").rsplit("/", 1)[1]
    link = SetupLink.objects.get()
    assert link.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(SetupLink.objects.values().get())
    assert len(token) >= 43  # 256 bits
    assert timedelta(days=6, hours=23) < link.expires_at - timezone.now() <= timedelta(days=7)


def test_expires_in_and_list_and_revoke(orgs: None) -> None:
    new_link("acme", "--expires-in", "2h")
    assert SetupLink.objects.get().expires_at - timezone.now() <= timedelta(hours=2)
    with pytest.raises(CommandError):
        call_command("sso_setup_link", "create", "--org", "acme", "--expires-in", "forever", stdout=StringIO())
    with pytest.raises(CommandError, match="unknown_organization"):
        call_command("sso_setup_link", "create", "--org", "nobody", stdout=StringIO())
    out = StringIO()
    call_command("sso_setup_link", "revoke", "--org", "acme", stdout=out)
    assert "Revoked 1" in out.getvalue()
    out = StringIO()
    call_command("sso_setup_link", "list", stdout=out)
    assert "acme" in out.getvalue() and "revoked" in out.getvalue()


def test_expired_link_refused(client: Client, orgs: None) -> None:
    link = path_of(new_link("acme"))
    SetupLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    _refused(client.get(link), "setup_link_expired")
    assert SetupEvent.objects.filter(action="link_refused", reason="setup_link_expired").exists()


def test_revoked_link_refused_and_its_open_session_ends(client: Client, orgs: None) -> None:
    link = path_of(new_link("acme"))
    assert client.get(link).status_code == 302
    assert client.get(url("overview")).status_code == 200
    call_command("sso_setup_link", "revoke", "--org", "acme", stdout=StringIO())
    _refused(client.get(url("overview")), "setup_link_revoked")
    _refused(client.get(link), "setup_link_revoked")


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character changed
    lambda t: t[:20],  # cut short
    lambda t: t + "x",  # too long
    lambda t: "%00" + t[3:],  # a NUL
])
def test_tampered_link_refused(client: Client, orgs: None, tamper: Any) -> None:
    link = path_of(new_link("acme"))
    head, token = link.rstrip("/").rsplit("/", 1)
    _refused(client.get(f"{head}/{tamper(token)}/"), "setup_link_invalid")
    assert client.get(url("overview")).status_code == 403  # no setup session was opened


def test_a_link_opens_only_its_own_organization(client: Client, orgs: None) -> None:
    client.get(path_of(new_link("acme")))
    _refused(client.get(url("overview", org="globex")), "setup_wrong_organization", 403)
    _refused(client.post(url("live", org="globex")), "setup_wrong_organization", 403)
    assert SetupEvent.objects.filter(reason="setup_wrong_organization").count() == 2


def test_no_setup_session_no_wizard(client: Client, orgs: None) -> None:
    _refused(client.get(url("overview")), "setup_session_missing", 403)


def test_the_link_is_for_setup_only(client: Client, orgs: None) -> None:
    client.get(path_of(new_link("acme")))
    assert client.get(urls.me()).status_code == 401  # nobody is signed in to the application
    assert client.get("/admin/").status_code == 302  # and the admin still asks for a login


def test_every_use_is_audited(client: Client, orgs: None) -> None:
    link = path_of(new_link("acme"))
    client.get(link)
    Client().get(link)
    assert SetupLink.objects.get().uses == 2
    assert SetupEvent.objects.filter(action="link_opened").count() == 2


def test_the_setup_session_ends_after_its_ttl(client: Client, orgs: None, settings: Any) -> None:
    settings.TENANT_SSO_SETUP_SESSION_TTL = 3600
    client.get(path_of(new_link("acme")))
    session = client.session
    data = session["tenant_sso.setup"]
    data["at"] -= 3601  # opened more than the TTL ago
    session["tenant_sso.setup"] = data
    session.save()
    _refused(client.get(url("overview")), "setup_session_expired")
    _refused(client.get(url("overview")), "setup_session_missing", 403)  # it is gone, not just refused

"""The person filling the setup form is not trusted: SSRF targets, huge values, control
characters and script in every field are refused cleanly (a page saying why, never a 500, never
a request to an internal address, nothing saved)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tenant_sso.models import Connection, SetupEvent
from tests.support.driver import path_of
from tests.support.setup import new_link, okta_config, url, values

pytestmark = [pytest.mark.django_db]

SSRF = [
    "https://169.254.169.254/latest/meta-data",  # cloud metadata
    "https://10.0.0.1",
    "https://192.168.1.1:8443/realms/x",
    "https://[::1]/",
    "https://localhost/",
    "http://127.0.0.1:9/",  # loopback http: only with TENANT_SSO_ALLOW_LOOPBACK_HTTP
    "http://idp.example.com",  # not https
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "https://user:pass@idp.example.com",
]


@pytest.fixture
def wizard(client: Client, make_organization: Any, settings: Any) -> Client:
    settings.TENANT_SSO_ALLOW_LOOPBACK_HTTP = False
    make_organization("acme", name="Acme Corp")
    client.get(path_of(new_link("acme")))
    return client


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection attempt the network policy lets through (there must be none)."""
    import socket

    attempts: list[str] = []
    real = socket.create_connection

    def record(address: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(str(address))
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", record)
    return attempts


@pytest.mark.parametrize("issuer", SSRF)
@pytest.mark.parametrize("action", ["check", "apply"])
def test_ssrf_targets_are_refused(wizard: Client, issuer: str, action: str, no_network: list[str]) -> None:
    answer = wizard.post(url("provider", key="oidc"), {**values(issuer), "action": action})
    assert answer.status_code in (200, 400)
    text = answer.content.decode()
    assert 'class="error"' in text
    assert not Connection.objects.exists()
    assert [a for a in no_network if "169.254" in a or "10.0.0.1" in a or "192.168" in a] == []


def test_ssrf_through_the_json_check_too(wizard: Client) -> None:
    answer = wizard.post(url("check", key="okta"), values("https://169.254.169.254"), HTTP_ACCEPT="application/json")
    body = answer.json()
    assert body.get("errors", {}).get("issuer") or not body["results"][0]["ok"]


@pytest.mark.parametrize("field", ["issuer", "client_id", "client_secret"])
def test_huge_values_are_refused_before_anything_else(wizard: Client, field: str) -> None:
    answer = wizard.post(url("provider", key="okta"), values("https://acme.okta.com", **{field: "x" * 5000}))
    assert answer.status_code == 400
    assert b"is too long" in answer.content
    assert SetupEvent.objects.filter(reason="setup_value_invalid").exists()


def test_a_huge_form_is_refused_unparsed(wizard: Client) -> None:
    answer = wizard.post(url("provider", key="okta"), {"issuer": "x" * 100_000})
    assert answer.status_code == 400
    assert b"setup_request_too_large" in answer.content


@pytest.mark.parametrize("field", ["issuer", "client_id", "client_secret"])
def test_control_characters_are_refused(wizard: Client, field: str) -> None:
    answer = wizard.post(url("provider", key="okta"), values("https://acme.okta.com", **{field: "a\x00b\r\nc"}))
    assert answer.status_code == 400
    assert b"control characters" in answer.content


SCRIPT = '<script>alert("x")</script>'


@pytest.mark.parametrize("field", ["issuer", "client_id"])
def test_script_in_a_field_is_shown_as_text(wizard: Client, field: str) -> None:
    answer = wizard.post(url("provider", key="okta"), values("https://acme.okta.com", **{field: SCRIPT}))
    assert SCRIPT.encode() not in answer.content
    assert answer.status_code in (200, 400)


def test_script_in_the_organization_name_is_shown_as_text(client: Client, make_organization: Any) -> None:
    make_organization("evil", name=SCRIPT)
    client.get(path_of(new_link("evil")))
    page = client.get(url("overview", org="evil"))
    assert SCRIPT.encode() not in page.content and b"&lt;script&gt;" in page.content


def test_unknown_idp_choice(wizard: Client) -> None:
    answer = wizard.get(url("provider", key="nope"))
    assert answer.status_code == 404 and b"setup_provider_unknown" in answer.content


def test_groups_not_seen_in_the_test_cannot_be_allowed(wizard: Client) -> None:
    answer = wizard.post(url("policy"), {"allowed": ["Domain Admins"]})
    assert answer.status_code == 400 and b"setup_not_tested" in answer.content


def test_go_live_refused_until_ready(wizard: Client) -> None:
    answer = wizard.post(url("live"))
    assert answer.status_code == 400 and b"setup_not_configured" in answer.content


def test_live_checks_are_rate_limited_per_link(wizard: Client, settings: Any) -> None:
    settings.TENANT_SSO_SETUP_CHECKS_PER_WINDOW = 3
    answers = [
        wizard.post(url("check", key="okta"), values("https://203.0.113.7"), HTTP_ACCEPT="application/json").status_code
        for _ in range(5)
    ]
    assert answers[-1] == 429 and answers.count(429) == 2


def test_an_operator_made_connection_in_service_is_not_changed(
    wizard: Client, make_connection: Any, settings: Any, devidp_factory: Any
) -> None:
    settings.TENANT_SSO_ALLOW_LOOPBACK_HTTP = True
    okta = devidp_factory(okta_config())
    connection = make_connection("acme", kind="oidc")
    answer = wizard.post(url("provider", key="okta"), {**values(okta.issuer), "action": "apply"})
    assert answer.status_code == 400 and b"setup_connection_in_use" in answer.content
    connection.refresh_from_db()
    assert connection.issuer == "https://acme.idp.example" and connection.enabled
    assert Connection.objects.count() == 1

"""No stale Cognito groups (issue 16, point 3), end to end through the real views.

The local identity provider plays the pool as Cognito behaves: a mapped attribute the customer's
IdP stops sending keeps its previous value (``keep_stale_attributes``), and it answers the admin
API calls the login's task makes (boto3 pointed at it by ``TENANT_SSO_COGNITO_ENDPOINT_URL``).
The customer removes alice from every group; the IdP now omits the claim; her next login must be
refused, not let in with last time's groups.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tenant_sso.models import LoginEvent
from tests.support.cognito import CREDENTIALS
from tests.support.driver import login
from tests.support.idp import idp_config
from tests.support.pages import ME, assert_refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def stale_idp(devidp_factory: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    config = idp_config()
    for provider in config["identity_providers"]:
        provider["keep_stale_attributes"] = True  # Cognito's behaviour
    server = devidp_factory(config)
    settings.TENANT_SSO_COGNITO_ENDPOINT_URL = server.base_url
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name.upper(), value)
    return server


@pytest.fixture
def acme(stale_idp: Any, make_connection: Any) -> Any:
    return make_connection(
        "acme", identity_provider="AcmeOkta", allowed_groups=["engineering"],
        issuer=stale_idp.issuer, cognito_domain=stale_idp.base_url,
    )


def test_removed_from_every_group_at_the_idp_means_the_next_login_is_refused(stale_idp: Any, acme: Any) -> None:
    first = Client()
    assert login(first, stale_idp.idp).status_code == 302
    assert first.get(ME).json()["idp_groups"] == ["engineering", "sso-admins"]
    # The login's task cleared the pool user's groups in "Cognito".
    assert stale_idp.idp.admin_calls == [("AdminDeleteUserAttributes", "AcmeOkta_00u-alice", ("custom:groups",))]
    assert stale_idp.idp.pool_user("AcmeOkta", "alice@acme.test").custom_groups is None

    stale_idp.idp.set_groups("AcmeOkta", "alice@acme.test", [])  # the IdP now omits the claim

    second = Client()
    assert_refused(second, login(second, stale_idp.idp), 403, "groups_missing")


def test_without_the_clearing_cognito_would_let_her_in_and_the_failure_is_audited(
    stale_idp: Any, acme: Any, settings: Any
) -> None:
    """The failure mode the task prevents, shown by making the admin API unreachable: the login
    is not blocked (the failure is audited), and the stale groups let the removed user in."""
    settings.TENANT_SSO_COGNITO_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens there
    first = Client()
    assert login(first, stale_idp.idp).status_code == 302
    failure = LoginEvent.objects.get(reason="cognito_attributes_not_cleared")
    assert failure.outcome == "error" and failure.detail["code"] == "cognito_unreachable"

    stale_idp.idp.set_groups("AcmeOkta", "alice@acme.test", [])
    second = Client()
    assert login(second, stale_idp.idp).status_code == 302  # stale groups: exactly what the clearing stops
    assert second.get(ME).json()["idp_groups"] == ["engineering", "sso-admins"]


def test_a_new_group_at_the_next_login_is_seen(stale_idp: Any, acme: Any) -> None:
    """Clearing does not lose what the IdP sends: each login carries the groups of that login."""
    assert login(Client(), stale_idp.idp).status_code == 302
    stale_idp.idp.set_groups("AcmeOkta", "alice@acme.test", ["engineering", "research"])
    again = Client()
    assert login(again, stale_idp.idp).status_code == 302
    assert again.get(ME).json()["idp_groups"] == ["engineering", "research"]

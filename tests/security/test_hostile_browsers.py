"""Any web page may drive a user's browser at our URLs: login CSRF, replays of one callback, and
floods of anonymous requests (issue 12, points 2, 7 and 8). Every attack goes through the real views.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.models import Session
from django.db.models import Count
from django.test import Client, override_settings

from tenant_sso.models import LoginEvent
from tests.support import attempts, urls
from tests.support.driver import idp_answer, login, path_of, start, state_of
from tests.support.html import parse_forms
from tests.support.pages import ME, assert_refused, reason

CROSS_SITE = {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_SEC_FETCH_MODE": "navigate"}
SAME_ORIGIN = {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_SEC_FETCH_MODE": "navigate"}


def confirmation(response: Any) -> dict[str, Any]:
    """The confirmation page's form (asserting it is one)."""
    assert response.status_code == 200, (response.status_code, reason(response), response.content[:300])
    forms = [f for f in parse_forms(response.content.decode()) if "confirm" in f["hidden"]]
    assert len(forms) == 1 and forms[0]["method"] == "post", forms
    return dict(forms[0])


def heading(response: Any) -> str:
    match = re.search(r'id="sso-confirm-organization">([^<]*)<', response.content.decode())
    return match.group(1) if match else ""


def signed_in_email(client: Any) -> str | None:
    me = client.get(ME)
    return str(me.json()["email"]) if me.status_code == 200 else None


@pytest.fixture(autouse=True)
def _one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting windows are aligned on the clock: hold it, so no test straddles two."""
    from tenant_sso import throttling

    monkeypatch.setattr(throttling, "now", lambda: 1_800_000_000.0)


# -- 2. login CSRF ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(CROSS_SITE, id="cross-site"),
        pytest.param({"HTTP_SEC_FETCH_SITE": "same-site"}, id="sibling-subdomain"),
        pytest.param({"HTTP_SEC_FETCH_SITE": "none"}, id="bookmark"),
        pytest.param({}, id="no-fetch-metadata"),
        pytest.param({**SAME_ORIGIN, "HTTP_ORIGIN": "https://evil.example"}, id="foreign-origin"),
        pytest.param({"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_SEC_FETCH_MODE": "no-cors"}, id="same-origin-img"),
    ],
)
def test_a_get_from_elsewhere_only_shows_a_confirmation_naming_the_organization(
    client: Any, tenants: Any, headers: dict[str, str]
) -> None:
    response = client.get(urls.login(), {"org": "acme"}, **headers)

    form = confirmation(response)
    assert heading(response) == "Acme Corp"
    assert form["hidden"]["org"] == "acme" and form["hidden"]["confirm"] == "acme"
    assert "csrfmiddlewaretoken" in form["hidden"]
    # Nothing started: no redirect to the IdP, no session, no attempt, no audit row.
    assert "Location" not in response
    assert not Session.objects.exists()
    assert not LoginEvent.objects.exists()


def test_a_link_on_one_of_our_pages_starts_at_once(client: Any, tenants: Any) -> None:
    response = client.get(urls.login(), {"org": "acme"}, **SAME_ORIGIN)
    assert response.status_code == 302
    assert response["Location"].startswith(tenants["acme"].cognito_domain)


def test_the_confirmation_button_starts_the_login_with_the_csrf_token(tenants: Any, pool: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    form = confirmation(browser.get(urls.login(), {"email": "alice@acme.test", "next": "/after/"}, **CROSS_SITE))
    assert form["hidden"]["email"] == "alice@acme.test" and form["hidden"]["next"] == "/after/"

    started = browser.post(urls.login(), form["hidden"], HTTP_SEC_FETCH_SITE="same-origin")

    assert started.status_code == 302
    done = browser.get(idp_answer(pool, started["Location"], "alice@acme.test"))
    assert done.status_code == 302 and done["Location"] == "/after/"
    assert signed_in_email(browser) == "alice@acme.test"


def test_a_cross_site_post_without_the_token_is_refused_by_csrf(tenants: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.get(urls.login(), {"org": "acme"}, **CROSS_SITE)  # the browser holds a CSRF cookie already
    response = browser.post(urls.login(), {"org": "acme", "confirm": "acme"}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert "Location" not in response
    assert not attempts.pending(browser)


def test_a_signed_in_session_is_not_replaced_by_a_cross_site_login(client: Any, tenants: Any, pool: Any) -> None:
    """The attack: the victim is signed in at acme; a page sends their browser to start a login at
    another tenant (in real life one whose IdP approves the attacker's account at once)."""
    assert login(client, pool).status_code == 302
    assert signed_in_email(client) == "alice@acme.test"

    for method, headers in (("get", CROSS_SITE), ("get", SAME_ORIGIN), ("post", {})):
        response = getattr(client, method)(urls.login(), {"org": "globex"}, **headers)
        form = confirmation(response)
        text = response.content.decode()
        assert heading(response) == "Globex"
        assert re.search(r'id="sso-confirm-current">Acme Corp<', text), text
        assert form["hidden"]["confirm"] == "globex"
        assert not attempts.pending(client)
        assert signed_in_email(client) == "alice@acme.test"

    # Only the person's own click on the page's button switches organization.
    started = client.post(urls.login(), form["hidden"])
    assert started.status_code == 302
    assert client.get(idp_answer(pool, started["Location"], "carol@globex.test")).status_code == 302
    assert signed_in_email(client) == "carol@globex.test"


def test_signing_in_again_to_the_same_organization_needs_no_confirmation(
    client: Any, tenants: Any, pool: Any
) -> None:
    login(client, pool)
    assert client.post(urls.login(), {"org": "acme"}).status_code == 302


def test_a_password_session_is_not_replaced_silently_either(client: Any, tenants: Any, admin_user: Any) -> None:
    client.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(urls.login(), {"org": "acme"})
    confirmation(response)
    assert "not single sign-on" in response.content.decode()


# -- 7. single use under concurrency ----------------------------------------------------------
def test_two_copies_of_one_callback_racing_exchange_the_code_once(
    client: Any, tenants: Any, pool: Any, idp_requests: Any
) -> None:
    """Both copies carry the attempt's cookie before either response deletes it: replayed here
    by putting the cookie back after the first copy, as the second request still sent it."""
    url = start(client)
    answer = idp_answer(pool, url, "alice@acme.test")
    name, sealed = attempts.cookie_of(client, state_of(url))

    assert client.get(answer).status_code == 302
    assert not attempts.pending(client)  # the first response deleted it
    client.cookies[name] = sealed
    twin = client.get(answer)

    assert twin.status_code == 400 and reason(twin) == "state_unknown"
    assert idp_requests.count("/oauth2/token") == 1
    assert list(LoginEvent.objects.order_by("id").values_list("outcome", "reason")) == [
        ("success", ""),
        ("error", "state_unknown"),
    ]


# -- 8. bounded writes from anonymous traffic -------------------------------------------------
def test_bogus_callbacks_write_no_session_and_a_bounded_number_of_events(tenants: Any) -> None:
    for i in range(30):
        browser = Client()
        query = urlencode({"state": f"forged-{i}", "code": "x"})
        response = browser.get(f"{path_of(urls.callback_url())}?{query}")
        assert response.status_code == 400 and reason(response) == "state_unknown"
        assert "sessionid" not in response.cookies
        browser.get(urls.login(), {"org": f"nobody-{i}"})
    assert not Session.objects.exists()
    counts = dict(LoginEvent.objects.values_list("reason").annotate(n=Count("id")))
    assert counts == {"state_unknown": 5, "unknown_organization": 5}


def test_each_client_gets_its_own_event_ceiling_under_a_total_one(tenants: Any) -> None:
    with override_settings(TENANT_SSO_ANONYMOUS_EVENTS_PER_CLIENT=2, TENANT_SSO_ANONYMOUS_EVENTS_TOTAL=7):
        for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"):
            for _ in range(4):
                Client(REMOTE_ADDR=address).get(urls.login(), {"org": "nobody"})
    per_client = dict(
        LoginEvent.objects.values_list("ip_address").annotate(n=Count("id"))
    )
    assert sum(per_client.values()) == 7 and max(per_client.values()) == 2


def test_events_of_a_signed_in_user_are_never_suppressed(client: Any, tenants: Any, pool: Any) -> None:
    login(client, pool)
    with override_settings(TENANT_SSO_ANONYMOUS_EVENTS_PER_CLIENT=1):
        for _ in range(4):
            client.get(f"{path_of(urls.callback_url())}?state=forged")
    assert LoginEvent.objects.filter(reason="state_unknown").count() == 4


@override_settings(TENANT_SSO_RATE_LIMIT_PER_IP=3)
def test_a_client_over_the_rate_limit_gets_429_with_a_reason_code(tenants: Any) -> None:
    flood = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(2):
        assert flood.post(urls.login(), {"org": "acme"}).status_code == 302
    assert flood.get(f"{path_of(urls.callback_url())}?state=x").status_code == 400  # callbacks count too

    refused = flood.post(urls.login(), {"org": "acme"})

    assert_refused(flood, refused, 429, "rate_limited")
    assert refused["Retry-After"] == "60"
    assert Client(REMOTE_ADDR="198.51.100.8").post(urls.login(), {"org": "acme"}).status_code == 302
    # An IPv6 client is counted by its /64: rotating the interface identifier does not help.
    with override_settings(TENANT_SSO_RATE_LIMIT_PER_IP=1):
        assert Client(REMOTE_ADDR="2001:db8:1:2::1").post(urls.login(), {"org": "acme"}).status_code == 302
        assert reason(Client(REMOTE_ADDR="2001:db8:1:2::99").post(urls.login(), {"org": "acme"})) == "rate_limited"


@override_settings(TENANT_SSO_RATE_LIMIT_PER_ORGANIZATION=2)
def test_an_organization_over_its_rate_limit_gets_429_others_do_not(tenants: Any) -> None:
    for i in range(2):
        assert Client(REMOTE_ADDR=f"203.0.113.{i}").post(urls.login(), {"org": "acme"}).status_code == 302
    refused = Client(REMOTE_ADDR="203.0.113.9").post(urls.login(), {"org": "acme"})
    assert refused.status_code == 429 and reason(refused) == "rate_limited"
    assert Client(REMOTE_ADDR="203.0.113.9").post(urls.login(), {"org": "globex"}).status_code == 302


def test_callbacks_count_against_their_organization(tenants: Any, pool: Any) -> None:
    browser = Client(REMOTE_ADDR="203.0.113.50")
    answer = idp_answer(pool, start(browser), "alice@acme.test")
    with override_settings(TENANT_SSO_RATE_LIMIT_PER_ORGANIZATION=1):  # the start was counted
        refused = browser.get(answer)
    assert refused.status_code == 429 and reason(refused) == "rate_limited"
    assert browser.get(ME).status_code == 401

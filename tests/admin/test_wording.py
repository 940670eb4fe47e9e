"""Words an operator reads: "Client ID", "IP address", "URL", and "1 group" (not "1 groups")."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.urls import reverse

from tenant_sso.claims import check_allowed
from tenant_sso.exceptions import AccessDenied
from tenant_sso.models import LoginEvent

pytestmark = pytest.mark.django_db


def labels(html: str) -> set[str]:
    return {unescape(re.sub(r"<[^>]+>", "", m)).strip().rstrip(":") for m in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)}


def headers(html: str) -> set[str]:
    return {unescape(re.sub(r"<[^>]+>", "", m)).strip() for m in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html, re.S)}


def test_connection_page_says_client_id_and_url(admin_client: Any, tenants: Any) -> None:
    html = admin_client.get(reverse("admin:tenant_sso_connection_change", args=[tenants["acme"].pk])).content.decode()
    found = labels(html)
    assert {"Client ID", "Logout redirect URL", "Upstream logout URL"} <= found, found
    assert not {"Client id", "Logout redirect url", "Upstream logout url"} & found
    listing = admin_client.get(reverse("admin:tenant_sso_connection_changelist")).content.decode()
    assert "Client ID" in headers(listing)


def test_login_events_say_ip_address(admin_client: Any, tenants: Any) -> None:
    acme = tenants["acme"]
    event = LoginEvent.objects.create(connection=acme, organization=acme.organization, outcome="success",
                                      ip_address="192.0.2.10")
    listing = admin_client.get(reverse("admin:tenant_sso_loginevent_changelist")).content.decode()
    assert "IP address" in headers(listing) and "Ip address" not in listing
    page = admin_client.get(reverse("admin:tenant_sso_loginevent_change", args=[event.pk])).content.decode()
    assert "IP address" in labels(page)


@pytest.mark.parametrize(("groups", "detail"), [(["contractors"], "1 group, none allowed"),
                                                (["contractors", "interns"], "2 groups, none allowed")])
def test_a_refusal_counts_groups_in_english(groups: list[str], detail: str) -> None:
    with pytest.raises(AccessDenied) as caught:
        check_allowed(groups, ["engineering"])
    assert caught.value.detail == detail

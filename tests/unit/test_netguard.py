"""The network policy's address and URL rules (oidc/netguard.py), one case per kind of address."""

from __future__ import annotations

import pytest

from tenant_sso.exceptions import ProviderError
from tenant_sso.oidc.netguard import NetworkPolicy, is_internal, parse_address

INTERNAL = [
    "127.0.0.1", "127.8.9.10", "::1", "10.0.0.1", "172.16.5.4", "192.168.0.1", "100.64.0.1",
    "169.254.169.254", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "0.0.0.0", "::",
    "224.0.0.1", "239.255.255.250", "ff02::1", "240.0.0.1", "255.255.255.255",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "198.18.0.1",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "52.94.236.248", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_refused_in_production_and_development(address: str) -> None:
    ip = parse_address(address)
    assert ip is not None and is_internal(ip)
    assert not NetworkPolicy().address_allowed(ip)
    loopback = address in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "2002:7f00:1::1")
    assert NetworkPolicy(allow_loopback=True).address_allowed(ip) is loopback


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    ip = parse_address(address)
    assert ip is not None and not is_internal(ip)
    assert NetworkPolicy().address_allowed(ip)


@pytest.mark.parametrize(
    ("url", "production", "development"),
    [
        ("https://login.example.com/oauth2/token", None, None),
        ("https://bücher.example/token", None, None),
        ("https://my_idp.example.com/token", None, None),
        ("http://127.0.0.1:8000/token", "insecure_endpoint", None),
        ("http://localhost:8000/token", "insecure_endpoint", None),
        ("http://[::1]:8000/token", "insecure_endpoint", None),
        ("https://127.0.0.1/token", "internal_address", None),
        ("https://api.localhost/token", "internal_address", None),
        ("http://10.0.0.1/token", "insecure_endpoint", "insecure_endpoint"),
        ("https://10.0.0.1/token", "internal_address", "internal_address"),
        ("https://[fd00::1]/token", "internal_address", "internal_address"),
        ("http://login.example.com/token", "insecure_endpoint", "insecure_endpoint"),
        ("javascript:alert(1)", "endpoint_invalid", "endpoint_invalid"),
        ("https:///token", "endpoint_invalid", "endpoint_invalid"),
        ("https://u:p@login.example.com/", "endpoint_invalid", "endpoint_invalid"),
        ("https://login.example.com\x00.evil/", "endpoint_invalid", "endpoint_invalid"),
        ("https://login.example.com/\ud800", "endpoint_invalid", "endpoint_invalid"),
        ("https://xn--zz.example/", "endpoint_invalid", "endpoint_invalid"),
        ("https://-bad-.example/", "endpoint_invalid", "endpoint_invalid"),
        ("https://" + "a" * 64 + ".example/", "endpoint_invalid", "endpoint_invalid"),
        ("https://login.example.com:0x50/", "endpoint_invalid", "endpoint_invalid"),
        ("https://" + "a.example/" * 300, "endpoint_invalid", "endpoint_invalid"),
        ("https://xn--bcher-kva.example/token", None, None),
        ("https://[fe80::1%25eth0]/token", "internal_address", "internal_address"),
        # Parser differentials: whatever urlsplit and httpx would each read, refused outright.
        ("http://idp.example.com\\@127.0.0.1/", "endpoint_invalid", "endpoint_invalid"),
        ("https://127.0.0.1\\@idp.example.com/", "endpoint_invalid", "endpoint_invalid"),
    ],
)
def test_url_rules(url: str, production: str | None, development: str | None) -> None:
    for policy, expected in ((NetworkPolicy(), production), (NetworkPolicy(allow_loopback=True), development)):
        if expected is None:
            policy.check_url(url)
        else:
            with pytest.raises(ProviderError) as error:
                policy.check_url(url)
            assert error.value.code == expected
            assert "\x00" not in error.value.detail and "\ud800" not in error.value.detail

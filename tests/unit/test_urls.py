"""``next`` goes to local paths only; PKCE matches RFC 7636's example."""

from __future__ import annotations

import pytest

from tenant_sso.oidc.pkce import s256_challenge
from tenant_sso.urlsafety import safe_next


@pytest.mark.parametrize(
    "value",
    [
        "//evil.example", "https://evil.example/", "\\\\evil.example", "/\\evil.example",
        "javascript:alert(1)", "/%2F%2Fevil.example", "%2F%2Fevil.example", "/\x00/evil",
        "http:/evil.example", "evil.example", "/%5Cevil.example", "", "/" + "a" * 3000,
        "/\t/evil.example",
    ],
)
def test_next_leaving_the_site_falls_back(value: str) -> None:
    assert safe_next(value, "/home/") == "/home/"


@pytest.mark.parametrize("value", ["/", "/reports/?q=1#top", "/a/b/c"])
def test_local_next_is_kept(value: str) -> None:
    assert safe_next(value, "/home/") == value


def test_pkce_verifier_and_challenge_shape() -> None:
    from tenant_sso.oidc.pkce import make_verifier

    verifier = make_verifier()
    assert 43 <= len(verifier) <= 128
    challenge = s256_challenge(verifier)
    assert len(challenge) == 43 and "=" not in challenge and "+" not in challenge and "/" not in challenge
    assert s256_challenge(make_verifier()) != challenge

"""The HTTP seam's failures are types with attributes; their reason codes stay the same strings."""

from __future__ import annotations

import httpx
import pytest

from tenant_sso.exceptions import (
    BadStatus,
    InvalidDocument,
    ProviderError,
    ProviderTimeout,
    ProviderUnreachable,
    ResponseTooLarge,
    TransportError,
    URLRefused,
)
from tenant_sso.oidc.http import MAX_RESPONSE_BYTES, ProviderHTTP, make_client

URL = "https://idp.example/.well-known/openid-configuration"


def seam(handler: httpx.MockTransport) -> ProviderHTTP:
    return ProviderHTTP(make_client(2.0, handler))


def raising(error: type[Exception]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("boom", request=request)  # type: ignore[call-arg]

    return httpx.MockTransport(handler)


def answering(status: int, content: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, content=content))


def test_a_timeout_is_a_transport_error_with_the_stable_code() -> None:
    with pytest.raises(ProviderTimeout) as caught:
        seam(raising(httpx.ReadTimeout)).get_json(URL, what="discovery")
    assert isinstance(caught.value, TransportError)
    assert caught.value.code == "discovery_timeout"
    assert caught.value.what == "discovery"
    assert "idp.example" in caught.value.endpoint
    assert caught.value.status == 502  # our page's status, not the provider's


def test_an_unreachable_host_names_the_transport_error() -> None:
    with pytest.raises(ProviderUnreachable) as caught:
        seam(raising(httpx.ConnectError)).get_json(URL, what="token")
    assert caught.value.code == "token_unreachable"
    assert caught.value.reason == "ConnectError"


def test_a_bad_status_carries_the_provider_status_and_endpoint() -> None:
    with pytest.raises(BadStatus) as caught:
        seam(answering(404, b"{}")).get_json(URL, what="jwks")
    assert caught.value.code == "jwks_failed"
    assert caught.value.provider_status == 404
    assert caught.value.endpoint.startswith("GET ")
    assert caught.value.status == 502


def test_a_page_that_is_not_json_is_an_invalid_document_with_its_status() -> None:
    with pytest.raises(InvalidDocument) as caught:
        seam(answering(503, b"<html>down</html>")).get_json(URL, what="discovery")
    assert caught.value.code == "discovery_invalid"
    assert caught.value.provider_status == 503


def test_an_oversized_answer_is_refused() -> None:
    with pytest.raises(ResponseTooLarge) as caught:
        seam(answering(200, b" " * (MAX_RESPONSE_BYTES + 1))).get_json(URL, what="discovery")
    assert caught.value.code == "discovery_too_large"
    assert caught.value.limit == MAX_RESPONSE_BYTES


def test_a_url_the_policy_refuses_is_refused_before_any_request() -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200, json={}))
    with pytest.raises(URLRefused) as caught:
        seam(transport).get_json("http://idp.example/x", what="discovery")
    assert caught.value.code == "insecure_endpoint"
    assert isinstance(caught.value, ProviderError)
    assert sent == []

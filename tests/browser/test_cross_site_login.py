"""Login CSRF in a real browser: a page on another origin (a second loopback server, another host
name, so Chromium sees it cross-site) tries to start a login; the person sees our confirmation
page naming the organization, and nothing happens silently."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from example_project import demo
from tests.support import urls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def demo_site(live_server: Any, devidp_factory: Any) -> str:
    app_url = live_server.url
    server = devidp_factory(demo.idp_config(app_url))
    demo.seed(server.issuer, server.base_url, app_url)
    return str(app_url)


@pytest.fixture
def attacker(demo_site: str) -> Iterator[Callable[[str], str]]:
    """``attacker(html)``: the URL of a page on another site serving ``html``."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, b"not found")
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    # Another host name than the app's: 127.0.0.1 and localhost are different sites.
    host = "localhost" if urlsplit(demo_site).hostname != "localhost" else "127.0.0.1"
    base = f"http://{host}:{httpd.server_address[1]}"

    def serve(html: str) -> str:
        path = f"/page{len(pages)}.html"
        pages[path] = html.encode()
        return base + path

    yield serve
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def me(page: Any, app: str) -> Any:
    return page.request.get(f"{app}/api/me/")


def test_a_page_elsewhere_cannot_start_a_login_it_only_reaches_the_confirmation(
    page: Any, demo_site: str, attacker: Callable[[str], str], shot: Any
) -> None:
    evil = attacker(f'<script>location = "{demo_site}{urls.login()}?org=acme&next=/"</script>')
    idp_requests: list[str] = []
    page.on("request", lambda r: idp_requests.append(r.url) if "/oauth2/authorize" in r.url else None)

    page.goto(evil)
    page.wait_for_selector("#sso-confirm-organization")

    assert page.url.startswith(f"{demo_site}{urls.login()}")
    assert page.inner_text("#sso-confirm-organization") == "Acme Corp (Okta)"
    assert page.is_visible("#sso-confirm-continue")
    assert idp_requests == []  # the identity provider was never asked
    assert me(page, demo_site).status == 401
    shot(page, "login-csrf-confirmation")

    # The person's own click continues to the identity provider.
    page.click("#sso-confirm-continue")
    page.wait_for_selector("text=Sign in to AcmeOkta")


def test_a_signed_in_session_is_not_replaced_by_a_page_elsewhere(
    page: Any, demo_site: str, attacker: Callable[[str], str]
) -> None:
    page.goto(f"{demo_site}/login/")
    page.fill("#email", "alice@acme.test")
    page.click("#continue")
    page.click("button[value='alice@acme.test']")
    page.wait_for_selector("#organization")
    assert me(page, demo_site).json()["email"] == "alice@acme.test"

    # A navigation to another tenant's login start.
    page.goto(attacker(f'<script>location = "{demo_site}{urls.login()}?org=globex"</script>'))
    page.wait_for_selector("#sso-confirm-switch")
    assert page.inner_text("#sso-confirm-organization") == "Globex (Entra ID)"
    assert page.inner_text("#sso-confirm-current") == "Acme Corp (Okta)"
    assert me(page, demo_site).json()["email"] == "alice@acme.test"

    # An auto-submitted cross-site form: refused by CSRF, nothing started.
    page.goto(attacker(
        f'<form id="f" method="post" action="{demo_site}{urls.login()}">'
        '<input name="org" value="globex"><input name="confirm" value="globex"></form>'
        '<script>document.getElementById("f").submit()</script>'
    ))
    page.wait_for_url(f"{demo_site}{urls.login()}")
    assert "CSRF" in page.content()
    assert me(page, demo_site).json()["email"] == "alice@acme.test"

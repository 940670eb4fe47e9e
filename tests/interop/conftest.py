"""Fixtures of the interoperability tests: two oidc-provider processes and the example app.

``interop`` (module scope) starts, on 127.0.0.1 and free ports:

* ``okta``    -- oidc-provider as a plain OpenID Provider (standard routes, discovery, a JSON
  array ``groups`` claim, RP-Initiated Logout, client_secret_post only); tenant ``initech``
  connects to it with ``kind=oidc``;
* ``cognito`` -- oidc-provider shaped like a Cognito user pool domain (``/oauth2/*``, ``/logout``,
  issuer ``.../us-east-1_Interop1``, bracketed ``custom:groups``, ``token_use: "id"``); tenant
  ``umbrella`` connects to it with ``kind=cognito``;
* the example project on ``runserver --noreload`` against a temporary SQLite file, its
  connections created with ``manage.py sso_connection create``.

Everything is stopped at teardown. ``node_modules`` is installed from the lockfile when missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop.harness import (
    App,
    Browser,
    Interop,
    Relay,
    Tenant,
    ensure_node_modules,
    make_op,
    redirect_uri,
)
from tests.support import urls

SECRETS = {"initech": "initech-secret", "umbrella": "umbrella s3cret+/=:"}  # basic auth must encode these
POOL = "us-east-1_Interop1"
IDP_NAME = "UmbrellaEntra"


def _cognito_user(upstream_sub: str, email: str, groups: str | None) -> dict[str, Any]:
    user = {
        "token_use": "id",
        "cognito:username": f"{IDP_NAME}_{upstream_sub}",
        "identities": [{"userId": upstream_sub, "providerName": IDP_NAME, "providerType": "OIDC",
                        "issuer": None, "primary": "true", "dateCreated": "1700000000000"}],
        "custom:groups": groups,
        "email": email,
        "email_verified": "true",  # Cognito sends strings
    }
    if groups is None:
        del user["custom:groups"]  # the IdP sent no groups
    return user


OKTA_USERS: dict[str, dict[str, Any]] = {
    "00u-alice": {"email": "alice@initech.test", "email_verified": True, "given_name": "Alice",
                  "family_name": "Anders", "groups": ["engineering", "sso-admins"]},
    "00u-bob": {"email": "bob@initech.test", "email_verified": True, "groups": ["sales"]},
    "00u-carol": {"email": "carol@initech.test", "email_verified": True},
}
COGNITO_USERS: dict[str, dict[str, Any]] = {
    "6f1c9a52-0000-4000-8000-00000000a11c": _cognito_user(
        "entra-alice", "alice@umbrella.test", "[engineering, sso-admins]"),
    "6f1c9a52-0000-4000-8000-000000000b0b": _cognito_user(
        "entra-bob", "bob@umbrella.test", "[sales]"),
    "6f1c9a52-0000-4000-8000-0000000ca201": _cognito_user("entra-carol", "carol@umbrella.test", None),
}


@pytest.fixture(scope="module")
def interop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Interop]:
    ensure_node_modules()
    workdir: Path = tmp_path_factory.mktemp("interop")
    app = App.prepare(workdir)
    logged_out = urls.logged_out_url(app.url)
    upstream_hop = f"{app.url}{urls.logout_upstream()}"
    common = {"grant_types": ["authorization_code"], "response_types": ["code"]}
    # Back-channel logout tokens reach the app through a recording relay (replay tests reuse them).
    relay = Relay(f"{app.url}{urls.backchannel_logout('initech')}")
    okta = make_op("oidc", users=OKTA_USERS, log=workdir / "okta.log", clients=[{
        **common, "redirect_uris": [redirect_uri(app, "initech")], "client_id": "initech-app", "client_secret": SECRETS["initech"],
        "token_endpoint_auth_method": "client_secret_post", "post_logout_redirect_uris": [logged_out],
        "backchannel_logout_uri": relay.url, "backchannel_logout_session_required": True,
    }])
    cognito = make_op("cognito", users=COGNITO_USERS, pool=POOL, log=workdir / "cognito.log", clients=[{
        **common, "redirect_uris": [redirect_uri(app, "umbrella", kind="cognito")], "client_id": "umbrella-app", "client_secret": SECRETS["umbrella"],
        "token_endpoint_auth_method": "client_secret_basic",
        "post_logout_redirect_uris": [logged_out, upstream_hop],  # Cognito's sign-out URLs
    }])
    started: list[Any] = [relay]
    try:
        for process in (okta, cognito):
            process.start()
            started.append(process)
        env = {"INITECH_SECRET": SECRETS["initech"], "UMBRELLA_SECRET": SECRETS["umbrella"]}
        app.manage(
            "sso_connection", "create", "--org", "initech", "--org-name", "Initech", "--kind", "oidc",
            "--issuer", okta.issuer, "--client-id", "initech-app", "--client-secret-env", "INITECH_SECRET",
            "--email-domain", "initech.test", "--allowed-group", "engineering",
            "--group-map", "engineering=Engineers", "--group-map", "sso-admins=Administrators",
            extra_env=env,
        )
        app.manage(
            "sso_connection", "create", "--org", "umbrella", "--org-name", "Umbrella", "--kind", "cognito",
            "--issuer", cognito.issuer, "--cognito-domain", cognito.base_url,
            "--identity-provider", IDP_NAME, "--client-id", "umbrella-app",
            "--client-secret-env", "UMBRELLA_SECRET", "--email-domain", "umbrella.test",
            "--allowed-group", "engineering", "--group-map", "engineering=Engineers",
            # Forced: automatic mode would post this secret; oidc-provider decodes Basic credentials
            # (RFC 6749 2.3.1), so this keeps the app's encoding of them tested.
            "--token-auth-method", "client_secret_basic",
            extra_env=env,
        )
        app.start()
        started.append(app)
        yield Interop(app=app, okta=okta, cognito=cognito, backchannel=relay, tenants={
            "oidc": Tenant("initech", okta, allowed="00u-alice", refused="00u-bob", groupless="00u-carol"),
            "cognito": Tenant("umbrella", cognito, allowed="6f1c9a52-0000-4000-8000-00000000a11c",
                              refused="6f1c9a52-0000-4000-8000-000000000b0b",
                              groupless="6f1c9a52-0000-4000-8000-0000000ca201"),
        })
    finally:
        for process in reversed(started):
            process.stop()


@pytest.fixture(params=["oidc", "cognito"])
def tenant(request: pytest.FixtureRequest, interop: Interop) -> Tenant:
    return interop.tenants[request.param]


@pytest.fixture
def agent() -> Iterator[Browser]:
    """A user agent with one cookie jar for the app and both providers."""
    b = Browser()
    yield b
    b.close()

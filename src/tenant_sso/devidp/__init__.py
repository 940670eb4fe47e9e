"""``tenant_sso.devidp``: a local, AWS-free identity provider shaped like Amazon Cognito.

It plays a Cognito user pool, the pool's hosted domain (``/oauth2/*``, ``/logout``) and the
customer's upstream IdP sign-in page (Okta / Entra ID), so a complete SSO login runs on a laptop
or in CI. Standard library plus ``joserfc`` and ``cryptography``; no Django. It also brokers a real
SAML 2.0 IdP as Cognito does (:mod:`.saml_broker`; ``signxml`` and ``lxml``, the optional
``devidp-saml`` extra).

>>> from tenant_sso.devidp import DevIdP, DevIdPConfig                  # doctest: +SKIP
>>> idp = DevIdP(DevIdPConfig.load("devidp.json"), key_file="devidp-keys.json")  # doctest: +SKIP
>>> with idp.serve(port=9000) as server:                                # doctest: +SKIP
...     print(server.base_url, server.issuer)

Command line: ``python -m tenant_sso.devidp --config devidp.json``. Pytest fixtures:
:mod:`tenant_sso.devidp.pytest_plugin`. See ``README.md`` beside this file.
"""

from __future__ import annotations

from .claims import PoolUser, format_multi_value
from .config import ClientConfig, DevIdPConfig, IdentityProviderConfig, UserConfig
from .core import SESSION_COOKIE, UPSTREAM_COOKIE, IdTokenHook, SignFunction
from .exceptions import (
    DevIdPConfigError,
    DevIdPError,
    DevIdPKeyFileError,
    DevIdPLookupError,
    DevIdPSignInError,
)
from .provider import DevIdP
from .server import DevIdPServer

__all__ = [
    "SESSION_COOKIE",
    "UPSTREAM_COOKIE",
    "ClientConfig",
    "DevIdP",
    "DevIdPConfig",
    "DevIdPConfigError",
    "DevIdPError",
    "DevIdPKeyFileError",
    "DevIdPLookupError",
    "DevIdPServer",
    "DevIdPSignInError",
    "IdTokenHook",
    "IdentityProviderConfig",
    "PoolUser",
    "SignFunction",
    "UserConfig",
    "format_multi_value",
]

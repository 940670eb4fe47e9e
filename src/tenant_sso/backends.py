"""The authentication backend that sessions created by SSO are bound to."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class SSOBackend(ModelBackend):
    """Loads SSO users into requests; never authenticates a username and password.

    Logging in happens only in :func:`tenant_sso.flows.sign_in`, after every check.
    Inactive users are refused by ``ModelBackend.get_user`` as usual.
    """

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        return None

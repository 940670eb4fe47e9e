"""The use cases: begin a login, complete it at the callback, log out.

Views call these and stay thin; these call the protocol layer (:mod:`tenant_sso.oidc`), the
claim policy (:mod:`tenant_sso.claims`), the adapter and :mod:`tenant_sso.provisioning`.

Each login attempt lives in the browser, in a sealed cookie of its own named from its ``state``
(:mod:`tenant_sso.stash`; several tabs work at once), is single use (claimed before anything
else happens) and expires. The callback is two steps: :func:`verify_callback` returns a
:class:`VerifiedLogin` (or raises :class:`CallbackRefused`), then :func:`sign_in` provisions
the user and starts the session; the view dispatches on the attempt's :class:`LoginMode`.
"""

from __future__ import annotations

from .callback import (
    USER_ERRORS,
    CallbackRefused,
    SignedIn,
    VerifiedLogin,
    pending_attempt,
    sign_in,
    verify_callback,
)
from .login import (
    ATTEMPTS_COOKIE_PREFIX,
    BACKEND,
    SESSION_KEY,
    UPSTREAM_LOGOUT_KEY,
    LoginMode,
    begin_idp_initiated_login,
    begin_login,
    find_connection,
    organization_name,
    session_organization,
)
from .logout import logout, logout_url, provider_logout_target, upstream_logout
from .urls import (
    absolute,
    backchannel_logout_uri_for,
    callback_org,
    landing_url,
    login_page_url,
    redirect_uri,
    redirect_uri_for,
    uses_shared_callback,
)

__all__ = [
    "ATTEMPTS_COOKIE_PREFIX",
    "BACKEND",
    "SESSION_KEY",
    "UPSTREAM_LOGOUT_KEY",
    "USER_ERRORS",
    "CallbackRefused",
    "LoginMode",
    "SignedIn",
    "VerifiedLogin",
    "absolute",
    "backchannel_logout_uri_for",
    "begin_idp_initiated_login",
    "begin_login",
    "callback_org",
    "find_connection",
    "landing_url",
    "login_page_url",
    "logout",
    "logout_url",
    "organization_name",
    "pending_attempt",
    "provider_logout_target",
    "redirect_uri",
    "redirect_uri_for",
    "session_organization",
    "sign_in",
    "upstream_logout",
    "uses_shared_callback",
    "verify_callback",
]

"""Optional middleware: when an SSO session was last used, for the admin's list of active sessions.

Add ``"tenant_sso.middleware.LastSeenMiddleware"`` to ``MIDDLEWARE`` after Django's
``SessionMiddleware`` and ``AuthenticationMiddleware``. It moves ``SSOSession.last_seen_at`` at most
once per ``TENANT_SSO_LAST_SEEN_INTERVAL`` seconds (default 300) per session: the requests in
between cost no query (the time of the last move is kept in the session, already loaded for an
authenticated request). Without it, "last seen" is the login time (docs/deprovisioning.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import session_index
from .conf import app_settings
from .flows import SESSION_KEY

logger = logging.getLogger("tenant_sso")


class LastSeenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # After the view: a logout or a login in this request already changed the session.
        try:
            session_index.touch(request, app_settings.LAST_SEEN_INTERVAL, time.time(), SESSION_KEY)
        except Exception as error:  # a database hiccup must not turn a served page into a 500
            logger.warning("last seen not recorded: %s", type(error).__name__)
        return response

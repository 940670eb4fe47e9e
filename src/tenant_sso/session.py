"""The public API for the current request's SSO session (docs/session.md).

After a successful SSO login, :func:`get_sso` tells a view which organization the user signed in
through, with which connection, with which IdP groups, and when::

    from tenant_sso.session import get_sso, sso_required

    @sso_required(org="acme")
    def dashboard(request):
        sso = get_sso(request)          # never None inside an sso_required view
        return render(request, "dashboard.html", {"org": sso.organization, "groups": sso.idp_groups})

A user signed in any other way (the admin's password login) has no SSO session: ``get_sso``
returns ``None``. The data lives in the Django session (written by the callback); nothing here
trusts anything the browser sends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, wraps
from typing import TYPE_CHECKING, Any, overload

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .flows import BACKEND, SESSION_KEY, login_page_url

if TYPE_CHECKING:
    from .models import Connection, Organization

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class SSOInfo:
    """What the current request's SSO login established (read-only).

    ``organization``: the organization's slug; ``connection_id``: the primary key of the
    :class:`~tenant_sso.models.Connection` used; ``idp_groups``: the groups the identity provider
    sent at login, as parsed by the adapter (before the connection's group mapping);
    ``login_at``: when the callback logged the user in (aware, UTC).
    """

    organization: str
    connection_id: int
    idp_groups: tuple[str, ...]
    login_at: dt.datetime

    @cached_property
    def connection(self) -> Connection | None:
        """The connection (one query, then cached); ``None`` if it was deleted since the login."""
        from .models import Connection

        return Connection.objects.select_related("organization").filter(pk=self.connection_id).first()

    @property
    def organization_object(self) -> Organization | None:
        """The :class:`~tenant_sso.models.Organization` of :attr:`connection`."""
        connection = self.connection
        return connection.organization if connection is not None else None


def get_sso(request: HttpRequest) -> SSOInfo | None:
    """The SSO session of ``request``, or ``None`` when its user did not sign in through SSO."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    session = request.session
    # A password login in the same browser keeps the session but changes the backend: the SSO data
    # left there by an earlier login would describe another login.
    if session.get(BACKEND_SESSION_KEY) != BACKEND:
        return None
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    organization, connection, groups, login_at = (
        data.get("organization"),
        data.get("connection"),
        data.get("idp_groups"),
        data.get("login_at"),
    )
    if not (
        isinstance(organization, str)
        and isinstance(connection, int)
        and isinstance(groups, list)
        and isinstance(login_at, int | float)
    ):
        return None
    return SSOInfo(
        organization=organization,
        connection_id=connection,
        idp_groups=tuple(str(g) for g in groups),
        login_at=dt.datetime.fromtimestamp(login_at, tz=dt.UTC),
    )


def _check(request: HttpRequest, org: str | None) -> HttpResponse | None:
    """``None`` when the request may go on; a redirect to the login page for an anonymous user.

    Raises :class:`~django.core.exceptions.PermissionDenied` (403) for a user signed in without
    SSO (an admin's password login) or through another organization: sending them to the login
    page would loop, since they are signed in already.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_page_url())
    sso = get_sso(request)
    if sso is None:
        raise PermissionDenied("This page needs a single sign-on session.")
    if org is not None and sso.organization != org:
        raise PermissionDenied("This page belongs to another organization.")
    return None


@overload
def sso_required(view: View, /) -> View: ...
@overload
def sso_required(*, org: str | None = None) -> Callable[[View], View]: ...
def sso_required(view: View | None = None, /, *, org: str | None = None) -> View | Callable[[View], View]:
    """Require an SSO session (of the organization with slug ``org``, when given) for a view.

    An anonymous user goes to the login page (``LOGIN_URL`` when the project sets it, else
    ``tenant_sso:signin``) with ``next``; a user signed in without SSO, or through another
    organization, gets a 403.
    """

    def decorator(func: View) -> View:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refusal = _check(request, org)
            return refusal if refusal is not None else func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


class SSORequiredMixin:
    """Class-based views: require an SSO session, of ``sso_organization`` when set (a slug)."""

    sso_organization: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refusal = _check(request, self.sso_organization)
        if refusal is not None:
            return refusal
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response


__all__ = ["SSOInfo", "SSORequiredMixin", "get_sso", "sso_required"]

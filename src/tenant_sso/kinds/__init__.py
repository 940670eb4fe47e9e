"""Connection kinds: one strategy object per ``Connection.Kind`` (see :class:`.base.ConnectionKind`).

``kind_of(connection)`` is the only way the package learns what differs between kinds; no other
module tests a connection's kind. A new kind is a new module here, registered in ``KINDS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import ConnectionKind
from .cognito import CognitoKind
from .oidc import OIDCKind

if TYPE_CHECKING:
    from ..models import Connection

#: Every kind, by its ``Connection.Kind`` value.
KINDS: dict[str, ConnectionKind] = {kind.name: kind for kind in (CognitoKind(), OIDCKind())}


def kind_of(connection: Connection) -> ConnectionKind:
    """The strategy of ``connection``'s kind (``KeyError`` for a kind nobody registered)."""
    return KINDS[str(connection.kind)]


__all__ = ["KINDS", "CognitoKind", "ConnectionKind", "OIDCKind", "kind_of"]

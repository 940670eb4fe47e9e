"""The devidp error tree.

::

    DevIdPError                 root of everything raised by tenant_sso.devidp
    ├── DevIdPConfigError       invalid configuration (also a ValueError)
    ├── DevIdPKeyFileError      unreadable or corrupt key file
    ├── DevIdPLookupError       unknown client, identity provider or user (also a LookupError)
    └── DevIdPSignInError       the pool refused a federated sign-in (e.g. an attribute too long)
"""

from __future__ import annotations


class DevIdPError(Exception):
    """Root of the errors raised by :mod:`tenant_sso.devidp`."""


class DevIdPConfigError(DevIdPError, ValueError):
    """The configuration is invalid; the message names the offending key."""


class DevIdPKeyFileError(DevIdPError):
    """The key file cannot be read, parsed or written."""


class DevIdPLookupError(DevIdPError, LookupError):
    """An unknown client, identity provider or user was named in a Python API call."""

    def __str__(self) -> str:  # LookupError/KeyError-style repr quoting is unhelpful here
        return str(self.args[0]) if self.args else ""


class DevIdPSignInError(DevIdPError):
    """The pool refused a federated sign-in, as Cognito does (e.g. ``custom:groups`` too long).

    Over HTTP this becomes an ``error=invalid_request`` redirect to the app.
    """

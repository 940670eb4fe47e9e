"""The federated Cognito user of an identity: the two admin calls deprovisioning makes.

* :func:`global_sign_out` (``AdminUserGlobalSignOut``): Cognito revokes the user's refresh tokens,
  so no new ID token comes out of a refresh; used when SCIM deactivates a user.
* :func:`clear_stale_attributes` (``AdminDeleteUserAttributes`` of the connection's ``custom:*``
  groups and roles attributes): run after every Cognito login, so the next sign-in carries only
  what the customer's IdP sends then. Cognito keeps a mapped attribute the IdP stopped sending
  (docs/cognito.md, "Stale attributes"), which would let a user removed from every
  group keep them; cleared, a missing claim stays missing and the login is refused (fail closed).

The pool comes from the connection's issuer (``https://cognito-idp.<region>.amazonaws.com/<pool>``,
or any issuer whose last path segment is a pool ID: the local identity provider's); the user is
``FederatedIdentity.cognito_username``. Calls go through :class:`~.aws.CognitoAPI` (rate limit,
throttling retries, AWS errors as :class:`~.aws.CognitoError` with stable codes), to the endpoint
of ``TENANT_SSO_COGNITO_ENDPOINT_URL`` or AWS's. IAM permissions: docs/deprovisioning.md.
"""

from __future__ import annotations

from typing import Any

from . import identifiers
from .aws import CognitoAPI, CognitoError

#: The IAM actions these calls need on the pool (docs/deprovisioning.md, ``sso_cognito status``).
IAM_ACTIONS = (
    "cognito-idp:AdminDeleteUserAttributes",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminUserGlobalSignOut",
)

_api: CognitoAPI | None = None
_api_given = False
_api_endpoint = ""


def api() -> CognitoAPI:
    """The process's :class:`CognitoAPI` for user calls (one boto3 client per region, reused;
    rebuilt when ``TENANT_SSO_COGNITO_ENDPOINT_URL`` changes)."""
    global _api, _api_endpoint
    from ..conf import app_settings

    endpoint = app_settings.COGNITO_ENDPOINT_URL
    if _api is None or (not _api_given and endpoint != _api_endpoint):
        _api, _api_endpoint = CognitoAPI(), endpoint
    return _api


def set_api(value: CognitoAPI | None) -> None:
    """Replace the API object (tests pass one on moto's server; ``None``: build from settings)."""
    global _api, _api_given
    _api, _api_given = value, value is not None


def pool_of(issuer: str) -> tuple[str, str]:
    """``(pool_id, region)`` of a Cognito connection's issuer; ``cognito_not_a_pool`` otherwise."""
    found = identifiers.pool_of_issuer(issuer)
    if found:
        return found
    last = issuer.rstrip("/").rsplit("/", 1)[-1]
    region = identifiers.region_of(last)
    if region:
        return last, region
    raise CognitoError(
        "cognito_not_a_pool", f"{issuer!r} is not a Cognito user pool issuer: no user to call Cognito about."
    )


def stale_attributes(connection: Any) -> list[str]:
    """The connection's ``custom:*`` attributes that carry groups or roles (what Cognito keeps)."""
    names = [connection.effective_groups_claim, connection.roles_claim]
    return sorted({name for name in names if name and name.startswith("custom:")})


def _connection(connection_id: int) -> Any:
    from ..models import Connection

    try:
        return Connection.objects.get(pk=connection_id)
    except Connection.DoesNotExist:
        raise CognitoError("cognito_connection_gone", f"connection {connection_id} no longer exists.") from None


def _username(cognito_username: str) -> str:
    if not cognito_username:
        raise CognitoError(
            "cognito_username_unknown", "the identity has no cognito:username yet (it never signed in through Cognito)."
        )
    return cognito_username


def global_sign_out(connection_id: int, cognito_username: str) -> None:
    """``AdminUserGlobalSignOut``: the user's Cognito refresh tokens stop working.

    Idempotent (signing out a signed-out user succeeds). Raises :class:`CognitoError`:
    ``cognito_user_not_found`` (no such user in the pool), ``cognito_access_denied`` (IAM),
    ``cognito_connection_gone``, ``cognito_not_a_pool``, ``cognito_username_unknown``, and the
    codes of :mod:`.aws`.
    """
    connection = _connection(connection_id)
    pool_id, region = pool_of(connection.issuer)
    api().call(region, "admin_user_global_sign_out", UserPoolId=pool_id, Username=_username(cognito_username))


def clear_stale_attributes(connection_id: int, cognito_username: str) -> list[str]:
    """``AdminDeleteUserAttributes`` of the connection's groups/roles attributes; which were cleared.

    Idempotent (deleting an absent attribute succeeds). Raises like :func:`global_sign_out`.
    """
    connection = _connection(connection_id)
    names = stale_attributes(connection)
    if not names:
        return []
    pool_id, _region = pool_of(connection.issuer)
    return delete_attributes(pool_id, _username(cognito_username), names)


def clear_target(connection: Any, cognito_username: str) -> dict[str, Any] | None:
    """What :func:`delete_attributes` needs for this login, as JSON (a task argument), or
    ``None`` when there is nothing to clear: computed from the connection the login holds, so
    the task does not read it again."""
    names = stale_attributes(connection)
    if not names or not cognito_username:
        return None
    try:
        pool_id, _region = pool_of(connection.issuer)
    except CognitoError:
        return None
    return {"pool": pool_id, "username": cognito_username, "attributes": names}


def delete_attributes(pool_id: str, username: str, names: list[str]) -> list[str]:
    """``AdminDeleteUserAttributes`` of ``names`` (those the user has); which were deleted."""
    region = identifiers.region_of(pool_id)
    if not region:
        raise CognitoError("cognito_not_a_pool", f"{pool_id!r} is not a user pool ID.")
    try:
        api().call(region, "admin_delete_user_attributes", UserPoolId=pool_id, Username=username, UserAttributeNames=names)
    except CognitoError as error:
        if error.code != "cognito_invalid_parameter":
            raise
        # Some implementations (moto; Cognito for an attribute missing from the pool's schema)
        # refuse to delete what the user does not have: delete only the attributes present.
        present = api().call(region, "admin_get_user", UserPoolId=pool_id, Username=username)
        have = {attribute.get("Name") for attribute in present.get("UserAttributes", [])}
        names = [name for name in names if name in have]
        if names:
            api().call(
                region, "admin_delete_user_attributes", UserPoolId=pool_id, Username=username, UserAttributeNames=names
            )
    return names


#: A user no pool has: the permission probes act on it, so they change nothing.
PROBE_USERNAME = "tenant-sso-permission-probe"
_PROBES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("cognito-idp:AdminGetUser", "admin_get_user", {}),
    ("cognito-idp:AdminDeleteUserAttributes", "admin_delete_user_attributes", {"UserAttributeNames": ["custom:groups"]}),
    ("cognito-idp:AdminUserGlobalSignOut", "admin_user_global_sign_out", {}),
)


def check_permissions(cognito: CognitoAPI, pool_id: str) -> dict[str, str]:
    """Whether these credentials may make the deprovisioning calls on ``pool_id``: each call is made
    for :data:`PROBE_USERNAME`, a user that does not exist, so nothing changes. IAM is evaluated
    before the user is looked up: ``UserNotFoundException`` means allowed, an access error means
    denied. ``{IAM action: "ok" | our error code}``."""
    region = identifiers.region_of(pool_id)
    if not region:
        return {action: "cognito_not_a_pool" for action, _op, _extra in _PROBES}
    found: dict[str, str] = {}
    for action, operation, extra in _PROBES:
        try:
            cognito.call(region, operation, UserPoolId=pool_id, Username=PROBE_USERNAME, **extra)
            found[action] = "ok"  # a pool where the probe user exists: still allowed
        except CognitoError as error:
            found[action] = "ok" if error.code == "cognito_user_not_found" else error.code
    return found


__all__ = [
    "IAM_ACTIONS",
    "PROBE_USERNAME",
    "CognitoError",
    "check_permissions",
    "clear_stale_attributes",
    "clear_target",
    "delete_attributes",
    "global_sign_out",
    "pool_of",
    "stale_attributes",
]

"""The user-pool admin calls tenant_sso makes, in Cognito's wire protocol (AWS JSON 1.1).

boto3's ``cognito-idp`` client, pointed at the devidp's base URL (``endpoint_url``, or
``TENANT_SSO_COGNITO_ENDPOINT_URL`` in the app), POSTs to ``/`` with
``Content-Type: application/x-amz-json-1.1`` and ``X-Amz-Target:
AWSCognitoIdentityProviderService.<Operation>``; errors are ``{"__type": ..., "message": ...}``
with HTTP 400, as AWS answers. Operations:

* ``AdminGetUser`` -- the pool user's attributes (what the next token would carry);
* ``AdminDeleteUserAttributes`` -- e.g. ``custom:groups``: the next token omits them until the
  IdP sends them again;
* ``AdminUserGlobalSignOut`` -- the user's refresh tokens stop working (like Cognito, the hosted
  domain's session cookie is left alone).

The SigV4 signature is not verified (there are no AWS credentials here to check it against);
a request without an ``Authorization`` header is refused, so an unsigned client is noticed.
"""

from __future__ import annotations

import json
from typing import Any

from .claims import PoolUser
from .core import PoolState
from .web import Request, Response

AMZ_JSON = "application/x-amz-json-1.1"
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
#: Custom attributes the pool has: deleting others is an InvalidParameterException, as in Cognito.
_DELETABLE = {"custom:groups": "custom_groups", "custom:roles": "custom_roles"}


class _AwsError(Exception):
    def __init__(self, kind: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.kind, self.message, self.status = kind, message, status


def _answer(status: int, data: dict[str, Any]) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode("utf-8")
    return Response(status, body, [("Content-Type", AMZ_JSON), ("x-amzn-RequestId", "devidp")])


class AdminAPI(PoolState):
    """``POST /`` with ``X-Amz-Target``: the Cognito admin operations above."""

    def _admin_api(self, request: Request) -> Response:
        try:
            target = request.header("X-Amz-Target") or ""
            if not target.startswith(TARGET_PREFIX):
                raise _AwsError("UnknownOperationException", "missing or unknown X-Amz-Target", 400)
            if not request.header("Authorization"):
                raise _AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
            try:
                params = json.loads(request.body or b"{}")
            except ValueError:
                raise _AwsError("SerializationException", "the body is not JSON") from None
            if not isinstance(params, dict):
                raise _AwsError("SerializationException", "the body is not a JSON object")
            operation = target[len(TARGET_PREFIX):]
            handler = {
                "AdminGetUser": self._admin_get_user,
                "AdminDeleteUserAttributes": self._admin_delete_user_attributes,
                "AdminUserGlobalSignOut": self._admin_user_global_sign_out,
            }.get(operation)
            if handler is None:
                raise _AwsError("UnknownOperationException", f"{operation} is not implemented by the devidp")
            return _answer(200, handler(params))
        except _AwsError as error:
            return _answer(error.status, {"__type": error.kind, "message": error.message})

    def _pool_user_named(self, params: dict[str, Any]) -> PoolUser:
        pool = params.get("UserPoolId")
        if pool != self.config.user_pool_id:
            raise _AwsError("ResourceNotFoundException", f"User pool {pool} does not exist.")
        username = params.get("Username")
        if not isinstance(username, str) or not username:
            raise _AwsError("InvalidParameterException", "Username is required")
        for user in self._pool_users.values():
            if user.username == username:
                return user
        raise _AwsError("UserNotFoundException", "User does not exist.")

    def _admin_get_user(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            user = self._pool_user_named(params)
            attributes = {"sub": user.sub, **user.attributes()}
        return {
            "Username": user.username,
            "UserAttributes": [
                {"Name": name, "Value": ("true" if value else "false") if isinstance(value, bool) else str(value)}
                for name, value in attributes.items()
            ],
            "UserStatus": "EXTERNAL_PROVIDER",
            "Enabled": True,
        }

    def _admin_delete_user_attributes(self, params: dict[str, Any]) -> dict[str, Any]:
        names = params.get("UserAttributeNames")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise _AwsError("InvalidParameterException", "UserAttributeNames is required")
        unknown = [n for n in names if n not in _DELETABLE]
        if unknown:
            raise _AwsError("InvalidParameterException", f"Invalid user attributes: {unknown[0]}: not deletable here")
        with self._lock:
            user = self._pool_user_named(params)
            for name in names:
                setattr(user, _DELETABLE[name], None)
            self.admin_calls.append(("AdminDeleteUserAttributes", user.username, tuple(names)))
        return {}

    def _admin_user_global_sign_out(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            user = self._pool_user_named(params)
            key = (user.idp_name, user.upstream_sub)
            for record in self._refresh_tokens.values():
                if record.user_key == key:
                    record.revoked = True
                    self._revoked_families.add(record.origin_jti)
            self.admin_calls.append(("AdminUserGlobalSignOut", user.username, ()))
        return {}

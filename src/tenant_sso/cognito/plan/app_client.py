"""The tenant's app client: only its identity provider, code flow, ``openid`` only, our URLs.

``update_user_pool_client`` RESETS every omitted field: its parameters are always the full desired
state, plus the current values of the fields this package does not manage (token validities, auth
flows...), so an operator's tuning in the console survives a re-run. The custom attributes are
readable and writable: a mapped attribute the client cannot write makes sign-in fail.

A SAML tenant with IdP-initiated sign-in also registers our IdP-initiated URL
(``<mount>/idp-initiated/<org>/``) as a callback: the RelayState its IdP sends names it as the
``redirect_uri`` (AWS, "Using IdP-initiated SAML sign-in"). Cognito refuses IdP-initiated sign-in on
an app client that also offers a non-SAML provider, the user pool's own sign-in included: ours
offers exactly the tenant's provider, and the RelayState's ``scope`` must stay within the client's
scopes (``openid``).
"""

from __future__ import annotations

from typing import Any

from .model import AppUrls, Change, CurrentState, Part, PoolRef, Step, same_list

# Fields of an app client this package sets; on update, every other readable field is sent back
# unchanged (update_user_pool_client resets what is omitted).
_CARRIED_CLIENT_FIELDS = (
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ExplicitAuthFlows",
    "DefaultRedirectURI",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
)
_CLIENT_LIST_FIELDS = (
    "CallbackURLs",
    "LogoutURLs",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "SupportedIdentityProviders",
    "ReadAttributes",
    "WriteAttributes",
)


def plan_app_client(
    pool: PoolRef,
    current: CurrentState,
    urls: AppUrls,
    *,
    provider: str,
    client_name: str,
    roles: bool,
    idp_initiated_url: str = "",
) -> Part:
    """Create the app client (with a secret), or update it with its full state when a field differs.

    ``idp_initiated_url``: registered as a callback too (a SAML tenant with IdP-initiated sign-in).
    """
    custom = ["custom:groups"] + (["custom:roles"] if roles else [])
    callbacks = sorted({*urls.callback_urls, *([idp_initiated_url] if idp_initiated_url else [])})
    ours: dict[str, Any] = {
        "ClientName": client_name,
        "CallbackURLs": callbacks,
        "LogoutURLs": sorted(urls.logout_urls),
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": [provider],
        "ReadAttributes": sorted(["email", "email_verified", *custom]),
        "WriteAttributes": sorted(["email", *custom]),
    }
    client = current.client
    if client is None:
        create = Step(
            "create_user_pool_client",
            client_name,
            tuple(Change(k, None, v) for k, v in ours.items() if k != "ClientName"),
            {"UserPoolId": pool.user_pool_id, "GenerateSecret": True, **ours},
        )
        return Part((create,))
    client_changes = []
    for key, value in ours.items():
        have_value = client.get(key)
        same = same_list(have_value, value) if key in _CLIENT_LIST_FIELDS else have_value == value
        if not same:
            client_changes.append(Change(key, sorted(have_value) if isinstance(have_value, list) else have_value, value))
    notes: tuple[str, ...] = ()
    if not client.get("ClientSecret"):
        notes = ("the app client has no secret: delete it and re-run to create one with a secret",)
    if not client_changes:
        return Part(notes=notes)
    carried = {k: client[k] for k in _CARRIED_CLIENT_FIELDS if k in client}
    if carried.get("DefaultRedirectURI") and carried["DefaultRedirectURI"] not in ours["CallbackURLs"]:
        carried.pop("DefaultRedirectURI")
    update = Step(
        "update_user_pool_client",
        str(client["ClientId"]),
        tuple(client_changes),
        {"UserPoolId": pool.user_pool_id, "ClientId": client["ClientId"], **carried, **ours},
    )
    return Part((update,), notes)

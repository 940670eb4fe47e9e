"""The app client's managed login branding: an app client created by API has none, and its login
pages do not work until it has one (docs/cognito.md, "Onboarding with boto3", step 4)."""

from __future__ import annotations

from .model import Change, CurrentState, Part, PoolRef, Step


def plan_branding(pool: PoolRef, current: CurrentState, *, client_name: str) -> Part:
    """Create Cognito's default branding for a new app client, or for one found without any."""
    client = current.client
    if client is not None and not (current.branding_checked and current.branding_id is None):
        return Part()
    step = Step(
        "create_managed_login_branding",
        client_name,
        (Change("managed login branding", None, "Cognito's default style"),),
        {"UserPoolId": pool.user_pool_id, "ClientId": client["ClientId"] if client else None,
         "UseCognitoProvidedValues": True},
    )
    return Part((step,))

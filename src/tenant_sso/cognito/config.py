"""Onboarding's settings: the pools tenants go to (``TENANT_SSO_COGNITO_POOLS``) and our URLs.

Read at call time, never cached, so ``override_settings`` works (docs/cognito-onboarding.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..exceptions import ConfigurationError
from .plan import ORG_PLACEHOLDER, AppUrls, PoolRef, region_of_pool

DEFAULT_MAX_TENANTS = 300


@dataclass(frozen=True)
class PoolConfig:
    """One entry of ``TENANT_SSO_COGNITO_POOLS``."""

    user_pool_id: str
    region: str
    max_tenants: int = DEFAULT_MAX_TENANTS

    @property
    def ref(self) -> PoolRef:
        return PoolRef(self.user_pool_id, self.region)


def configured_pools() -> list[PoolConfig]:
    """``TENANT_SSO_COGNITO_POOLS`` as :class:`PoolConfig` (check ``cognito_bad_pool_config``)."""
    from ..conf import app_settings

    pools = []
    for index, entry in enumerate(app_settings.COGNITO_POOLS):
        pool_id = str(entry.get("user_pool_id", ""))
        if not pool_id:
            raise ConfigurationError(
                "cognito_bad_pool_config", f"TENANT_SSO_COGNITO_POOLS[{index}] has no user_pool_id."
            )
        region = str(entry.get("region") or region_of_pool(pool_id))
        pools.append(PoolConfig(pool_id, region, int(entry.get("max_tenants", DEFAULT_MAX_TENANTS))))
    return pools


def configured_urls() -> AppUrls:
    """The app client's callback and sign-out URLs, from settings (see docs/cognito-onboarding.md)."""
    from django.urls import reverse

    from ..conf import app_settings

    callback = app_settings.COGNITO_CALLBACK_URL
    if not callback and app_settings.BASE_URL:
        callback = app_settings.BASE_URL + reverse("tenant_sso:callback")
    if not callback:
        raise ConfigurationError(
            "cognito_callback_url_missing",
            "Set TENANT_SSO_COGNITO_CALLBACK_URL (or TENANT_SSO_BASE_URL): the app client needs our callback URL.",
        )
    logout = app_settings.COGNITO_LOGOUT_URLS
    if not logout:
        redirect = app_settings.LOGOUT_REDIRECT_URL
        if "://" not in redirect and app_settings.BASE_URL:
            redirect = app_settings.BASE_URL + redirect
        logout = [redirect] if "://" in redirect else []
    return AppUrls((callback,), tuple(logout), idp_initiated_template(callback))


def idp_initiated_template(callback: str) -> str:
    """Our IdP-initiated sign-in URL (``tenant_sso:idp_initiated``) with a placeholder for the slug.

    On ``TENANT_SSO_BASE_URL``, else on the origin and mount of the callback URL (the same
    ``tenant_sso.urls``); empty when the project does not route that view.
    """
    from django.urls import NoReverseMatch, reverse

    from ..conf import app_settings

    try:
        path = reverse("tenant_sso:idp_initiated", args=[ORG_PLACEHOLDER])
        callback_path = reverse("tenant_sso:callback")
    except NoReverseMatch:
        return ""
    if app_settings.BASE_URL:
        return app_settings.BASE_URL + path
    if callback.endswith(callback_path):
        return callback[: -len(callback_path)] + path
    return ""

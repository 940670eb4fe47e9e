from __future__ import annotations

from django.apps import AppConfig


class TenantSSOConfig(AppConfig):
    name = "tenant_sso"
    verbose_name = "Enterprise SSO"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, realm_cache  # noqa: F401  (checks: registers the system checks)
        from .session_index import connect

        connect()  # the kill switch: revoking an SSOSession ends its Django session
        realm_cache.connect()  # home-realm discovery's cache forgets what is saved or deleted

"""Settings of tenant_sso, read live from ``django.conf.settings`` (so ``override_settings`` works).

Global settings hold policy only; tenants and their connections live in the database.
Every setting is prefixed ``TENANT_SSO_``; see ``docs/settings.md``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


class Settings:
    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, f"TENANT_SSO_{name}", default)

    @property
    def ALLOWED_ALGORITHMS(self) -> list[str]:
        """ID token signing algorithms accepted; never taken from the token header."""
        return list(self._get("ALLOWED_ALGORITHMS", ["RS256"]))

    @property
    def CLOCK_LEEWAY(self) -> int:
        """Seconds of clock skew tolerated on ``exp``/``iat``/``nbf``."""
        return int(self._get("CLOCK_LEEWAY", 60))

    @property
    def MAX_TOKEN_AGE(self) -> int:
        """Seconds an ID token's ``iat`` may lie in the past (it was just issued for this login)."""
        return int(self._get("MAX_TOKEN_AGE", 600))

    @property
    def STATE_TTL(self) -> int:
        """Seconds a login attempt (state, nonce, PKCE verifier) stays valid."""
        return int(self._get("STATE_TTL", 600))

    @property
    def MAX_PENDING_LOGINS(self) -> int:
        """Login attempts a browser keeps at once (several tabs); oldest dropped first."""
        return int(self._get("MAX_PENDING_LOGINS", 10))

    @property
    def HTTP_TIMEOUT(self) -> float:
        """Seconds for each call to an identity provider (connect, read, write, pool)."""
        return float(self._get("HTTP_TIMEOUT", 5.0))

    @property
    def ALLOW_LOOPBACK_HTTP(self) -> bool:
        """Development only: accept ``http://`` issuers and endpoints on loopback hosts, and
        connections to loopback addresses. Off: https to public addresses only (W015 when on
        with DEBUG off)."""
        return bool(self._get("ALLOW_LOOPBACK_HTTP", False))

    @property
    def OIDC_SHARED_CALLBACK(self) -> list[str]:
        """Organization slugs whose OIDC connection still uses the shared callback URL (upgrade
        aid; the mix-up defence is off for them, W016). Empty: every OIDC connection has its own."""
        return [str(slug) for slug in self._get("OIDC_SHARED_CALLBACK", [])]

    @property
    def METADATA_CACHE_TTL(self) -> int:
        """Seconds discovery documents and JWKS are cached (per issuer, in Django's cache)."""
        return int(self._get("METADATA_CACHE_TTL", 3600))

    @property
    def JWKS_REFETCH_INTERVAL(self) -> int:
        """Minimum seconds between two JWKS refetches triggered by an unknown ``kid``."""
        return int(self._get("JWKS_REFETCH_INTERVAL", 60))

    @property
    def CACHE_ALIAS(self) -> str:
        """Django cache used for discovery and JWKS (shared between processes in production)."""
        return str(self._get("CACHE_ALIAS", "default"))

    @property
    def ENCRYPTION_KEYS(self) -> list[str]:
        """Fernet keys for client secrets, newest first. Empty: derived from SECRET_KEY (W002)."""
        keys = self._get("ENCRYPTION_KEYS", [])
        if isinstance(keys, str):
            keys = [k for k in keys.split(",") if k.strip()]
        return [str(k).strip() for k in keys]

    @property
    def ADAPTER(self) -> str:
        """Dotted path of the :class:`tenant_sso.adapter.SSOAdapter` subclass to use."""
        return str(self._get("ADAPTER", "tenant_sso.adapter.SSOAdapter"))

    @property
    def SCIM_SUBJECT_CLAIM(self) -> str:
        """The ID token claim holding the upstream IdP's subject that SCIM sends as externalId
        (e.g. ``oid`` for Entra ID); empty: ``sub`` (OIDC) or ``identities[].userId`` (Cognito)."""
        return str(self._get("SCIM_SUBJECT_CLAIM", ""))

    @property
    def SCIM_MAX_RESULTS(self) -> int:
        """Most resources one SCIM list response holds (``count`` is capped to it)."""
        return max(1, int(self._get("SCIM_MAX_RESULTS", 200)))

    @property
    def RATE_LIMIT_PER_SCIM_TOKEN(self) -> int:
        """SCIM requests per organization per window (Okta and Entra send bursts); 0: no limit."""
        return int(self._get("RATE_LIMIT_PER_SCIM_TOKEN", 1200))

    @property
    def BASE_URL(self) -> str:
        """Public base URL (``https://app.example.com``) for redirect URIs; empty: from the request."""
        return str(self._get("BASE_URL", "")).rstrip("/")

    @property
    def LOGIN_REDIRECT_URL(self) -> str:
        """Where a user lands after login when no (safe) ``next`` was given: a path or a URL name.

        Not Django's ``LOGIN_REDIRECT_URL``: Django always defines it (``/accounts/profile/``, a 404 in
        a project that never wrote that page), so it cannot tell "unset" from "set".
        """
        return str(self._get("LOGIN_REDIRECT_URL", "/"))

    @property
    def LOGIN_PAGE_ORGANIZATIONS(self) -> bool:
        """The package's login page lists the organizations (a button each) instead of asking for
        the work email. For apps whose tenants are not secret to each other (internal tools)."""
        return bool(self._get("LOGIN_PAGE_ORGANIZATIONS", False))

    @property
    def LOGOUT_REDIRECT_URL(self) -> str:
        """Where the identity provider sends the user back after logout (must be registered there)."""
        return str(self._get("LOGOUT_REDIRECT_URL", "/"))

    @property
    def DEFAULT_MAX_SESSION_AGE(self) -> int:
        """Default maximum session age of a new connection, in seconds."""
        return int(self._get("DEFAULT_MAX_SESSION_AGE", 8 * 3600))

    @property
    def LAST_SEEN_INTERVAL(self) -> int:
        """Seconds between two updates of an SSO session's ``last_seen_at`` (LastSeenMiddleware)."""
        return int(self._get("LAST_SEEN_INTERVAL", 300))

    @property
    def MAX_QUERY_LENGTH(self) -> int:
        """Longest callback query string accepted (anything longer is refused, not parsed)."""
        return int(self._get("MAX_QUERY_LENGTH", 8192))

    @property
    def MAX_TOKEN_LENGTH(self) -> int:
        """Longest ID token accepted, in bytes."""
        return int(self._get("MAX_TOKEN_LENGTH", 16384))

    # -- hostile browsers and anonymous traffic (docs/security.md) ------------------------------
    @property
    def RATE_LIMIT_WINDOW(self) -> int:
        """Seconds of one rate-limit window (login starts and callbacks; anonymous audit events)."""
        return max(1, int(self._get("RATE_LIMIT_WINDOW", 60)))

    @property
    def RATE_LIMIT_PER_IP(self) -> int:
        """Login starts plus callbacks one client address (an IPv6 /64) may make per window; 0: no limit."""
        return int(self._get("RATE_LIMIT_PER_IP", 300))

    @property
    def RATE_LIMIT_PER_ORGANIZATION(self) -> int:
        """Login starts plus callbacks per organization (all clients) per window; 0: no limit."""
        return int(self._get("RATE_LIMIT_PER_ORGANIZATION", 3000))

    @property
    def ANONYMOUS_EVENTS_PER_CLIENT(self) -> int:
        """Audit rows per window for one client address and reason, for refusals nobody signed in to."""
        return int(self._get("ANONYMOUS_EVENTS_PER_CLIENT", 5))

    @property
    def ANONYMOUS_EVENTS_TOTAL(self) -> int:
        """Audit rows per window for refusals nobody signed in to, all clients together."""
        return int(self._get("ANONYMOUS_EVENTS_TOTAL", 1000))

    # -- Cognito onboarding (manage.py sso_cognito; docs/cognito-onboarding.md) --------------
    @property
    def COGNITO_POOLS(self) -> list[dict[str, Any]]:
        """User pools tenants are placed in: ``[{"user_pool_id", "region", "max_tenants"}]``.

        A pool holds at most ~300 identity providers (Cognito quota), so onboarding fills the first
        pool with room; ``region`` defaults to the pool ID's prefix, ``max_tenants`` to 300.
        """
        return [dict(pool) for pool in self._get("COGNITO_POOLS", [])]

    @property
    def COGNITO_CALLBACK_URL(self) -> str:
        """The app client's callback URL; empty: ``BASE_URL`` + the ``tenant_sso:callback`` path."""
        return str(self._get("COGNITO_CALLBACK_URL", ""))

    @property
    def COGNITO_LOGOUT_URLS(self) -> list[str]:
        """The app client's sign-out URLs; empty: ``LOGOUT_REDIRECT_URL`` made absolute with ``BASE_URL``."""
        return [str(url) for url in self._get("COGNITO_LOGOUT_URLS", [])]

    @property
    def COGNITO_CALLS_PER_SECOND(self) -> float:
        """Client-side limit on Cognito control-plane calls (the quota is about 5 per second)."""
        return float(self._get("COGNITO_CALLS_PER_SECOND", 5.0))

    @property
    def COGNITO_MAX_ATTEMPTS(self) -> int:
        """Attempts of a throttled Cognito call (exponential backoff with jitter in between)."""
        return int(self._get("COGNITO_MAX_ATTEMPTS", 6))

    # -- the self-service setup portal (docs/setup-portal.md) ------------------------------------
    @property
    def SETUP_LINK_TTL(self) -> int:
        """Seconds a setup link stays valid when created without ``--expires-in`` (7 days)."""
        return int(self._get("SETUP_LINK_TTL", 7 * 24 * 3600))

    @property
    def SETUP_SESSION_TTL(self) -> int:
        """Seconds the setup session opened by a link lasts (never beyond the link's expiry)."""
        return int(self._get("SETUP_SESSION_TTL", 8 * 3600))

    @property
    def SETUP_ROUTE(self) -> str:
        """How portal connections reach the customer's IdP when the organization does not say:
        ``"oidc"`` (direct OIDC connection) or ``"cognito"`` (an IdP in a Cognito user pool)."""
        return str(self._get("SETUP_ROUTE", "oidc"))

    @property
    def SETUP_COGNITO_DOMAIN(self) -> str:
        """Cognito route: the pool's domain (``prefix.auth.region.amazoncognito.com`` or custom); the
        customer's IdP redirects to ``https://<domain>/oauth2/idpresponse``."""
        return str(self._get("SETUP_COGNITO_DOMAIN", ""))

    @property
    def SETUP_PROVISIONER(self) -> str:
        """Cognito route: dotted path of a callable returning the onboarding ``Provisioner``
        (empty: ``Provisioner()`` with boto3's default credentials)."""
        return str(self._get("SETUP_PROVISIONER", ""))

    @property
    def SETUP_CHECKS_PER_WINDOW(self) -> int:
        """Live checks and applies one setup link may run per rate-limit window (each one sends
        requests to the provider URL the customer typed)."""
        return int(self._get("SETUP_CHECKS_PER_WINDOW", 20))

    @property
    def SETUP_MAPPABLE_GROUPS(self) -> list[str]:
        """Django groups a customer's IT admin may map their IdP groups to in the wizard (empty:
        no mapping offered; the operator decides which Django groups a customer may hand out)."""
        return [str(g) for g in self._get("SETUP_MAPPABLE_GROUPS", [])]

    # -- verified domains (tenant_sso.domains, docs/domain-verification.md) ------------------------
    @property
    def DNS_RESOLVERS(self) -> list[str]:
        """Resolvers asked for a domain's TXT record, as ``"ip"`` or ``"ip:port"`` (``"[v6]:port"``).
        Empty: the system resolver (/etc/resolv.conf)."""
        return [str(value) for value in self._get("DNS_RESOLVERS", [])]

    @property
    def DNS_TIMEOUT(self) -> float:
        """Seconds one domain check may take in all (every name and resolver asked)."""
        return float(self._get("DNS_TIMEOUT", 5.0))

    @property
    def EXTRA_CONSUMER_DOMAINS(self) -> list[str]:
        """Mail domains refused as an organization's domain in addition to the package's list
        (tenant_sso.consumer_domains)."""
        return [str(value).strip().lower() for value in self._get("EXTRA_CONSUMER_DOMAINS", [])]
    @property
    def REALM_CACHE(self) -> bool | None:
        """Keep home-realm discovery's answers in the cache (tenant_sso.realm_cache). ``None``
        (default): only when the cache is shared by every process (not LocMemCache or DummyCache:
        another process's save could not forget this one's copy)."""
        value = self._get("REALM_CACHE", None)
        return None if value is None else bool(value)

    @property
    def COGNITO_ENDPOINT_URL(self) -> str:
        """The ``cognito-idp`` API endpoint boto3 calls; empty: AWS's own for the pool's region.

        Tests and local development point it at moto's server or at the local identity provider
        (``tenant_sso.devidp`` answers the user admin calls deprovisioning makes).
        """
        return str(self._get("COGNITO_ENDPOINT_URL", ""))

    @property
    def COGNITO_CLEAR_DELAY(self) -> int:
        """Seconds between a Cognito login and the clearing of the pool user's groups, on a task
        backend that can wait (a worker): another tab's sign-in under way keeps its groups."""
        return int(self._get("COGNITO_CLEAR_DELAY", 30))

    @property
    def TASK_MAX_ATTEMPTS(self) -> int:
        """Attempts of a background task whose work can fail (a Cognito call): docs/deprovisioning.md."""
        return int(self._get("TASK_MAX_ATTEMPTS", 5))

    @property
    def TASK_RETRY_DELAY(self) -> float:
        """Seconds before the first retry of a failed task; doubled at each attempt (cap 1 hour)."""
        return float(self._get("TASK_RETRY_DELAY", 30.0))


app_settings = Settings()

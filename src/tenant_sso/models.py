"""Tenants, their SSO connections, federated identities and the login audit log."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from . import crypto
from .kinds import KINDS, kind_of
from .oidc.metadata import is_secure_url
from .validation import canonical_domain


def _default_max_session_age() -> int:
    from .conf import app_settings

    return app_settings.DEFAULT_MAX_SESSION_AGE


def _provider_url_ok(url: str) -> bool:
    """An identity provider's URL passes the network policy (docs/security.md)."""
    from .wiring import network_policy

    return network_policy().is_secure_url(url)


def normalize_domain(value: str) -> str:
    """The stored form of an email domain (see :func:`tenant_sso.validation.canonical_domain`)."""
    return canonical_domain(value)


def scopes_error(value: Any) -> str:
    """Why a list of extra scopes is unusable ("" when it is fine): RFC 6749 3.3 scope-tokens."""
    from .oidc.client import MAX_SCOPE_LENGTH, is_scope_token

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return 'A JSON list of scope names, e.g. ["groups"].'
    if len(value) > 20:
        return "At most 20 extra scopes."
    bad = [v for v in value if not is_scope_token(v)]
    if bad:
        return (
            f"{bad[0][:50]!r} is not a scope name: printable ASCII without spaces, quotes or "
            f"backslashes (RFC 6749 3.3), at most {MAX_SCOPE_LENGTH} characters."
        )
    return ""


def algorithms_error(value: Any) -> str:
    """Why a signing-algorithm allow-list is unusable ("" when it is fine)."""
    from .oidc.signatures import SUPPORTED

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return 'A JSON list of algorithms, e.g. ["ES256"].'
    bad = [v for v in value if v not in SUPPORTED]
    if bad:
        return (
            f"{bad[0][:20]!r} is not accepted: choose among {', '.join(sorted(SUPPORTED))} "
            "(HS* and none are never accepted: anyone holding the client secret could forge tokens)."
        )
    return ""


class Organization(models.Model):
    """A customer (tenant)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    require_verified_domains = models.BooleanField(
        default=False,
        help_text=_(
            "Home-realm discovery and email linking use only domains proven by a DNS TXT record "
            "(set for organizations set up through the self-service portal)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def domain_names(self) -> list[str]:
        return [d.domain for d in self.domains.all()]


def owner_label(organization: Organization) -> str:
    """How an error names the organization owning a value: ``acme (Acme Corp)``."""
    if organization.name and organization.name != organization.slug:
        return f"{organization.slug} ({organization.name})"
    return organization.slug


def new_verification_token() -> str:
    """An unguessable DNS verification token: 256 random bits, URL-safe (43 characters). Public
    once published, so stored as is (docs/domain-verification.md, "The record")."""
    return secrets.token_urlsafe(32)


class OrganizationDomain(models.Model):
    """An email domain of an organization, for home-realm discovery (unique, indexed)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)
    verification_token = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("Published by the customer as the DNS TXT record tenant-sso-verification=<token>."),
    )
    verified_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the DNS TXT record was last found; empty: not verified.")
    )

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.domain = normalize_domain(self.domain)
        if not self.verification_token:  # every new row can be proved (docs/domain-verification.md)
            self.verification_token = new_verification_token()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "verification_token"}
        super().save(*args, **kwargs)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class Connection(models.Model):
    """One organization's SSO connection: a Cognito app client, or a plain OIDC client."""

    class Kind(models.TextChoices):
        COGNITO = "cognito", _("AWS Cognito (broker in front of the customer's IdP)")
        OIDC = "oidc", _("OpenID Connect (Okta, Entra ID, Keycloak... directly)")

    class AuthMethod(models.TextChoices):
        AUTO = "auto", _("Automatic (basic if the provider supports it)")
        BASIC = "client_secret_basic", _("client_secret_basic")
        POST = "client_secret_post", _("client_secret_post")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="connections")
    name = models.CharField(max_length=100, blank=True, help_text=_("Label shown in the admin."))
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COGNITO)
    enabled = models.BooleanField(default=True)
    client_id = models.CharField(_("Client ID"), max_length=255)
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    issuer = models.URLField(
        max_length=500,
        help_text=_(
            "Cognito: the user pool issuer, https://cognito-idp.{region}.amazonaws.com/{poolId}. "
            "OIDC: the provider's issuer (its discovery document is read from it)."
        ),
    )
    cognito_domain = models.CharField(
        max_length=255,
        blank=True,
        help_text=_(
            "Cognito: the user pool domain (prefix.auth.region.amazoncognito.com or a "
            "custom domain). A bare host means https."
        ),
    )
    identity_provider = models.CharField(
        max_length=40,
        blank=True,
        help_text=_(
            "Cognito: the identity provider's name in the pool; sent as identity_provider "
            "so Cognito's own page is skipped, and checked against the token's identities."
        ),
    )
    groups_claim = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("Claim holding the user's groups. Empty: custom:groups (Cognito) or groups (OIDC)."),
    )
    roles_claim = models.CharField(
        max_length=100, blank=True, help_text=_("Optional claim holding roles (e.g. custom:roles).")
    )
    allowed_groups = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "IdP groups (names or Entra object IDs) whose members may sign in. "
            "Nobody gets in while this is empty."
        ),
    )
    group_mapping = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('IdP group -> Django group, e.g. {"sso-admins": "Administrators"}.'),
    )
    max_session_age = models.PositiveIntegerField(
        default=_default_max_session_age,
        help_text=_("Seconds; the Django session ends no later than this after login."),
    )
    logout_redirect_url = models.CharField(
        _("logout redirect URL"),
        max_length=500,
        blank=True,
        help_text=_(
            "Where the IdP sends the user after logout (a sign-out URL registered on the "
            "app client). Empty: TENANT_SSO_LOGOUT_REDIRECT_URL."
        ),
    )
    upstream_logout_url = models.CharField(
        _("upstream logout URL"),
        max_length=500,
        blank=True,
        help_text=_(
            "Cognito only: the customer IdP's own end-session page, visited after "
            "Cognito's logout (Cognito does not end the upstream session)."
        ),
    )
    token_auth_method = models.CharField(max_length=24, choices=AuthMethod.choices, default=AuthMethod.AUTO)
    extra_scopes = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "Scopes always requested in addition to openid and the standard scopes the provider "
            "lists, e.g. a custom scope that releases the groups claim."
        ),
    )
    signing_algorithms = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "ID token signing algorithms accepted for this connection (e.g. ES256). "
            "Empty: TENANT_SSO_ALLOWED_ALGORITHMS."
        ),
    )
    use_userinfo = models.BooleanField(
        default=False, help_text=_("Also call the userinfo endpoint (its sub must match).")
    )
    idp_initiated = models.BooleanField(
        _("IdP-initiated sign-in"),
        default=False,
        help_text=_(
            "Accept sign-in started from the IdP's app tile (SAML through Cognito). Such a "
            "response is never trusted on its own: it starts a fresh sign-in from this app."
        ),
    )
    client_secret_expires_on = models.DateField(
        _("client secret expires on"),
        null=True,
        blank=True,
        help_text=_(
            "The day the OIDC client secret stops working, when the IdP says (Entra secrets last at "
            "most 2 years): this connection's secret, or for Cognito the upstream IdP's secret Cognito "
            "holds. Warned at 30, 14 and 7 days and after (docs/saml.md, 'Expiry tracking')."
        ),
    )
    link_by_email = models.BooleanField(
        default=False,
        help_text=_(
            "Link a first login to an existing account with the same email, only if the "
            "IdP says the email is verified and its domain belongs to this organization."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(enabled=True),
                name="tenant_sso_one_enabled_connection_per_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_kind_display().split(' ')[0]}{' ' + self.name if self.name else ''})"

    # -- secret, write-only ------------------------------------------------------------
    def set_client_secret(self, plaintext: str) -> None:
        self.client_secret_encrypted = crypto.encrypt(plaintext)

    def get_client_secret(self) -> str:
        return crypto.decrypt(self.client_secret_encrypted)

    @property
    def has_client_secret(self) -> bool:
        return bool(self.client_secret_encrypted)

    # -- derived settings ----------------------------------------------------------------
    @property
    def effective_groups_claim(self) -> str:
        return self.groups_claim or kind_of(self).default_groups_claim

    @property
    def effective_algorithms(self) -> list[str]:
        """The ID token algorithms this connection accepts (never read from a token header)."""
        from .conf import app_settings

        return list(self.signing_algorithms or app_settings.ALLOWED_ALGORITHMS)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.issuer and not _provider_url_ok(self.issuer):
            errors["issuer"] = "The issuer must be an https URL on a public address."
        if self.kind in KINDS:
            errors.update(kind_of(self).clean(self))
        if not isinstance(self.allowed_groups, list) or not all(
            isinstance(g, str) and g.strip() for g in self.allowed_groups
        ):
            errors["allowed_groups"] = 'A JSON list of group names, e.g. ["engineering"].'
        if not isinstance(self.group_mapping, dict) or not all(
            isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip()
            for k, v in self.group_mapping.items()
        ):
            errors["group_mapping"] = "A JSON object of IdP group to Django group names."
        if self.logout_redirect_url and not (
            is_secure_url(self.logout_redirect_url) or self.logout_redirect_url.startswith("/")
        ):
            errors["logout_redirect_url"] = "A path on this site (/...) or an https URL."
        if self.upstream_logout_url and not is_secure_url(self.upstream_logout_url):
            errors["upstream_logout_url"] = "Must be an https URL (http only for 127.0.0.1/localhost)."
        scope_error = scopes_error(self.extra_scopes)
        if scope_error:
            errors["extra_scopes"] = scope_error
        algorithm_error = algorithms_error(self.signing_algorithms)
        if algorithm_error:
            errors["signing_algorithms"] = algorithm_error
        if errors:
            raise ValidationError(errors)


class FederatedIdentity(models.Model):
    """A Django user as known to one connection: (connection, issuer, subject) is unique."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="identities")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    email = models.EmailField(blank=True)
    idp_groups = models.JSONField(default=list, blank=True)
    cognito_username = models.CharField(
        max_length=255,
        blank=True,
        help_text=_("Cognito connections: the federated user's name in the pool (cognito:username)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "federated identities"
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "issuer", "subject"], name="tenant_sso_unique_identity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.connection}"


class LoginEvent(models.Model):
    """The audit log: one row per login attempt outcome, per logout, per revoked session, and per
    claim or DNS check of an email domain (outcome ``domain``, tenant_sso.domains)."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        DENIED = "denied", _("denied")
        ERROR = "error", _("error")
        LOGOUT = "logout", _("logout")
        TEST = "test", _("test login")
        REVOKED = "revoked", _("session revoked")
        DOMAIN = "domain", _("domain claim or check")
        EXPIRY = "expiry", _("credential expiring")
        SCIM = "scim", _("SCIM provisioning")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="login_events"
    )
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="login_events"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=64, blank=True, db_index=True)
    subject = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["connection", "outcome", "created_at"], name="tenant_sso_ev_conn"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.outcome} {self.reason}"


class SSOSession(models.Model):
    """The index of the Django sessions SSO created: which to end when access is taken away.

    The session key is a bearer secret: it is stored encrypted (Fernet, like client secrets) to
    end the session in any session engine, and as a SHA-256 digest to find this row from a
    request. One row per login; deleting a row ends its Django session (see tenant_sso.session_index).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_sessions")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="sessions")
    identity = models.ForeignKey(
        FederatedIdentity, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions"
    )
    sid = models.CharField(max_length=255, blank=True, db_index=True, help_text=_("The IdP's sid claim."))
    session_key_digest = models.CharField(max_length=64, unique=True, editable=False)
    session_key_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(
        help_text=_("The last request through this session (moved at most every TENANT_SSO_LAST_SEEN_INTERVAL).")
    )
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "SSO session"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} via {self.connection} since {self.created_at:%Y-%m-%d %H:%M}"


class SAMLUpstream(models.Model):
    """A SAML 2.0 identity provider behind a (Cognito) connection: what was onboarded and the
    signing certificates we track (docs/saml.md). Written by :mod:`tenant_sso.saml_store` only."""

    class Preset(models.TextChoices):
        OKTA = "okta", "Okta"
        ENTRA = "entra", "Microsoft Entra ID"
        ADFS = "adfs", "ADFS"
        GOOGLE = "google", "Google Workspace"
        GENERIC = "generic", _("Generic SAML 2.0")

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="saml_upstream")
    metadata_url = models.URLField(
        _("metadata URL"), max_length=1000, blank=True, help_text=_("Re-read to follow certificate rollover.")
    )
    metadata_xml = models.TextField(
        _("metadata XML"), blank=True, help_text=_("The metadata as last read (from the URL or the file).")
    )
    entity_id = models.CharField(_("IdP entity ID"), max_length=1024)
    sso_url = models.CharField(_("IdP SSO URL"), max_length=2000, blank=True)
    slo_url = models.CharField(_("IdP single logout URL"), max_length=2000, blank=True)
    preset = models.CharField(max_length=20, choices=Preset.choices, default=Preset.GENERIC)
    email_attribute = models.CharField(max_length=255)
    groups_attribute = models.CharField(max_length=255)
    roles_attribute = models.CharField(max_length=255, blank=True)
    sign_requests = models.BooleanField(default=False)
    encrypted_responses = models.BooleanField(default=False)
    certificates = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "The IdP's signing certificates: [{source, subject, fingerprint_sha256, not_before, "
            "not_after}], source 'metadata' (as we read it) or 'cognito' (as Cognito holds it)."
        ),
    )
    sp_signing_certificate = models.TextField(
        _("Cognito's signing certificate"),
        blank=True,
        help_text=_("PEM; what the IdP verifies signed AuthnRequests with (GetSigningCertificate)."),
    )
    sp_encryption_certificate = models.TextField(
        _("Cognito's encryption certificate"),
        blank=True,
        help_text=_("PEM; what the IdP encrypts assertions to (ProviderDetails ActiveEncryptionCertificate)."),
    )
    metadata_read_at = models.DateTimeField(null=True, blank=True)
    metadata_error = models.CharField(
        max_length=300, blank=True, help_text=_("The reason code of the last failed re-read; empty when it worked.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SAML upstream"

    def __str__(self) -> str:
        return f"SAML {self.entity_id} ({self.connection})"


class ExpiryNotice(models.Model):
    """One warning sent about one expiring credential at one threshold (30, 14, 7 days, 0 =
    expired): the row is what makes the sweep idempotent. ``credential`` names it: ``cert:<sha256>``
    or ``secret:<YYYY-MM-DD>`` (a new date is a new credential, warned about afresh)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="expiry_notices")
    credential = models.CharField(max_length=100)
    threshold = models.SmallIntegerField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "credential", "threshold"], name="tenant_sso_one_notice_per_threshold"
            )
        ]

    def __str__(self) -> str:
        return f"{self.credential} <= {self.threshold} days ({self.connection})"


# -- the self-service setup portal (docs/setup-portal.md) ---------------------------------------
class SetupLink(models.Model):
    """A link an operator sends a customer's IT admin to set up SSO for one organization.

    Only the SHA-256 digest of the link's secret is stored; the secret is shown once, when the
    link is created. Valid until ``expires_at`` unless revoked; scoped to ``organization`` and to
    the setup wizard only (it never signs anybody in to the application).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="setup_links")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=150, blank=True, help_text=_("Who created it (admin user or command)."))
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"setup link for {self.organization} (#{self.pk})"


class SetupState(models.Model):
    """Where an organization's self-service setup stands (one row per organization that has one)."""

    class Route(models.TextChoices):
        COGNITO = "cognito", _("Through Cognito")
        OIDC = "oidc", _("Direct OIDC")

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="setup_state")
    route = models.CharField(
        max_length=10, choices=Route.choices, blank=True,
        help_text=_("How this organization's IdP is connected. Empty: TENANT_SSO_SETUP_ROUTE."),
    )
    provider = models.CharField(max_length=40, blank=True, help_text=_("The IdP choice made in the wizard."))
    link_sent_at = models.DateTimeField(null=True, blank=True)
    configured_at = models.DateTimeField(null=True, blank=True)
    tested_at = models.DateTimeField(null=True, blank=True, help_text=_("Last test sign-in that passed."))
    test_result = models.JSONField(default=dict, blank=True, help_text=_("What the last test sign-in showed."))
    live_at = models.DateTimeField(null=True, blank=True)
    live_override = models.BooleanField(default=False, help_text=_("Went live by operator override."))
    disabled_at = models.DateTimeField(null=True, blank=True, help_text=_("Break-glass: SSO turned off."))

    def __str__(self) -> str:
        return f"setup of {self.organization}"


class SetupEvent(models.Model):
    """The setup portal's audit log: every use of a link, every step, every refusal."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="setup_events"
    )
    link = models.ForeignKey(SetupLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    action = models.CharField(max_length=32)
    reason = models.CharField(max_length=64, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.reason}"


# -- SCIM 2.0 provisioning (docs/scim.md) -------------------------------------------------------
class ScimToken(models.Model):
    """The organization's SCIM bearer token: only its SHA-256 digest is kept (shown once)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="scim_token")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False, help_text=_("The token's first characters."))
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "SCIM token"

    def __str__(self) -> str:
        return f"SCIM token of {self.organization} ({self.hint}...)"


class ScimUser(models.Model):
    """A user provisioned by the organization's SCIM client, and the SCIM attributes kept for it.

    ``user`` is the Django user (shared with the SSO identities: docs/scim.md, "Linking").
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scim_users")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim_records")
    scim_id = models.UUIDField(unique=True, editable=False)
    user_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True, help_text=_("The SCIM attributes as last written."))
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SCIM user"
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("user_name"), "organization", name="tenant_sso_scim_user_name"
            ),
            models.UniqueConstraint(fields=["organization", "user"], name="tenant_sso_scim_user_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_name} ({self.organization})"


class ScimGroup(models.Model):
    """A group pushed by the organization's SCIM client; its displayName is the IdP group name
    the connections' ``group_mapping`` maps to Django groups."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scim_groups")
    scim_id = models.UUIDField(unique=True, editable=False)
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(ScimUser, blank=True, related_name="groups")
    member_display = models.JSONField(
        default=dict, blank=True, help_text=_("The display text the client gave each member (by SCIM id).")
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SCIM group"
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("display_name"), "organization", name="tenant_sso_scim_group_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.organization})"

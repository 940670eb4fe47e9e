"""What we keep of a SAML upstream (:class:`~tenant_sso.models.SAMLUpstream`): the one writer.

Onboarding (``sso_cognito onboard --saml-metadata-url/--saml-metadata-file``, the admin's
onboarding action) parses the metadata with :func:`tenant_sso.saml.metadata.parse_metadata`
(or :func:`load_metadata`, which also fetches a URL through the package's one HTTP seam), then
calls :func:`record_upstream`. ``sso_cognito status`` records the certificates Cognito holds with
:func:`record_cognito_certificates`; the re-read task (:mod:`tenant_sso.tasks`) calls
:func:`refresh_metadata`. Expiry warnings are :mod:`tenant_sso.expiry`'s (docs/saml.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from .exceptions import InvalidMetadata, SSOError
from .models import Connection, SAMLUpstream
from .saml.metadata import (
    MAX_METADATA_BYTES,
    Certificate,
    IdPMetadata,
    parse_metadata,
    read_signing_certificates,
)
from .saml.presets import DEFAULT_PRESET, PRESETS
from .saml.sp import SpValue, sp_values

__all__ = [
    "certificate_records",
    "fetch_metadata",
    "load_metadata",
    "record_cognito_certificates",
    "record_sp_certificates",
    "record_upstream",
    "refresh_metadata",
    "sp_values_for",
]

SOURCE_METADATA = "metadata"
SOURCE_COGNITO = "cognito"


def _url_ok(url: str) -> bool:
    """An IdP's SSO / logout endpoint: https with a host. Only browsers go there (never our server,
    never Cognito), so an intranet ADFS at a private address is fine; plaintext http only on a
    loopback host under TENANT_SSO_ALLOW_LOOPBACK_HTTP (development)."""
    from urllib.parse import urlsplit

    from .oidc.metadata import is_secure_url
    from .wiring import network_policy

    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme == "https":
        return bool(parts.hostname) and parts.username is None and parts.password is None
    return network_policy().allow_loopback and is_secure_url(url)


def fetch_metadata(url: str) -> bytes:
    """The metadata document at ``url``, through the network policy (https to public addresses).

    Raises the typed provider errors with ``what="saml_metadata"`` (saml_metadata_timeout,
    saml_metadata_unreachable, saml_metadata_failed, saml_metadata_too_large) or URLRefused.
    """
    from .wiring import http

    return http().get_bytes(url, what="saml_metadata", max_bytes=MAX_METADATA_BYTES)


def load_metadata(
    *, url: str = "", xml: bytes | str | None = None, now: datetime | None = None
) -> IdPMetadata:
    """Parse and check metadata given as a URL (fetched) or as a document: the one entry point
    for onboarding. Raises :class:`InvalidMetadata` or a ProviderError subclass, each with a code."""
    if bool(url) == (xml is not None):
        raise InvalidMetadata("saml_metadata_missing", "Give either a metadata URL or a metadata file.")
    document = fetch_metadata(url) if url else (xml.encode("utf-8") if isinstance(xml, str) else xml)
    assert document is not None
    return parse_metadata(document, now=now or timezone.now(), url_ok=_url_ok)


def _forget_cached_upstream(connection: Connection) -> None:
    """The connection's cached ``saml_upstream`` (a reverse one-to-one) is stale after a write made
    through another instance: the next access reads the row again."""
    connection._state.fields_cache.pop("saml_upstream", None)


def certificate_records(certificates: Iterable[Certificate], source: str) -> list[dict[str, Any]]:
    """The JSON form stored in ``SAMLUpstream.certificates`` (no key material beyond the public cert)."""
    return [
        {
            "source": source,
            "subject": c.subject,
            "fingerprint_sha256": c.fingerprint_sha256,
            "not_before": c.not_before.isoformat(),
            "not_after": c.not_after.isoformat(),
        }
        for c in certificates
    ]


def _replace_source(upstream: SAMLUpstream, source: str, certificates: Iterable[Certificate]) -> None:
    kept = [c for c in (upstream.certificates or []) if c.get("source") != source]
    upstream.certificates = kept + certificate_records(certificates, source)


def record_upstream(
    connection: Connection,
    *,
    metadata: IdPMetadata,
    metadata_url: str = "",
    preset: str = DEFAULT_PRESET,
    email_attribute: str = "",
    groups_attribute: str = "",
    roles_attribute: str | None = None,
    sign_requests: bool = False,
    encrypted_responses: bool = False,
    now: datetime | None = None,
) -> SAMLUpstream:
    """Create or update the connection's SAML upstream from parsed metadata (idempotent).

    Empty attribute names take the preset's (``roles_attribute=None``: the preset's; ``""``: none).
    ``metadata_url`` empty means the metadata came as a file (nothing to re-read: its certificates
    are warned about, and only new metadata clears the warning).
    """
    if preset not in PRESETS:
        raise InvalidMetadata(
            "saml_preset_unknown", f"Unknown IdP preset {preset!r}: choose among {', '.join(PRESETS)}."
        )
    chosen = PRESETS[preset]
    with transaction.atomic():
        upstream = SAMLUpstream.objects.select_for_update().filter(connection=connection).first()
        if upstream is None:
            upstream = SAMLUpstream(connection=connection)
        upstream.metadata_url = metadata_url
        upstream.metadata_xml = metadata.xml.decode("utf-8", errors="replace")
        upstream.entity_id = metadata.entity_id
        upstream.sso_url = metadata.sso_url
        upstream.slo_url = metadata.slo_url
        upstream.preset = preset
        upstream.email_attribute = email_attribute or chosen.email_attribute
        upstream.groups_attribute = groups_attribute or chosen.groups_attribute
        upstream.roles_attribute = chosen.roles_attribute if roles_attribute is None else roles_attribute
        upstream.sign_requests = sign_requests
        upstream.encrypted_responses = encrypted_responses
        _replace_source(upstream, SOURCE_METADATA, metadata.signing_certificates)
        upstream.metadata_read_at = now or timezone.now()
        upstream.metadata_error = ""
        upstream.save()
    _forget_cached_upstream(connection)
    return upstream


def record_cognito_certificates(
    connection: Connection, metadata_file: bytes | str, *, now: datetime | None = None
) -> list[Certificate]:
    """Record the signing certificates Cognito holds for the connection's SAML provider (from
    DescribeIdentityProvider's ``ProviderDetails["MetadataFile"]``); returns them.

    Parsed with the same safe parser, but an expired certificate is recorded, not refused: it is
    exactly what the warning is for. Raises :class:`InvalidMetadata` when the file is unusable.
    """
    document = metadata_file.encode("utf-8") if isinstance(metadata_file, str) else metadata_file
    certificates = list(read_signing_certificates(document))
    with transaction.atomic():
        upstream = SAMLUpstream.objects.select_for_update().filter(connection=connection).first()
        if upstream is None:
            return certificates
        _replace_source(upstream, SOURCE_COGNITO, certificates)
        upstream.save(update_fields=["certificates", "updated_at"])
    _forget_cached_upstream(connection)
    return certificates


def refresh_metadata(upstream: SAMLUpstream, *, now: datetime | None = None) -> IdPMetadata | None:
    """Re-read the upstream's metadata URL: a rolled certificate replaces the old one (which
    clears its warning). A failure is kept as ``metadata_error`` (its reason code) and raised;
    ``None`` when there is no URL to read."""
    if not upstream.metadata_url:
        return None
    moment = now or timezone.now()
    try:
        metadata = load_metadata(url=upstream.metadata_url, now=moment)
    except SSOError as error:
        SAMLUpstream.objects.filter(pk=upstream.pk).update(metadata_error=error.code[:300])
        upstream.metadata_error = error.code[:300]
        raise
    if metadata.entity_id != upstream.entity_id:
        code = "saml_metadata_entity_changed"
        SAMLUpstream.objects.filter(pk=upstream.pk).update(metadata_error=code)
        upstream.metadata_error = code
        raise InvalidMetadata(
            code,
            f"The metadata at the URL now describes {metadata.entity_id!r}, not {upstream.entity_id!r}: "
            "onboard the connection again if the IdP really changed.",
        )
    with transaction.atomic():
        locked = SAMLUpstream.objects.select_for_update().get(pk=upstream.pk)
        locked.metadata_xml = metadata.xml.decode("utf-8", errors="replace")
        locked.sso_url = metadata.sso_url
        locked.slo_url = metadata.slo_url
        _replace_source(locked, SOURCE_METADATA, metadata.signing_certificates)
        locked.metadata_read_at = moment
        locked.metadata_error = ""
        locked.save()
    upstream.refresh_from_db()
    return metadata


# -- what to hand the customer (sso_cognito sp-metadata, the admin's connection page) ----------
def as_pem(certificate: str) -> str:
    """A certificate as Cognito returns it (a base64 body, or already PEM) in PEM form."""
    text = (certificate or "").strip()
    if not text or text.startswith("-----BEGIN"):
        return text + ("\n" if text else "")
    body = "".join(text.split())
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def record_sp_certificates(
    connection: Connection, *, signing_certificate: str | None = None, encryption_certificate: str | None = None
) -> None:
    """Keep Cognito's own certificates (public) so the admin can show them without an AWS call.
    ``None`` leaves a stored value as it is."""
    changes: dict[str, str] = {}
    if signing_certificate is not None:
        changes["sp_signing_certificate"] = as_pem(signing_certificate)
    if encryption_certificate is not None:
        changes["sp_encryption_certificate"] = as_pem(encryption_certificate)
    if changes:
        SAMLUpstream.objects.filter(connection=connection).update(**changes, updated_at=timezone.now())
        _forget_cached_upstream(connection)


def idp_initiated_url(org_slug: str, base_url: str) -> str:
    """Our redirect_uri for IdP-initiated sign-in (``tenant_sso:idp_initiated``), absolute.
    "" when the URL is not routed (tenant_sso.urls without it) or no base URL is known."""
    from django.urls import NoReverseMatch, reverse

    if not base_url:
        return ""
    try:
        return base_url.rstrip("/") + reverse("tenant_sso:idp_initiated", args=[org_slug])
    except NoReverseMatch:
        return ""


def sp_values_for(connection: Connection, *, base_url: str, preset: str | None = None) -> list[SpValue]:
    """The values the customer's IT admin pastes into their IdP for this (Cognito) connection.

    ``preset`` overrides the stored one (``--preset``); before onboarding (no SAMLUpstream yet) the
    values come from the connection and the preset alone, so the customer can create the SAML app
    first and send its metadata after. Raises ConfigurationError when the connection is not a
    Cognito user pool connection with a domain.
    """
    from .cognito.identifiers import pool_of_issuer
    from .exceptions import ConfigurationError

    pool = pool_of_issuer(connection.issuer)
    if connection.kind != Connection.Kind.COGNITO or pool is None or not connection.cognito_domain:
        raise ConfigurationError(
            "saml_needs_cognito",
            "SAML upstreams are brokered by Cognito: the connection must be a Cognito user pool "
            "connection with its domain.",
        )
    upstream = SAMLUpstream.objects.filter(connection=connection).first()
    chosen = preset or (upstream.preset if upstream else DEFAULT_PRESET)
    if chosen not in PRESETS:
        raise InvalidMetadata("saml_preset_unknown", f"Unknown IdP preset {chosen!r}: choose among {', '.join(PRESETS)}.")
    use_upstream_names = upstream is not None and (preset is None or preset == upstream.preset)
    return sp_values(
        user_pool_id=pool[0],
        cognito_domain=connection.cognito_domain,
        client_id=connection.client_id,
        idp_initiated_url=idp_initiated_url(connection.organization.slug, base_url) if connection.idp_initiated else "",
        identity_provider=connection.identity_provider,
        preset=chosen,
        sign_requests=bool(upstream and upstream.sign_requests),
        signing_certificate_pem=(upstream.sp_signing_certificate or None) if upstream else None,
        single_logout=bool(upstream and upstream.slo_url),
        encrypted_responses=bool(upstream and upstream.encrypted_responses),
        encryption_certificate_pem=(upstream.sp_encryption_certificate or None) if upstream else None,
        email_attribute=upstream.email_attribute if use_upstream_names and upstream else "",
        groups_attribute=upstream.groups_attribute if use_upstream_names and upstream else "",
        roles_attribute=upstream.roles_attribute if use_upstream_names and upstream else None,
    )

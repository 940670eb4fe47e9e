"""The validation rules for organizations, email domains and connections, in one place.

The admin forms, ``manage.py sso_connection`` / ``sso_cognito``, :func:`tenant_sso.connections.upsert_connection`
and Cognito onboarding all call these functions, so a value one of them accepts is accepted by
all of them, in the same normalised form. No Django imports: the onboarding plan uses them too.

Every function returns the normalised value or raises :class:`InvalidValue`, which carries a
stable ``code`` (listed in docs/admin.md, "Validation") and a ``message`` a person can act on.
Forms turn it into a form error, commands into ``CommandError("[code] message")``.

Cognito's identifiers (pool IDs, regions, issuer URLs, domains) are parsed by
:mod:`tenant_sso.cognito.identifiers`; this module words the errors.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import idna

from .cognito import identifiers
from .exceptions import ConfigurationError

SLUG_MAX_LENGTH = 100
DOMAIN_MAX_LENGTH = 253
DISCOVERY_SUFFIX = "/.well-known/openid-configuration"

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_KIND_COGNITO = "cognito"


class InvalidValue(ConfigurationError):
    """A value refused by a validation rule: ``code`` is stable, ``message`` says what to do.

    ``field`` names what was refused (``slug``, ``domain``, ``issuer``, ``cognito_domain``,
    ``user_pool_id``), for callers that report errors per field.
    """

    default_code = "invalid_value"
    default_message = "This value is not valid."

    def __init__(self, code: str, message: str, *, field: str = "") -> None:
        super().__init__(code, message)
        self.field = field


# -- organizations ------------------------------------------------------------------------------
def clean_slug(value: str) -> str:
    """An organization slug: lower-case ASCII letters, digits, ``-`` and ``_``, starting with a
    letter or digit, at most 100 characters (it names the tenant in URLs, commands and Cognito)."""
    value = value.strip()
    if not value:
        raise InvalidValue("slug_required", "An organization slug is required, e.g. acme.", field="slug")
    if len(value) > SLUG_MAX_LENGTH:
        raise InvalidValue(
            "slug_too_long", f"A slug has at most {SLUG_MAX_LENGTH} characters ({len(value)} given).", field="slug"
        )
    if not _SLUG.match(value):
        suggestion = re.sub(r"[^a-z0-9_-]+", "-", value.lower()).strip("-_") or "acme"
        raise InvalidValue(
            "slug_invalid",
            f"{value!r} is not a slug: use lower-case letters, digits, '-' and '_' only, e.g. {suggestion!r}.",
            field="slug",
        )
    return value


# -- email domains ------------------------------------------------------------------------------
def canonical_domain(value: str) -> str:
    """The form a domain is stored and looked up in: trimmed, lower case, no trailing dot,
    internationalised names in punycode (``bücher.example`` -> ``xn--bcher-kva.example``).

    Lenient (never raises): for looking up what a user typed. Use :func:`clean_email_domain`
    to accept a domain from a person or a script.
    """
    value = value.strip().lower().rstrip(".")
    if value.isascii():
        return value
    try:
        return idna.encode(value, uts46=True).decode("ascii")
    except idna.IDNAError:
        return value


def clean_email_domain(value: str) -> str:
    """An organization's email domain as typed by a person: normalised by :func:`canonical_domain`,
    refused (with its own code) when it is an address, a URL, has a port, or is not a domain name."""
    raw = value.strip()

    def refuse(code: str, message: str) -> InvalidValue:
        return InvalidValue(code, message, field="domain")

    if not raw:
        raise refuse("domain_required", "Enter an email domain, e.g. acme.com.")
    if "@" in raw:
        after = raw.rsplit("@", 1)[1]
        hint = f" ({after})" if after else ""
        raise refuse("domain_has_at", f"{raw!r} is an email address: enter only the domain after the @{hint}.")
    if "://" in raw:
        host = urlsplit(raw).hostname or "acme.com"
        raise refuse("domain_has_scheme", f"{raw!r} is a URL: enter only the domain, e.g. {host}.")
    if any(c in raw for c in "/?#\\"):
        raise refuse("domain_has_path", f"{raw!r} has a path: enter only the domain, e.g. {re.split(r'[/?#]', raw)[0]}.")
    if ":" in raw:
        raise refuse("domain_has_port", f"{raw!r} has a port: an email domain has none, e.g. {raw.split(':')[0]}.")
    if any(c.isspace() for c in raw) or raw.startswith(".") or ".." in raw or raw.endswith(".."):
        raise refuse("domain_invalid", f"{raw!r} is not a domain name, e.g. acme.com.")
    domain = raw.lower().rstrip(".")
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise refuse("domain_invalid", f"{raw!r} is not a valid internationalised domain name ({exc}).") from exc
    labels = domain.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise refuse(
            "domain_invalid",
            f"{raw!r} is not a domain name: letters, digits and '-' between dots, e.g. acme.com.",
        )
    if len(labels) < 2:
        raise refuse("domain_not_qualified", f"{raw!r} has no dot: enter the full domain, e.g. {domain}.com.")
    if labels[-1].isdigit():
        raise refuse("domain_invalid", f"{raw!r} is not a domain name but an IP address: enter the email domain, e.g. acme.com.")
    if len(domain) > DOMAIN_MAX_LENGTH:
        raise refuse("domain_too_long", f"A domain has at most {DOMAIN_MAX_LENGTH} characters.")
    return domain


# -- connections ---------------------------------------------------------------------------------
def clean_issuer(value: str, kind: str) -> str:
    """The issuer of a connection of ``kind`` (``cognito`` or ``oidc``).

    * a pasted discovery URL is trimmed to its issuer;
    * Cognito: a bare pool ID becomes its issuer URL; a pool issuer loses a trailing slash (Cognito's
      ``iss`` has none) and is refused when the host's region is not the pool ID's;
    * OIDC: kept exactly as typed (an issuer is compared character for character with ``iss``).
    """
    value = value.strip()

    def refuse(code: str, message: str) -> InvalidValue:
        return InvalidValue(code, message, field="issuer")

    if not value:
        raise refuse("issuer_required", "Enter the issuer URL (https://...) or, for Cognito, the pool ID.")
    if value.endswith(DISCOVERY_SUFFIX):
        value = value[: -len(DISCOVERY_SUFFIX)]  # the discovery URL pasted instead of the issuer
    if identifiers.is_pool_id(value):
        if kind != _KIND_COGNITO:
            raise refuse(
                "issuer_is_pool_id",
                "That is a Cognito pool ID: choose the Cognito kind, or enter the OIDC issuer URL.",
            )
        return identifiers.issuer_url(value)
    if "://" not in value:
        raise refuse(
            "issuer_not_url",
            f"Enter the issuer URL (https://...) or, for Cognito, the pool ID (e.g. eu-west-1_AbC123xyz); "
            f"{value!r} is neither.",
        )
    host = (urlsplit(value).hostname or "").lower()
    if kind != _KIND_COGNITO:
        return value
    parsed = identifiers.parse_issuer(value)
    if parsed is None:
        if host.endswith(".amazonaws.com"):
            raise refuse(
                "cognito_issuer_shape",
                "A Cognito issuer is https://cognito-idp.{region}.amazonaws.com/{poolId}, "
                "e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz (or just the pool ID).",
            )
        return value.rstrip("/")  # a Cognito-compatible issuer elsewhere (the local IdP): no slash either
    if parsed.pool_region is None:
        raise refuse(
            "cognito_bad_pool_id",
            f"{parsed.pool_id!r} is not a pool ID: it looks like {parsed.host_region}_AbC123xyz.",
        )
    if not parsed.consistent:
        fixed = identifiers.issuer_url(parsed.pool_id)
        raise refuse(
            "cognito_region_mismatch",
            f"The pool {parsed.pool_id} is in {parsed.pool_region} but the issuer's host says "
            f"{parsed.host_region}: use {fixed}.",
        )
    return identifiers.issuer_url(parsed.pool_id)


def clean_pool_id(value: str) -> str:
    """A user pool ID, given as the ID or as its issuer URL (both accepted everywhere)."""
    value = value.strip()
    if identifiers.is_pool_id(value):
        return value
    if "://" in value:
        issuer = clean_issuer(value, _KIND_COGNITO)
        pool = identifiers.pool_of_issuer(issuer)
        if pool is not None:
            return pool[0]
    raise InvalidValue(
        "cognito_bad_pool_id",
        f"{value!r} is not a Cognito user pool ID (expected <region>_<id>, e.g. us-east-1_AbCdEf123).",
        field="user_pool_id",
    )


def clean_cognito_domain(value: str) -> str:
    """A user pool domain: ``prefix.auth.region.amazoncognito.com`` or a custom domain, optionally
    with a scheme (a bare host means https), never with a path, never the issuer's host."""
    value = value.strip()
    if not value:
        return value

    def refuse(code: str, message: str) -> InvalidValue:
        return InvalidValue(code, message, field="cognito_domain")

    parts = urlsplit(value if "://" in value else f"https://{value}")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise refuse(
            "cognito_domain_has_path",
            "Enter only the domain (e.g. acme.auth.eu-west-1.amazoncognito.com), without a path.",
        )
    try:
        host = parts.hostname or ""
    except ValueError:
        host = ""
    if not host:
        raise refuse("cognito_domain_invalid", f"{value!r} is not a domain, e.g. acme.auth.eu-west-1.amazoncognito.com.")
    if identifiers.is_issuer_host(host) or host.startswith("cognito-idp."):
        raise refuse(
            "cognito_domain_is_issuer_host",
            "That is the issuer's host, not the pool's domain. The domain is under Branding > Domain in the "
            "Cognito console (prefix.auth.region.amazoncognito.com, or a custom domain).",
        )
    if identifiers.is_amazoncognito_host(host) and identifiers.domain_region(host) is None:
        raise refuse(
            "cognito_domain_shape",
            f"{host} is not a Cognito domain: a prefix domain is prefix.auth.region.amazoncognito.com, "
            "e.g. acme.auth.eu-west-1.amazoncognito.com.",
        )
    return value.rstrip("/")


# -- wording ------------------------------------------------------------------------------------------
def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 group``, ``2 groups``, ``0 groups``."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"

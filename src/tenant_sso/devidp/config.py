"""Configuration of the development identity provider.

The configuration is plain data: a dict (or a JSON / TOML file) parsed into frozen dataclasses.
Every problem is reported as a :class:`DevIdPConfigError` naming the offending key, so that a typo
in a test's config fails loudly instead of producing a subtly different provider.

Example (JSON)::

    {
      "region": "us-east-1",
      "user_pool_id": "us-east-1_DevPool01",
      "token_ttl": 3600,
      "clients": [
        {"client_id": "acme-client", "client_secret": "acme-secret",
         "callback_urls": ["http://127.0.0.1:8000/api/oidc/cognito/callback/"],
         "logout_urls": ["http://127.0.0.1:8000/"],
         "identity_providers": ["AcmeOkta"]}
      ],
      "identity_providers": [
        {"name": "AcmeOkta", "groups_format": "bracketed",
         "users": [{"sub": "00u1alice", "email": "alice@acme.test", "groups": ["engineering"]}]}
      ]
    }
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from .exceptions import DevIdPConfigError

GroupsFormat = Literal["bracketed", "json", "single"]
GROUPS_FORMATS: tuple[str, ...] = ("bracketed", "json", "single")
IdPType = Literal["oidc", "saml"]
IDP_TYPES: tuple[str, ...] = ("oidc", "saml")
#: Pool attributes a SAML IdP's ``attribute_mapping`` may fill (Cognito's ``AttributeMapping`` keys).
SAML_POOL_ATTRIBUTES: tuple[str, ...] = (
    "email",
    "email_verified",
    "given_name",
    "family_name",
    "custom:groups",
    "custom:roles",
)

#: Scopes an app client may request unless its config says otherwise.
DEFAULT_ALLOWED_SCOPES: tuple[str, ...] = ("openid", "email", "profile")

# Cognito identity provider names: 1-32 characters, no whitespace, not starting with "_"; we
# also keep out characters that would need escaping in URLs and HTML.
_IDP_NAME_RE = re.compile(r"^[A-Za-z0-9.\-][A-Za-z0-9._\-]{0,31}$")
# Pool ids look like "us-east-1_AbCdEfGhI"; we only require something safe as a URL path segment.
_POOL_ID_RE = re.compile(r"^[A-Za-z0-9\-]+_[A-Za-z0-9]+$")


def _check_keys(data: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise DevIdPConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")


def _require_mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DevIdPConfigError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _str(data: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise DevIdPConfigError(f"{where}: {key!r} is required")
    if not isinstance(value, str) or not value:
        raise DevIdPConfigError(f"{where}: {key!r} must be a non-empty string")
    return value


def _opt_str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DevIdPConfigError(f"{where}: {key!r} must be a string")
    return value


def _bool(data: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise DevIdPConfigError(f"{where}: {key!r} must be true or false")
    return value


def _int(data: Mapping[str, Any], key: str, where: str, default: int, minimum: int = 1) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DevIdPConfigError(f"{where}: {key!r} must be an integer >= {minimum}")
    return value


def _str_list(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise DevIdPConfigError(f"{where}: {key!r} must be a list of strings")
    for item in value:
        if not isinstance(item, str) or not item:
            raise DevIdPConfigError(f"{where}: {key!r} must contain only non-empty strings")
    return tuple(value)


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc or parts.fragment:
        raise DevIdPConfigError(f"{where}: {url!r} must be an absolute URL without a fragment")


@dataclass(frozen=True)
class UserConfig:
    """A user of the upstream (customer) identity provider, e.g. an Okta account.

    ``sub`` is the upstream subject; Cognito derives its own pool-user UUID from it.
    ``email_verified`` defaults to true here for convenience (in real Cognito a mapped email is
    unverified unless ``email_verified`` is mapped too). ``extra_claims`` are copied into the ID
    token as given (e.g. ``{"custom:tenant": "acme"}``).
    """

    sub: str
    email: str
    email_verified: bool = True
    given_name: str | None = None
    family_name: str | None = None
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    extra_claims: Mapping[str, Any] = field(default_factory=dict)

    FIELDS = (
        "sub",
        "email",
        "email_verified",
        "given_name",
        "family_name",
        "groups",
        "roles",
        "extra_claims",
    )

    @classmethod
    def from_dict(cls, data: Any, where: str = "user") -> UserConfig:
        """Parse one user from a dict, raising :class:`DevIdPConfigError` on any problem."""
        data = _require_mapping(data, where)
        _check_keys(data, cls.FIELDS, where)
        email = _str(data, "email", where)
        if "@" not in email:
            raise DevIdPConfigError(f"{where}: 'email' {email!r} is not an email address")
        extra = data.get("extra_claims", {})
        if not isinstance(extra, Mapping):
            raise DevIdPConfigError(f"{where}: 'extra_claims' must be an object")
        return cls(
            sub=_str(data, "sub", where),
            email=email,
            email_verified=_bool(data, "email_verified", where, True),
            given_name=_opt_str(data, "given_name", where),
            family_name=_opt_str(data, "family_name", where),
            groups=_str_list(data, "groups", where),
            roles=_str_list(data, "roles", where),
            extra_claims=dict(extra),
        )

    def to_dict(self) -> dict[str, Any]:
        """The inverse of :meth:`from_dict`."""
        return {
            "sub": self.sub,
            "email": self.email,
            "email_verified": self.email_verified,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "groups": list(self.groups),
            "roles": list(self.roles),
            "extra_claims": dict(self.extra_claims),
        }


@dataclass(frozen=True)
class IdentityProviderConfig:
    """An OIDC identity provider in the pool (the customer's Okta or Entra ID) and its users.

    ``groups_format`` is how Cognito serialises ``custom:groups`` / ``custom:roles`` into the ID
    token: ``"bracketed"`` (``"[a, b]"``, the default), ``"json"`` (``'["a","b"]'``) or
    ``"single"`` (the first value only). ``identifiers`` are Cognito ``IdpIdentifiers`` matched by
    the ``idp_identifier`` authorize parameter, in addition to the users' email domains.
    ``remember_upstream_session`` emulates the upstream IdP's own session cookie, which Cognito's
    ``/logout`` does not clear. ``keep_stale_attributes`` emulates Cognito keeping the previous
    ``custom:groups`` / ``custom:roles`` when the upstream IdP stops sending them.

    ``type="saml"`` makes the pool broker a real SAML 2.0 IdP instead (``README.md``, "SAML
    identity providers"): no ``users`` here, the IdP is described by ``metadata_url`` or
    ``metadata_file``, its attributes reach the pool through ``attribute_mapping`` (pool attribute
    -> SAML attribute name, like Cognito's ``AttributeMapping``), ``idp_initiated`` is Cognito's
    ``IDPInit`` and ``keep_stale_attributes`` defaults to true (every mapped attribute absent from
    an assertion keeps its previous value, as in Cognito).
    """

    name: str
    users: tuple[UserConfig, ...] = ()
    groups_format: GroupsFormat = "bracketed"
    identifiers: tuple[str, ...] = ()
    remember_upstream_session: bool = False
    keep_stale_attributes: bool = False
    type: IdPType = "oidc"
    metadata_url: str | None = None
    metadata_file: str | None = None
    attribute_mapping: Mapping[str, str] = field(default_factory=dict)
    idp_initiated: bool = False
    email_verified: bool = True

    FIELDS = (
        "name",
        "users",
        "groups_format",
        "identifiers",
        "remember_upstream_session",
        "keep_stale_attributes",
        "type",
    )
    SAML_FIELDS = ("metadata_url", "metadata_file", "attribute_mapping", "idp_initiated", "email_verified")

    @property
    def is_saml(self) -> bool:
        """True for a SAML 2.0 IdP brokered by the pool (``type = "saml"``)."""
        return self.type == "saml"

    @classmethod
    def from_dict(cls, data: Any, where: str = "identity provider") -> IdentityProviderConfig:
        """Parse one identity provider from a dict."""
        data = _require_mapping(data, where)
        name = _str(data, "name", where)
        where = f"identity provider {name!r}"
        if not _IDP_NAME_RE.match(name):
            raise DevIdPConfigError(
                f"{where}: the name must be 1-32 letters, digits, '.', '_' or '-' and must not start with '_'"
            )
        idp_type = data.get("type", "oidc")
        if idp_type not in IDP_TYPES:
            raise DevIdPConfigError(f"{where}: 'type' must be one of {', '.join(IDP_TYPES)}")
        _check_keys(data, cls.FIELDS + (cls.SAML_FIELDS if idp_type == "saml" else ()), where)
        fmt = data.get("groups_format", "bracketed")
        if fmt not in GROUPS_FORMATS:
            raise DevIdPConfigError(f"{where}: 'groups_format' must be one of {', '.join(GROUPS_FORMATS)}")
        raw_users = data.get("users", [])
        if not isinstance(raw_users, list | tuple):
            raise DevIdPConfigError(f"{where}: 'users' must be a list")
        users = tuple(UserConfig.from_dict(u, f"{where}, user #{i + 1}") for i, u in enumerate(raw_users))
        _check_unique_users(users, where)
        groups_format = cast(GroupsFormat, fmt)
        identifiers = tuple(i.lower() for i in _str_list(data, "identifiers", where))
        remember = _bool(data, "remember_upstream_session", where, False)
        if idp_type == "oidc":
            return cls(
                name=name,
                users=users,
                groups_format=groups_format,
                identifiers=identifiers,
                remember_upstream_session=remember,
                keep_stale_attributes=_bool(data, "keep_stale_attributes", where, False),
            )
        if users:
            raise DevIdPConfigError(f"{where}: a SAML IdP has no 'users' (they live at the SAML IdP)")
        metadata_url = _opt_str(data, "metadata_url", where)
        metadata_file = _opt_str(data, "metadata_file", where)
        if bool(metadata_url) == bool(metadata_file):
            raise DevIdPConfigError(f"{where}: give exactly one of 'metadata_url' or 'metadata_file'")
        if metadata_url:
            _check_url(metadata_url, where)
        mapping = _require_mapping(data.get("attribute_mapping", {}), f"{where}: 'attribute_mapping'")
        for key, value in mapping.items():
            if key not in SAML_POOL_ATTRIBUTES:
                raise DevIdPConfigError(
                    f"{where}: 'attribute_mapping' key {key!r} must be one of {', '.join(SAML_POOL_ATTRIBUTES)}"
                )
            if not isinstance(value, str) or not value:
                raise DevIdPConfigError(f"{where}: 'attribute_mapping' values must be SAML attribute names")
        if "email" not in mapping:
            raise DevIdPConfigError(f"{where}: 'attribute_mapping' must map 'email' (the pool requires it)")
        return cls(
            type="saml",
            keep_stale_attributes=_bool(data, "keep_stale_attributes", where, True),
            metadata_url=metadata_url or None,
            metadata_file=metadata_file or None,
            attribute_mapping=dict(mapping),
            idp_initiated=_bool(data, "idp_initiated", where, False),
            email_verified=_bool(data, "email_verified", where, True),
            name=name,
            groups_format=groups_format,
            identifiers=identifiers,
            remember_upstream_session=remember,
        )


def _check_unique_users(users: Iterable[UserConfig], where: str) -> None:
    subs: set[str] = set()
    emails: set[str] = set()
    for user in users:
        if user.sub in subs:
            raise DevIdPConfigError(f"{where}: duplicate user sub {user.sub!r}")
        if user.email.lower() in emails:
            raise DevIdPConfigError(f"{where}: duplicate user email {user.email!r}")
        subs.add(user.sub)
        emails.add(user.email.lower())


@dataclass(frozen=True)
class ClientConfig:
    """A Cognito app client: one per tenant, whose only provider is usually the tenant's IdP.

    ``client_secret`` may be ``None`` for a public client (then no client authentication is
    required at the token endpoint, only ``client_id``).
    """

    client_id: str
    client_secret: str | None
    callback_urls: tuple[str, ...]
    logout_urls: tuple[str, ...] = ()
    identity_providers: tuple[str, ...] = ()
    allowed_scopes: tuple[str, ...] = DEFAULT_ALLOWED_SCOPES

    FIELDS = (
        "client_id",
        "client_secret",
        "callback_urls",
        "logout_urls",
        "identity_providers",
        "allowed_scopes",
    )

    @classmethod
    def from_dict(cls, data: Any, where: str = "client") -> ClientConfig:
        """Parse one app client from a dict."""
        data = _require_mapping(data, where)
        client_id = _str(data, "client_id", where)
        where = f"client {client_id!r}"
        _check_keys(data, cls.FIELDS, where)
        secret = _opt_str(data, "client_secret", where)
        callbacks = _str_list(data, "callback_urls", where)
        logouts = _str_list(data, "logout_urls", where)
        for url in (*callbacks, *logouts):
            _check_url(url, where)
        providers = _str_list(data, "identity_providers", where)
        if not providers:
            raise DevIdPConfigError(f"{where}: 'identity_providers' must name at least one IdP")
        scopes = (
            _str_list(data, "allowed_scopes", where) if "allowed_scopes" in data else DEFAULT_ALLOWED_SCOPES
        )
        if "openid" not in scopes:
            raise DevIdPConfigError(f"{where}: 'allowed_scopes' must include 'openid'")
        return cls(
            client_id=client_id,
            client_secret=secret or None,
            callback_urls=callbacks,
            logout_urls=logouts,
            identity_providers=providers,
            allowed_scopes=scopes,
        )


@dataclass(frozen=True)
class DevIdPConfig:
    """The whole pool: region, pool id, token lifetimes, app clients and identity providers.

    Build it with :meth:`from_dict` or :meth:`load`; both validate cross references (a client
    naming an unknown IdP is an error).
    """

    user_pool_id: str
    clients: tuple[ClientConfig, ...]
    identity_providers: tuple[IdentityProviderConfig, ...]
    region: str = "us-east-1"
    token_ttl: int = 3600
    code_ttl: int = 300
    session_ttl: int = 3600
    refresh_token_ttl: int = 30 * 24 * 3600

    FIELDS = (
        "region",
        "user_pool_id",
        "token_ttl",
        "code_ttl",
        "session_ttl",
        "refresh_token_ttl",
        "clients",
        "identity_providers",
    )

    @classmethod
    def from_dict(cls, data: Any) -> DevIdPConfig:
        """Parse and validate a configuration dict."""
        where = "config"
        data = _require_mapping(data, where)
        _check_keys(data, cls.FIELDS, where)
        pool_id = _str(data, "user_pool_id", where)
        if not _POOL_ID_RE.match(pool_id):
            raise DevIdPConfigError(
                f"{where}: 'user_pool_id' {pool_id!r} must look like '<region>_<letters/digits>'"
            )
        raw_idps = data.get("identity_providers", [])
        raw_clients = data.get("clients", [])
        if not isinstance(raw_idps, list | tuple) or not raw_idps:
            raise DevIdPConfigError(f"{where}: 'identity_providers' must be a non-empty list")
        if not isinstance(raw_clients, list | tuple) or not raw_clients:
            raise DevIdPConfigError(f"{where}: 'clients' must be a non-empty list")
        idps = tuple(
            IdentityProviderConfig.from_dict(d, f"identity provider #{i + 1}") for i, d in enumerate(raw_idps)
        )
        clients = tuple(ClientConfig.from_dict(d, f"client #{i + 1}") for i, d in enumerate(raw_clients))
        idp_names = [idp.name for idp in idps]
        if len(set(idp_names)) != len(idp_names):
            raise DevIdPConfigError(f"{where}: duplicate identity provider names")
        client_ids = [c.client_id for c in clients]
        if len(set(client_ids)) != len(client_ids):
            raise DevIdPConfigError(f"{where}: duplicate client ids")
        for client in clients:
            for name in client.identity_providers:
                if name not in idp_names:
                    raise DevIdPConfigError(
                        f"client {client.client_id!r}: unknown identity provider {name!r}"
                    )
        return cls(
            user_pool_id=pool_id,
            clients=clients,
            identity_providers=idps,
            region=_str(data, "region", where, "us-east-1"),
            token_ttl=_int(data, "token_ttl", where, 3600),
            code_ttl=_int(data, "code_ttl", where, 300),
            session_ttl=_int(data, "session_ttl", where, 3600),
            refresh_token_ttl=_int(data, "refresh_token_ttl", where, 30 * 24 * 3600),
        )

    @classmethod
    def load(cls, path: str | Path) -> DevIdPConfig:
        """Read a ``.json`` or ``.toml`` file (chosen by extension) and parse it."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".json", ".toml"):
            raise DevIdPConfigError(
                f"config file {path}: unsupported extension {suffix!r} (use .json or .toml)"
            )
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DevIdPConfigError(f"cannot read config file {path}: {exc}") from exc
        try:
            data: Any = tomllib.loads(raw.decode("utf-8")) if suffix == ".toml" else json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, TOMLDecodeError
            raise DevIdPConfigError(f"config file {path} is not valid {suffix[1:]}: {exc}") from exc
        config = cls.from_dict(data)
        # A SAML provider's relative metadata_file is relative to the config file, not the cwd.
        providers = tuple(
            replace(p, metadata_file=str(path.parent / p.metadata_file))
            if p.metadata_file and not Path(p.metadata_file).is_absolute()
            else p
            for p in config.identity_providers
        )
        return replace(config, identity_providers=providers)

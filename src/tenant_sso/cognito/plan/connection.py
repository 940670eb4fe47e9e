"""The tenant's row in our database: the connection the login flow uses, and its email domains.

Written last (by :mod:`..apply`): it needs the app client's ID and secret, known only once the
client exists.
"""

from __future__ import annotations

from typing import Any

from .model import Change, CurrentState, Part, PoolRef, SAMLIdP, Step, TenantSpec

#: What our database records of a SAML upstream (``tenant_sso.saml_store.record_upstream``),
#: compared field by field; ``idp_initiated`` is the connection's own field.
_RECORDED_SAML_FIELDS = (
    "metadata_url",
    "metadata_xml",
    "preset",
    "email_attribute",
    "groups_attribute",
    "sign_requests",
    "encrypted_responses",
)


def desired_connection(
    spec: TenantSpec, pool: PoolRef, current: CurrentState, *, provider: str, roles: bool, idp_initiated: bool = False
) -> dict[str, Any]:
    """The connection's fields as onboarding sets them; ``None`` client fields come from a new app client."""
    client = current.client
    stored = current.connection
    return {
        "kind": "cognito",
        "issuer": pool.issuer,
        "client_id": client["ClientId"] if client else None,
        "client_secret": client.get("ClientSecret") if client else None,
        "cognito_domain": current.domain,
        "identity_provider": provider,
        "allowed_groups": list(spec.allowed_groups) if spec.allowed_groups is not None
        else list(stored.allowed_groups if stored else []),
        "groups_claim": "",
        "roles_claim": "custom:roles" if roles else "",
        "idp_initiated": idp_initiated,
    }


def plan_connection(
    spec: TenantSpec, current: CurrentState, desired: dict[str, Any], *, domains: list[str]
) -> Part:
    """Store the connection when a field or an email domain differs from ``desired``."""
    stored = current.connection
    db_changes: list[Change] = []
    new_domains = [d for d in domains if d not in current.org_domains]
    if new_domains:
        db_changes.append(Change("email_domains", sorted(current.org_domains), domains))
    for key, value in desired.items():
        have_value = getattr(stored, key) if stored else None
        if key == "allowed_groups" and have_value is not None:
            have_value = list(have_value)
        if key in ("client_id", "client_secret") and value is None:
            db_changes.append(Change(key, have_value, "(from the new app client)", secret=key == "client_secret"))
        elif stored is None and value in ("", [], False):
            continue  # a new connection: empty fields are not news
        elif have_value != value:
            db_changes.append(Change(key, have_value, value, secret=key == "client_secret"))
    db_changes += saml_record_changes(spec, current)
    notes: tuple[str, ...] = ()
    if not desired["allowed_groups"]:
        notes = ("no allowed groups: nobody can sign in until some are set (--allowed-group)",)
    if not db_changes:
        return Part(notes=notes)
    return Part((Step("store_connection", spec.org_slug, tuple(db_changes)),), notes)


def saml_record_changes(spec: TenantSpec, current: CurrentState) -> list[Change]:
    """The SAML settings to record anew: those given (with their metadata just read) that differ
    from what the database holds. A URL's document is re-read by saml-core's task, not compared."""
    upstream = spec.upstream
    if not isinstance(upstream, SAMLIdP) or upstream.metadata is None:
        return []
    recorded = current.connection.saml if current.connection else None
    changes = []
    for name in _RECORDED_SAML_FIELDS:
        desired = getattr(upstream, name)
        have = getattr(recorded, name) if recorded is not None else None
        if name == "metadata_xml":
            if upstream.metadata_url:
                continue
            desired = " ".join(bytes(desired).decode("utf-8", "replace").split())
            have = " ".join(bytes(have).decode("utf-8", "replace").split()) if have is not None else None
            if desired != have:
                changes.append(Change("SAML metadata document", "(recorded)" if have else None, "(new document)"))
            continue
        if recorded is None and desired in ("", False):
            continue
        if desired != have:
            changes.append(Change(f"SAML {name}", have, desired))
    return changes

"""Amazon Cognito's identifiers: user pool IDs, regions, pool issuer URLs, domains.

The one place that knows their shapes (see docs/admin.md, "Validation"). Pure functions of
strings: no Django, no boto3, no I/O, so the admin forms, the commands, the onboarding plan and
the login flow all parse the same way.

* a user pool ID is ``<region>_<id>``: ``eu-west-1_AbC123xyz``;
* its issuer (the ``iss`` of every token of the pool) is
  ``https://cognito-idp.<region>.amazonaws.com/<poolId>``, with no trailing slash, where the host's
  region is the pool ID's region;
* a user pool domain is ``<prefix>.auth.<region>.amazoncognito.com`` or a custom domain; the
  issuer's ``cognito-idp`` host is never a domain (it serves no login pages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: An AWS region as Cognito names it: ``us-east-1``, ``eu-central-2``, ``us-gov-west-1``.
REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
#: A user pool ID: ``<region>_<id>``.
POOL_ID = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$")
#: A user pool issuer; the host's region and the pool are checked separately (they may disagree).
ISSUER = re.compile(r"^https://cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<pool>[^/?#]+)/?$")
#: A prefix domain (Branding > Domain): ``<prefix>.auth.<region>.amazoncognito.com``.
PREFIX_DOMAIN = re.compile(r"^(?P<prefix>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.auth\.(?P<region>[a-z0-9-]+)\.amazoncognito\.com$")
#: Hosts of the issuer (the token service): never a user pool domain.
_ISSUER_HOST = re.compile(r"^cognito-idp(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com$")


@dataclass(frozen=True)
class PoolIssuer:
    """A pool issuer URL taken apart: the region of its host, and the pool ID in its path."""

    host_region: str
    pool_id: str

    @property
    def pool_region(self) -> str | None:
        """The pool ID's own region; ``None`` when the path is not a pool ID."""
        return region_of(self.pool_id)

    @property
    def consistent(self) -> bool:
        return self.pool_region == self.host_region


def is_pool_id(value: str) -> bool:
    return POOL_ID.match(value) is not None


def region_of(pool_id: str) -> str | None:
    """``us-east-1_AbC`` -> ``us-east-1``; ``None`` when ``pool_id`` is not a pool ID."""
    match = POOL_ID.match(pool_id)
    return match["region"] if match else None


def issuer_url(pool_id: str, region: str | None = None) -> str:
    """The pool's issuer, ``https://cognito-idp.<region>.amazonaws.com/<poolId>``.

    ``region`` defaults to the pool ID's; ``ValueError`` when there is none to take.
    """
    region = region or region_of(pool_id)
    if not region:
        raise ValueError(f"{pool_id!r} is not a Cognito user pool ID")
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def parse_issuer(url: str) -> PoolIssuer | None:
    """The parts of a ``https://cognito-idp...`` URL (trailing slash tolerated); ``None`` otherwise."""
    match = ISSUER.match(url.strip())
    return PoolIssuer(match["region"], match["pool"]) if match else None


def pool_of_issuer(url: str) -> tuple[str, str] | None:
    """``(pool_id, region)`` of a well-formed, consistent pool issuer; ``None`` for any other URL."""
    parsed = parse_issuer(url)
    if parsed is None or not parsed.consistent:
        return None
    return parsed.pool_id, parsed.host_region


def is_issuer_host(host: str) -> bool:
    """``cognito-idp.<region>.amazonaws.com``: the token service, not a user pool domain."""
    return _ISSUER_HOST.match(host.lower().rstrip(".")) is not None


def domain_region(host: str) -> str | None:
    """The region of a prefix domain (``acme.auth.eu-west-1.amazoncognito.com``); ``None`` for a
    custom domain or anything else."""
    match = PREFIX_DOMAIN.match(host.lower().rstrip("."))
    return match["region"] if match else None


def is_amazoncognito_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "amazoncognito.com" or host.endswith(".amazoncognito.com")


def prefix_domain(prefix: str, region: str) -> str:
    """The domain of a pool whose Branding > Domain is the prefix ``prefix``."""
    return f"{prefix}.auth.{region}.amazoncognito.com"

"""The Cognito connection kind's diagnostics steps (:class:`~tenant_sso.kinds.cognito.CognitoKind`).

* user pool: the endpoints a login uses are built from the domain (docs/cognito.md,
  "Endpoints"); the pool's discovery document is fetched anyway, to prove the pool exists and
  that its issuer is the configured one;
* sign-out URL: a ``/logout`` request that Cognito refuses when the URL is not among the app
  client's sign-out URLs.
"""

from __future__ import annotations

from ..cognito.endpoints import cognito_logout_url, cognito_metadata, discovery_url
from ..exceptions import InvalidDocument, ProviderError, SSOError
from ..models import Connection
from ..oidc.http import ProviderHTTP
from ..oidc.metadata import ProviderMetadata, check_endpoints, parse_discovery
from .results import SIGNOUT, CheckResult, explain, failed, is_unreachable, passed, probe, skipped


def check_pool(
    connection: Connection, http: ProviderHTTP
) -> tuple[CheckResult, ProviderMetadata | None, bool]:
    """The user pool: its endpoints (built from the domain) pass the network policy, it exists,
    and its discovery document names the configured issuer.

    The endpoints a Cognito login uses are built from the domain, never from discovery
    (docs/cognito.md, "Endpoints"): discovery only proves that the pool exists and names our issuer.
    (result, metadata for the next checks or None, whether the issuer's host answered).
    """
    name = "User pool"
    metadata = cognito_metadata(connection.issuer, connection.cognito_domain)
    try:
        check_endpoints(metadata, http.policy)
    except ProviderError as error:
        return failed(name, f"{explain(error)}."), None, False
    url = discovery_url(connection.issuer)
    try:
        status, document = http.request_json("GET", url, what="discovery")
    except SSOError as error:
        # A missing pool may answer a non-JSON error page: the seam says which status came with it.
        answered = error.provider_status if isinstance(error, InvalidDocument) else None
        if answered is None or answered == 200:
            return (
                failed(name, f"{explain(error)}. Check the region and pool ID in the issuer."),
                metadata,
                not is_unreachable(error),
            )
        status, document = answered, {}
    if status != 200:
        return (
            failed(
                name,
                f"{url} answered HTTP {status}: there is no user pool at this issuer. "
                "Check the pool ID and its region (Cognito > User pools > Pool ID).",
            ),
            metadata,
            True,
        )
    try:
        parse_discovery(document, connection.issuer, http.policy)
    except ProviderError as error:
        if error.code == "discovery_issuer_mismatch":
            return (
                failed(
                    name,
                    f"The pool's issuer is {str(document.get('issuer'))[:200]!r}, the connection "
                    f"says {connection.issuer!r}: copy the pool's issuer exactly (no trailing slash).",
                ),
                metadata,
                True,
            )
        return failed(name, f"{explain(error)}."), metadata, True
    domain = metadata.token_endpoint.rsplit("/oauth2/", 1)[0]
    return passed(name, f"The pool exists and its issuer matches. Endpoints on {domain}."), metadata, True


def check_logout_registration(
    connection: Connection,
    metadata: ProviderMetadata | None,
    http: ProviderHTTP,
    logout_uri: str,
    *,
    unavailable: str = "",
) -> CheckResult:
    """``logout_uri`` is among the app client's sign-out URLs (its shape already passed)."""
    name = SIGNOUT
    if metadata is None or unavailable:
        return skipped(name, unavailable or "no provider metadata")
    url = cognito_logout_url(metadata, client_id=connection.client_id, logout_uri=logout_uri)
    try:
        status, location, error = probe(http, url, what="logout")
    except SSOError as failure:
        return failed(name, f"{metadata.end_session_endpoint}: {explain(failure)}.")
    if status in (302, 303) and location == logout_uri:
        return passed(name, f"{logout_uri} is a registered sign-out URL.")
    return failed(
        name,
        f"Cognito refused {logout_uri} (HTTP {status}{', ' + error if error else ''}): add it exactly to "
        "App integration > App clients > this client > Login pages > Allowed sign-out URLs.",
    )

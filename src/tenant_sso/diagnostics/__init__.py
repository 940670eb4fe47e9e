"""The "Test connection" button: check a connection end to end without a user, and say what is wrong.

Support staff press one button in the admin and get a list of :class:`CheckResult` rows, each
passed, failed (with a reason a person can act on) or not run (an earlier check it depends on
failed). The checks use the same protocol code as a real login (:mod:`tenant_sso.oidc`,
:mod:`tenant_sso.wiring`), so a passing check means the login path works that far:

1. client secret: stored, and decryptable with the configured keys;
2. metadata: OIDC Discovery 1.0 section 4 for plain OIDC (the ``issuer`` must equal the
   configured one, section 4.3); for Cognito the endpoints are built from the domain
   (docs/cognito.md, "Endpoints") and the pool's discovery document is fetched anyway, to prove
   the pool exists and that its issuer is the configured one;
3. signing keys: the JWKS has at least one signature key (RSA or EC) usable with one of the
   connection's algorithms (its own list, else ``TENANT_SSO_ALLOWED_ALGORITHMS``);
4. token endpoint: a made-up code is posted with the client credentials, exactly as a login
   does. RFC 6749 section 5.2: ``invalid_grant`` means the client authenticated and only the code
   was refused (pass); ``invalid_client`` means the client ID or secret is wrong;
5. redirect URI: its shape (https, or http on a loopback host), then an authorization request
   that is never completed: the provider refuses an unregistered redirect URI with an error
   page (RFC 6749 section 4.1.2.1) instead of redirecting;
6. sign-out URL: its shape, and for Cognito a ``/logout`` request that Cognito refuses when the
   URL is not among the app client's sign-out URLs.

Nothing here logs in, stores tokens or writes the database; secrets never appear in a result.
Every network call is bounded by ``TENANT_SSO_HTTP_TIMEOUT``; checks that would only repeat a
failure against an unreachable host are reported as not run instead of waiting again.

Steps 2 and 6 differ by kind: the connection's kind provides them (:mod:`tenant_sso.kinds`,
``check_metadata`` and ``check_signout``). This package holds the vocabulary
(:mod:`.results`: :class:`CheckResult`, :func:`explain`), the checks every kind runs
(:mod:`.checks`) and the Cognito kind's own (:mod:`.cognito`).
"""

from __future__ import annotations

from .. import wiring
from ..exceptions import ProviderError
from ..kinds import kind_of
from ..models import Connection
from ..oidc.http import ProviderHTTP
from ..oidc.metadata import Cache, ProviderMetadata
from .checks import (
    algorithms_problem,
    check_jwks,
    check_redirect_uri,
    check_secret,
    check_signout_url,
    check_token_endpoint,
    unreachable,
)
from .results import JWKS, REDIRECT, SIGNOUT, TOKEN, CheckResult, explain, failed, skipped

__all__ = [
    "JWKS",
    "REDIRECT",
    "SIGNOUT",
    "TOKEN",
    "CheckResult",
    "algorithms_problem",
    "check_connection",
    "check_jwks",
    "check_metadata",
    "check_redirect_uri",
    "check_secret",
    "check_signout_url",
    "check_token_endpoint",
    "explain",
    "unreachable",
]


def check_metadata(
    connection: Connection, http: ProviderHTTP, cache: Cache
) -> tuple[CheckResult, ProviderMetadata | None, bool]:
    """(result, metadata to use for the next checks or None, whether the issuer host answered).

    The issuer must pass the network policy; then the connection's kind reads its metadata."""
    kind = kind_of(connection)
    try:
        http.policy.check_url(connection.issuer)
    except ProviderError as error:
        return failed(kind.metadata_check_name, f"{explain(error)}."), None, False
    return kind.check_metadata(connection, http, cache)


# -- everything, in order ------------------------------------------------------------------------
def check_connection(
    connection: Connection,
    *,
    redirect_uri: str,
    logout_uri: str,
    http: ProviderHTTP | None = None,
    cache: Cache | None = None,
) -> list[CheckResult]:
    """Run every check against the provider, in login order; never raises for a provider's fault."""
    http = http or wiring.http()
    cache = cache or wiring.cache()
    secret = check_secret(connection)
    pool, metadata, issuer_answered = check_metadata(connection, http, cache)
    results = [secret, pool]
    if metadata is None:
        why = "the provider's metadata could not be read"
        results.append(skipped(JWKS, why))
        results.append(skipped(TOKEN, why))
        results.append(check_redirect_uri(connection, None, http, redirect_uri, unavailable=why))
        results.append(check_signout_url(connection, None, http, logout_uri, unavailable=why))
        return results
    if issuer_answered:
        results.append(check_jwks(metadata, http, connection.effective_algorithms))
    else:
        results.append(skipped(JWKS, "the issuer's host did not answer"))
    domain_answered = True
    if secret.ok:
        token, domain_answered = check_token_endpoint(connection, metadata, http, redirect_uri)
    else:
        token = skipped(TOKEN, "no usable client secret")
    results.append(token)
    # Authorize and logout live on the token endpoint's host: do not wait for it twice more.
    why = "" if domain_answered else "the token endpoint's host did not answer"
    results.append(check_redirect_uri(connection, metadata, http, redirect_uri, unavailable=why))
    results.append(check_signout_url(connection, metadata, http, logout_uri, unavailable=why))
    return results

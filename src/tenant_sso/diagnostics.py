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
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import wiring
from .conf import app_settings
from .exceptions import (
    BadStatus,
    ConfigurationError,
    InvalidDocument,
    ProviderError,
    ProviderRefused,
    ProviderTimeout,
    ProviderUnreachable,
    ResponseTooLarge,
    SSOError,
    TransportError,
)
from .models import Connection
from .oidc import pkce
from .oidc.client import (
    ClientCredentials,
    authorization_url,
    cognito_logout_url,
    exchange_code,
    form_encoding_changes,
)
from .oidc.http import ProviderHTTP
from .oidc.keys import signing_keys  # the very parser a login uses: same keys accepted
from .oidc.metadata import (
    Cache,
    ProviderMetadata,
    check_endpoints,
    cognito_metadata,
    discover,
    is_secure_url,
    parse_discovery,
)
from .validation import plural

#: Bytes of an error page read to find an OAuth error code in it (Cognito's pages name it).
ERROR_PAGE_BYTES = 8192
JWKS = "Signing keys (JWKS)"
TOKEN = "Token endpoint (client ID and secret)"
REDIRECT = "Authorization request (redirect URI)"
SIGNOUT = "Sign-out URL"
#: OAuth errors looked for in an error page, most specific first.
KNOWN_ERRORS = ("redirect_mismatch", "invalid_client", "unauthorized_client", "invalid_request", "invalid_scope")


@dataclass(frozen=True)
class CheckResult:
    """One line of the diagnostics: ``ok`` passed; ``skipped`` not run (an earlier check failed)."""

    name: str
    ok: bool
    detail: str
    skipped: bool = False

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else ("passed" if self.ok else "failed")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(str(data["name"]), bool(data["ok"]), str(data["detail"]), bool(data.get("skipped")))


def _passed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, True, detail)


def _failed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, False, detail)


def _skipped(name: str, detail: str) -> CheckResult:
    return CheckResult(name, False, f"Not run: {detail}", skipped=True)


def explain(error: SSOError) -> str:
    """A sentence for an error of the HTTP seam, followed by its stable code and detail."""
    code = error.code
    if isinstance(error, ProviderTimeout):
        text = f"No answer within {app_settings.HTTP_TIMEOUT:g} s"
    elif isinstance(error, ProviderUnreachable):
        text = "Could not connect (wrong host name, port or region, or a firewall)"
    elif isinstance(error, ResponseTooLarge):
        text = "The answer is too large to be a discovery document or key set"
    elif isinstance(error, InvalidDocument):
        text = "The answer is not the expected JSON document"
    elif isinstance(error, BadStatus):
        text = "The provider answered with an HTTP error"
    elif code == "internal_address":
        text = "Refused: the provider's host is, or resolves to, a loopback or internal network address"
    elif code in ("insecure_endpoint", "insecure_issuer"):
        text = "Refused: identity providers must be https (plain http only for loopback in development)"
    elif code == "endpoint_invalid":
        text = "Refused: not a valid URL or host name"
    elif code == "discovery_issuer_mismatch":
        text = "The provider names a different issuer than the one configured"
    else:
        text = error.message
    return f"{text} ({code}: {error.detail})" if error.detail else f"{text} ({code})"


def _unreachable(error: SSOError) -> bool:
    return isinstance(error, TransportError)


# -- the individual checks ---------------------------------------------------------------------
def check_secret(connection: Connection) -> CheckResult:
    name = "Client secret"
    if not connection.has_client_secret:
        return _failed(
            name,
            "No client secret is stored. Copy it from the Cognito console (App integration > "
            "App clients > this client > Client secret) or the IdP's app registration.",
        )
    try:
        connection.get_client_secret()
    except ConfigurationError:
        return _failed(
            name,
            "The stored secret cannot be decrypted with TENANT_SSO_ENCRYPTION_KEYS (a key was "
            "removed or changed?). Enter the client secret again.",
        )
    return _passed(name, "Set (stored encrypted).")


def check_metadata(
    connection: Connection, http: ProviderHTTP, cache: Cache
) -> tuple[CheckResult, ProviderMetadata | None, bool]:
    """(result, metadata to use for the next checks or None, whether the issuer host answered)."""
    try:
        http.policy.check_url(connection.issuer)
        if connection.is_cognito:
            check_endpoints(cognito_metadata(connection.issuer, connection.cognito_domain), http.policy)
    except ProviderError as error:
        name = "User pool" if connection.is_cognito else "Discovery"
        return _failed(name, f"{explain(error)}."), None, False
    if connection.is_cognito:
        return _check_cognito_pool(connection, http)
    name = "Discovery"
    try:
        metadata = discover(
            http,
            cache,
            connection.issuer,
            ttl=app_settings.METADATA_CACHE_TTL,
            refresh=True,
            accept_added_slash=True,
        )
    except SSOError as error:
        return _failed(name, f"{explain(error)}."), None, not _unreachable(error)
    problem = algorithms_problem(connection, metadata)
    if problem:
        return _failed(name, problem), metadata, True
    issuer = "Issuer matches."
    if metadata.issuer != connection.issuer and connection.pk and connection.identities.filter(
        issuer=connection.issuer
    ).exists():
        return (
            _failed(name, f"The provider now publishes its issuer as {metadata.issuer!r}, but users signed "
                    f"in under {connection.issuer!r}: if the provider really changed it, update the issuer "
                    "(existing users will get new accounts, identities are keyed by issuer)."),
            None,
            True,
        )
    if metadata.issuer != connection.issuer:
        issuer = (
            f"The provider publishes its issuer as {metadata.issuer!r} (with a trailing slash); the next "
            "login stores it that way."
        )
    symmetric = [alg for alg in metadata.id_token_signing_alg_values_supported if alg.upper().startswith("HS")]
    if symmetric:
        issuer += (
            f" The provider also offers {', '.join(symmetric)}: make sure this application signs with "
            f"{' or '.join(connection.effective_algorithms)} there (an HS* ID token is refused as alg_not_allowed)."
        )
    return (
        _passed(name, f"{issuer} Authorization endpoint {metadata.authorization_endpoint}, "
                f"token endpoint {metadata.token_endpoint}."),
        metadata,
        True,
    )


def algorithms_problem(connection: Connection, metadata: ProviderMetadata) -> str:
    """Why the provider's ``id_token_signing_alg_values_supported`` does not meet the connection's
    allow-list ("" when one of them is accepted)."""
    allowed = connection.effective_algorithms
    published = metadata.id_token_signing_alg_values_supported
    if set(allowed) & set(published):
        return ""
    where = (
        "this connection's signing algorithms"
        if connection.signing_algorithms
        else "TENANT_SSO_ALLOWED_ALGORITHMS (the connection sets none)"
    )
    text = (
        f"The provider signs ID tokens with {', '.join(published)}; {where} accept only "
        f"{', '.join(allowed)}. Set the connection's signing algorithms to one the provider uses."
    )
    if published and all(alg.upper().startswith("HS") for alg in published):
        text += (
            " HS* (a signature made with the client secret) is never accepted: switch the provider's "
            "application to RS256 or ES256 (e.g. the signing algorithm of the app registration)."
        )
    return text


def _check_cognito_pool(
    connection: Connection, http: ProviderHTTP
) -> tuple[CheckResult, ProviderMetadata | None, bool]:
    # The endpoints a Cognito login uses are built from the domain, never from discovery
    # (docs/cognito.md, "Endpoints"): discovery only proves that the pool exists and names our issuer.
    name = "User pool"
    metadata = cognito_metadata(connection.issuer, connection.cognito_domain)
    url = connection.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        status, document = http.request_json("GET", url, what="discovery")
    except SSOError as error:
        # A missing pool may answer a non-JSON error page: the seam says which status came with it.
        answered = error.provider_status if isinstance(error, InvalidDocument) else None
        if answered is None or answered == 200:
            return (
                _failed(name, f"{explain(error)}. Check the region and pool ID in the issuer."),
                metadata,
                not _unreachable(error),
            )
        status, document = answered, {}
    if status != 200:
        return (
            _failed(name, f"{url} answered HTTP {status}: there is no user pool at this issuer. "
                    "Check the pool ID and its region (Cognito > User pools > Pool ID)."),
            metadata,
            True,
        )
    try:
        parse_discovery(document, connection.issuer, http.policy)
    except ProviderError as error:
        if error.code == "discovery_issuer_mismatch":
            return (
                _failed(name, f"The pool's issuer is {str(document.get('issuer'))[:200]!r}, the connection "
                        f"says {connection.issuer!r}: copy the pool's issuer exactly (no trailing slash)."),
                metadata,
                True,
            )
        return _failed(name, f"{explain(error)}."), metadata, True
    domain = metadata.token_endpoint.rsplit("/oauth2/", 1)[0]
    return _passed(name, f"The pool exists and its issuer matches. Endpoints on {domain}."), metadata, True


#: The JWK key type each algorithm family verifies with.
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}


def check_jwks(metadata: ProviderMetadata, http: ProviderHTTP, algorithms: list[str] | None = None) -> CheckResult:
    name = JWKS
    try:
        document = http.get_json(metadata.jwks_uri, what="jwks")
    except SSOError as error:
        return _failed(name, f"{explain(error)}.")
    if not isinstance(document.get("keys"), list) or not document["keys"]:
        return _failed(name, f"{metadata.jwks_uri} holds no keys: no ID token could be verified.")
    allowed = set(algorithms if algorithms is not None else app_settings.ALLOWED_ALGORITHMS)
    key_types = {_KEY_TYPES[a[:2]] for a in allowed if a[:2] in _KEY_TYPES}
    usable = []
    found_types: set[str] = set()
    for kid, key in signing_keys(json.dumps(document, sort_keys=True)):
        alg = key.get("alg")
        if key.key_type in key_types and (alg is None or alg in allowed):
            usable.append(kid or "(no kid)")
            found_types.add(str(key.key_type))
    if not usable:
        kinds = ", ".join(sorted({str(k.get("kty")) for k in document["keys"] if isinstance(k, dict)}))
        wanted = "/".join(sorted(key_types)) or "RSA"
        return _failed(
            name,
            f"No {wanted} signature key usable with {', '.join(sorted(allowed))} (keys found: {kinds or 'none'}).",
        )
    return _passed(
        name, f"{plural(len(usable), '/'.join(sorted(found_types)) + ' signing key')}: {', '.join(usable[:5])}."
    )


def check_token_endpoint(
    connection: Connection, metadata: ProviderMetadata, http: ProviderHTTP, redirect_uri: str
) -> tuple[CheckResult, bool]:
    """(result, whether the token endpoint's host answered at all)."""
    name = TOKEN
    credentials = wiring.credentials_for(connection, metadata)
    try:
        exchange_code(
            http,
            metadata,
            credentials,
            code=f"tenant-sso-diagnostic-{pkce.random_token(16)}",
            redirect_uri=redirect_uri,
            code_verifier=pkce.make_verifier(),
        )
    except ProviderRefused as error:
        answer = error.provider_error
        if answer == "invalid_grant":
            return _passed(
                name,
                f"The client authenticated ({credentials.auth_method}): the provider refused only the "
                f"made-up code, with invalid_grant, as expected.{_auth_note(connection, credentials)}",
            ), True
        if answer == "invalid_client":
            return _failed(
                name,
                "The provider refused the client credentials (invalid_client): the client secret or "
                "client ID is wrong. Copy both again from App integration > App clients."
                f"{_auth_note(connection, credentials)}",
            ), True
        if answer == "unauthorized_client":
            return _failed(
                name,
                "The client authenticated but may not use the authorization code grant "
                "(unauthorized_client): enable 'Authorization code grant' on the app client.",
            ), True
        return _failed(name, f"Unexpected answer from {metadata.token_endpoint}: {error.detail}."), True
    except ProviderError as error:
        return _failed(name, f"{metadata.token_endpoint}: {explain(error)}."), not _unreachable(error)
    except SSOError as error:
        return _failed(name, f"{explain(error)}."), True
    return _failed(name, "The token endpoint accepted a made-up code: do not trust this provider."), True


def _auth_note(connection: Connection, credentials: ClientCredentials) -> str:
    """What a person must know about a secret that changes when form-encoded (``+ / = :``...)."""
    if not (form_encoding_changes(credentials.client_secret) or form_encoding_changes(credentials.client_id)):
        return ""
    if credentials.auth_method == "client_secret_post":
        if connection.token_auth_method == Connection.AuthMethod.AUTO:
            return (
                " The client ID or secret contains characters that change when form-encoded (such as "
                "+ / = :), so the automatic mode sends it with client_secret_post, which the provider "
                "lists."
            )
        return ""
    return (
        " The client ID or secret contains characters that change when form-encoded (such as + / = :) "
        "and is sent with client_secret_basic: a provider that does not form-decode Basic credentials "
        "(RFC 6749 2.3.1) refuses it. Choose client_secret_post if the provider supports it, or a secret "
        "of letters and digits."
    )


def _error_in(location: str, body: bytes) -> str:
    """The OAuth error named by a refusal: in the redirect's query, else in the page's text."""
    if location:
        values = parse_qs(urlsplit(location).query).get("error")
        return values[0][:64] if values else ""
    text = body[:ERROR_PAGE_BYTES].decode("utf-8", "replace")
    for known in KNOWN_ERRORS:
        if known in text:
            return known
    return ""


def _probe(http: ProviderHTTP, url: str, what: str) -> tuple[int, str, str]:
    """GET ``url`` without following redirects: (status, Location, OAuth error named).

    Through the HTTP seam like every other call: the same network policy (no plaintext, no
    internal address: refused before any connection, so open and closed ports look the same),
    the same bounded time and size, failures as :class:`ProviderError`.
    """
    status, location, body = http.probe(url, what=what, max_bytes=ERROR_PAGE_BYTES)
    return status, location, _error_in(location, body)


def unreachable(url: str, http: ProviderHTTP | None = None) -> str:
    """Why the browser could not load ``url`` (an authorization endpoint): "" when its host
    answers at all (any HTTP status), else a sentence with the transport error.

    Only the endpoint is asked (no query: no attempt is started at the provider), without
    following redirects, within ``TENANT_SSO_HTTP_TIMEOUT``."""
    http = http or wiring.http()
    parts = urlsplit(url)
    endpoint = f"{parts.scheme}://{parts.netloc}{parts.path}"
    try:
        # Through the seam like every outbound call: the network policy (no plaintext, no internal
        # address, refused before connecting) and the bounded time apply here too.
        http.probe(endpoint, what="authorize", max_bytes=ERROR_PAGE_BYTES)
    except ProviderError as error:
        if isinstance(error, ProviderTimeout):
            return f"{parts.netloc} did not answer within {app_settings.HTTP_TIMEOUT:g} s ({error.code})"
        if isinstance(error, ProviderUnreachable):
            return (
                f"Could not connect to {parts.netloc}: wrong domain, region or port, or a firewall "
                f"({error.code}: {error.reason})"
            )
        return f"{parts.netloc} may not be called: {explain(error)} ({error.code})"
    return ""


def check_redirect_uri(
    connection: Connection,
    metadata: ProviderMetadata | None,
    http: ProviderHTTP,
    redirect_uri: str,
    *,
    unavailable: str = "",
) -> CheckResult:
    """Shape first (reported even when the provider cannot be asked), then registration."""
    name = REDIRECT
    if not is_secure_url(redirect_uri):
        return _failed(
            name,
            f"{redirect_uri} is not https: identity providers refuse it. Behind a proxy, set "
            "TENANT_SSO_BASE_URL (or SECURE_PROXY_SSL_HEADER).",
        )
    if metadata is None or unavailable:
        return _skipped(name, unavailable or "no provider metadata")
    extra: dict[str, str] = {}
    if connection.is_cognito and connection.identity_provider:
        extra["identity_provider"] = connection.identity_provider
    url = authorization_url(
        metadata,
        client_id=connection.client_id,
        redirect_uri=redirect_uri,
        state=pkce.random_token(),
        nonce=pkce.random_token(),
        code_challenge=pkce.s256_challenge(pkce.make_verifier()),
        extra=extra,
    )
    register = (
        "App integration > App clients > this client > Login pages > Allowed callback URLs"
        if connection.is_cognito
        else "the app registration's redirect URIs"
    )
    try:
        status, location, error = _probe(http, url, "authorization")
    except SSOError as failure:
        return _failed(name, f"{metadata.authorization_endpoint}: {explain(failure)}.")
    if error == "redirect_mismatch" or (status >= 400 and not error):
        answer = f"HTTP {status}, {error}" if error else f"HTTP {status}"
        return _failed(name, f"The provider refused {redirect_uri} ({answer}): add it exactly to {register}.")
    if error:
        where = "sent back to the callback" if location.startswith(redirect_uri) else f"HTTP {status}"
        described = parse_qs(urlsplit(location).query).get("error_description", [""])[0][:200]
        if described:
            where += f": {described}"
        return _failed(
            name,
            f"The authorization request was refused with {error} ({where}). Check the client ID, "
            "the allowed scopes (openid) and the identity provider name.",
        )
    if status in (301, 302, 303, 307, 308) or status == 200:
        return _passed(name, f"{redirect_uri} is accepted by the authorization endpoint (HTTP {status}).")
    return _failed(name, f"Unexpected HTTP {status} from {metadata.authorization_endpoint}.")


def check_signout_url(
    connection: Connection,
    metadata: ProviderMetadata | None,
    http: ProviderHTTP,
    logout_uri: str,
    *,
    unavailable: str = "",
) -> CheckResult:
    """Shape first; for Cognito, registration (plain OIDC providers are asked only at a real logout)."""
    name = SIGNOUT
    if not is_secure_url(logout_uri):
        return _failed(name, f"{logout_uri} is not https (http is only allowed on 127.0.0.1/localhost).")
    if connection.is_cognito and (metadata is None or unavailable):
        return _skipped(name, unavailable or "no provider metadata")
    if not connection.is_cognito or metadata is None:
        return _passed(name, f"{logout_uri} has a valid shape (registration is checked only at a real logout).")
    url = cognito_logout_url(metadata, client_id=connection.client_id, logout_uri=logout_uri)
    try:
        status, location, error = _probe(http, url, "logout")
    except SSOError as failure:
        return _failed(name, f"{metadata.end_session_endpoint}: {explain(failure)}.")
    if status in (302, 303) and location == logout_uri:
        return _passed(name, f"{logout_uri} is a registered sign-out URL.")
    return _failed(
        name,
        f"Cognito refused {logout_uri} (HTTP {status}{', ' + error if error else ''}): add it exactly to "
        "App integration > App clients > this client > Login pages > Allowed sign-out URLs.",
    )


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
        results.append(_skipped(JWKS, why))
        results.append(_skipped(TOKEN, why))
        results.append(check_redirect_uri(connection, None, http, redirect_uri, unavailable=why))
        results.append(check_signout_url(connection, None, http, logout_uri, unavailable=why))
        return results
    if issuer_answered:
        results.append(check_jwks(metadata, http, connection.effective_algorithms))
    else:
        results.append(_skipped(JWKS, "the issuer's host did not answer"))
    domain_answered = True
    if secret.ok:
        token, domain_answered = check_token_endpoint(connection, metadata, http, redirect_uri)
    else:
        token = _skipped(TOKEN, "no usable client secret")
    results.append(token)
    # Authorize and logout live on the token endpoint's host: do not wait for it twice more.
    why = "" if domain_answered else "the token endpoint's host did not answer"
    results.append(check_redirect_uri(connection, metadata, http, redirect_uri, unavailable=why))
    results.append(check_signout_url(connection, metadata, http, logout_uri, unavailable=why))
    return results

"""The checks every kind of connection runs (the kind-specific ones: :mod:`.cognito`).

Each returns a :class:`~.results.CheckResult`; see the package docstring for the order.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from .. import wiring
from ..conf import app_settings
from ..exceptions import (
    ConfigurationError,
    ProviderError,
    ProviderRefused,
    ProviderTimeout,
    ProviderUnreachable,
    SSOError,
)
from ..kinds import kind_of
from ..models import Connection
from ..oidc import pkce
from ..oidc.client import ClientCredentials, authorization_url, exchange_code, form_encoding_changes
from ..oidc.http import ProviderHTTP
from ..oidc.keys import signing_keys  # the very parser a login uses: same keys accepted
from ..oidc.metadata import Cache, ProviderMetadata, discover, is_secure_url
from ..validation import plural
from .results import (
    ERROR_PAGE_BYTES,
    JWKS,
    REDIRECT,
    SIGNOUT,
    TOKEN,
    CheckResult,
    explain,
    failed,
    is_unreachable,
    passed,
    probe,
    skipped,
)


def check_secret(connection: Connection) -> CheckResult:
    name = "Client secret"
    if not connection.has_client_secret:
        return failed(
            name,
            "No client secret is stored. Copy it from the Cognito console (App integration > "
            "App clients > this client > Client secret) or the IdP's app registration.",
        )
    try:
        connection.get_client_secret()
    except ConfigurationError:
        return failed(
            name,
            "The stored secret cannot be decrypted with TENANT_SSO_ENCRYPTION_KEYS (a key was "
            "removed or changed?). Enter the client secret again.",
        )
    return passed(name, "Set (stored encrypted).")


def check_discovery(
    connection: Connection, http: ProviderHTTP, cache: Cache
) -> tuple[CheckResult, ProviderMetadata | None, bool]:
    """OIDC Discovery 1.0 section 4: the document, its issuer (4.3) and signing algorithms.

    (result, metadata to use for the next checks or None, whether the issuer host answered)."""
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
        return failed(name, f"{explain(error)}."), None, not is_unreachable(error)
    problem = algorithms_problem(connection, metadata)
    if problem:
        return failed(name, problem), metadata, True
    issuer = "Issuer matches."
    if (
        metadata.issuer != connection.issuer
        and connection.pk
        and connection.identities.filter(issuer=connection.issuer).exists()
    ):
        return (
            failed(
                name,
                f"The provider now publishes its issuer as {metadata.issuer!r}, but users signed "
                f"in under {connection.issuer!r}: if the provider really changed it, update the issuer "
                "(existing users will get new accounts, identities are keyed by issuer).",
            ),
            None,
            True,
        )
    if metadata.issuer != connection.issuer:
        issuer = (
            f"The provider publishes its issuer as {metadata.issuer!r} (with a trailing slash); the next "
            "login stores it that way."
        )
    symmetric = [
        alg for alg in metadata.id_token_signing_alg_values_supported if alg.upper().startswith("HS")
    ]
    if symmetric:
        issuer += (
            f" The provider also offers {', '.join(symmetric)}: make sure this application signs with "
            f"{' or '.join(connection.effective_algorithms)} there (an HS* ID token is refused as alg_not_allowed)."
        )
    return (
        passed(
            name,
            f"{issuer} Authorization endpoint {metadata.authorization_endpoint}, "
            f"token endpoint {metadata.token_endpoint}.",
        ),
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


#: The JWK key type each algorithm family verifies with.
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}


def check_jwks(
    metadata: ProviderMetadata, http: ProviderHTTP, algorithms: list[str] | None = None
) -> CheckResult:
    name = JWKS
    try:
        document = http.get_json(metadata.jwks_uri, what="jwks")
    except SSOError as error:
        return failed(name, f"{explain(error)}.")
    if not isinstance(document.get("keys"), list) or not document["keys"]:
        return failed(name, f"{metadata.jwks_uri} holds no keys: no ID token could be verified.")
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
        return failed(
            name,
            f"No {wanted} signature key usable with {', '.join(sorted(allowed))} (keys found: {kinds or 'none'}).",
        )
    return passed(
        name,
        f"{plural(len(usable), '/'.join(sorted(found_types)) + ' signing key')}: {', '.join(usable[:5])}.",
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
            return passed(
                name,
                f"The client authenticated ({credentials.auth_method}): the provider refused only the "
                f"made-up code, with invalid_grant, as expected.{_auth_note(connection, credentials)}",
            ), True
        if answer == "invalid_client":
            return failed(
                name,
                "The provider refused the client credentials (invalid_client): the client secret or "
                "client ID is wrong. Copy both again from App integration > App clients."
                f"{_auth_note(connection, credentials)}",
            ), True
        if answer == "unauthorized_client":
            return failed(
                name,
                "The client authenticated but may not use the authorization code grant "
                "(unauthorized_client): enable 'Authorization code grant' on the app client.",
            ), True
        return failed(name, f"Unexpected answer from {metadata.token_endpoint}: {error.detail}."), True
    except ProviderError as error:
        return failed(name, f"{metadata.token_endpoint}: {explain(error)}."), not is_unreachable(error)
    except SSOError as error:
        return failed(name, f"{explain(error)}."), True
    return failed(name, "The token endpoint accepted a made-up code: do not trust this provider."), True


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
        return failed(
            name,
            f"{redirect_uri} is not https: identity providers refuse it. Behind a proxy, set "
            "TENANT_SSO_BASE_URL (or SECURE_PROXY_SSL_HEADER).",
        )
    if metadata is None or unavailable:
        return skipped(name, unavailable or "no provider metadata")
    kind = kind_of(connection)
    url = authorization_url(
        metadata,
        client_id=connection.client_id,
        redirect_uri=redirect_uri,
        state=pkce.random_token(),
        nonce=pkce.random_token(),
        code_challenge=pkce.s256_challenge(pkce.make_verifier()),
        extra=kind.authorization_params(connection),
    )
    register = kind.redirect_registration
    try:
        status, location, error = probe(http, url, what="authorization")
    except SSOError as failure:
        return failed(name, f"{metadata.authorization_endpoint}: {explain(failure)}.")
    if error == "redirect_mismatch" or (status >= 400 and not error):
        answer = f"HTTP {status}, {error}" if error else f"HTTP {status}"
        return failed(name, f"The provider refused {redirect_uri} ({answer}): add it exactly to {register}.")
    if error:
        where = "sent back to the callback" if location.startswith(redirect_uri) else f"HTTP {status}"
        described = parse_qs(urlsplit(location).query).get("error_description", [""])[0][:200]
        if described:
            where += f": {described}"
        return failed(
            name,
            f"The authorization request was refused with {error} ({where}). Check the client ID, "
            "the allowed scopes (openid) and the identity provider name.",
        )
    if status in (301, 302, 303, 307, 308) or status == 200:
        return passed(name, f"{redirect_uri} is accepted by the authorization endpoint (HTTP {status}).")
    return failed(name, f"Unexpected HTTP {status} from {metadata.authorization_endpoint}.")


def check_signout_url(
    connection: Connection,
    metadata: ProviderMetadata | None,
    http: ProviderHTTP,
    logout_uri: str,
    *,
    unavailable: str = "",
) -> CheckResult:
    """Shape first, then what the connection's kind checks (Cognito: registration)."""
    name = SIGNOUT
    if not is_secure_url(logout_uri):
        return failed(name, f"{logout_uri} is not https (http is only allowed on 127.0.0.1/localhost).")
    return kind_of(connection).check_signout(connection, metadata, http, logout_uri, unavailable=unavailable)

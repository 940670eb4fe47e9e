"""Instructions per ID token validation, counted by valgrind's callgrind: repeatable on a loaded
machine, where wall-clock figures are not (docs/performance.md, "Token validation").

    .venv/bin/python benchmarks/instructions.py            # every piece, 300 calls each
    .venv/bin/python benchmarks/instructions.py ours raw   # some of them

Each piece runs N times inside ``collections.deque(map(...))`` and callgrind counts only inside
``deque_init`` (``--toggle-collect``), so imports and setup are not counted. Pieces: ``ours``
(``validate_id_token`` with a warm resolver, the benchmark's token), ``raw`` (the baseline of
``make bench``: ``cryptography``'s RSA check of the same token), ``verify`` (the RSA check alone,
inputs decoded), and the parts of a validation: ``parse``, ``json``, ``claims``, ``resolve``.
"""

from __future__ import annotations

import base64
import collections
import itertools
import json
import operator
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOW = 1_764_550_000
PIECES = ("ours", "raw", "verify", "parse", "json", "claims", "resolve")


def pieces() -> dict[str, Callable[[], Any]]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from joserfc import jws
    from joserfc.jwk import RSAKey

    from tenant_sso.oidc import tokens
    from tenant_sso.oidc.http import ProviderHTTP, make_client
    from tenant_sso.oidc.keys import JWKSResolver

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = RSAKey.import_key(private, parameters={"kid": "bench-1", "use": "sig", "alg": "RS256"})
    issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench0001"
    claims = {
        "iss": issuer, "aud": "acme-client", "sub": "5f1e3a2b-0000-4000-8000-000000000001", "token_use": "id",
        "iat": NOW, "exp": NOW + 3600, "auth_time": NOW, "nonce": "n-0S6_WzA2Mj", "email": "alice@acme.test",
        "email_verified": True, "custom:groups": "[engineering, sso-admins]", "cognito:username": "AcmeOkta_alice",
        "identities": [{"providerName": "AcmeOkta", "providerType": "OIDC", "userId": "00u-alice"}],
    }
    token = jws.serialize_compact({"alg": "RS256", "kid": "bench-1"}, json.dumps(claims).encode(), key)
    jwks_uri = f"{issuer}/.well-known/jwks.json"
    store = {f"tenant_sso:jwks:{jwks_uri}": json.dumps({"keys": [key.as_dict(private=False)]}, sort_keys=True)}

    class DictCache:
        def get(self, k: str, default: Any = None) -> Any:
            return store.get(k, default)

        def set(self, k: str, v: Any, timeout: Any = None) -> None:
            store[k] = v

        def add(self, k: str, v: Any, timeout: Any = None) -> bool:
            return store.setdefault(k, v) is v

        def delete(self, k: str) -> None:
            store.pop(k, None)

    resolver = JWKSResolver(ProviderHTTP(make_client(5)), DictCache(), ttl=3600, refetch_interval=60)
    expect = tokens.Expectations(issuer=issuer, client_id="acme-client", nonce="n-0S6_WzA2Mj", token_use="id")
    public = private.public_key()
    parts = tokens._parse(token, algorithms=expect.algorithms, max_length=expect.max_length)
    decoded = tokens._json_object(parts.payload, "payload")

    def raw() -> None:
        signing_input, _, signature = token.rpartition(".")
        public.verify(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
                      signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())

    return {
        "ours": lambda: tokens.validate_id_token(token, lambda h: resolver.resolve(jwks_uri, h), expect, now=NOW + 1),
        "raw": raw,
        "verify": lambda: public.verify(parts.signature, parts.signing_input, padding.PKCS1v15(), hashes.SHA256()),
        "parse": lambda: tokens._parse(token, algorithms=expect.algorithms, max_length=expect.max_length),
        "json": lambda: tokens._json_object(parts.payload, "payload"),
        "claims": lambda: tokens.check_claims(decoded, expect, NOW + 1),
        "resolve": lambda: resolver.resolve(jwks_uri, parts.header),
    }


def count(piece: str, calls: int) -> int:
    """Instructions per call of ``piece``, as callgrind counts them."""
    with subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--toggle-collect=deque_init", "--callgrind-out-file=/dev/null",
         sys.executable, __file__, "--run", piece, str(calls)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([os.environ.get("TENANT_SSO_SRC", str(ROOT / "src")), str(ROOT)])},
    ) as process:
        _, err = process.communicate(timeout=1800)
    found = re.search(r"Collected : (\d+)", err)
    if process.returncode or not found:
        raise RuntimeError(f"{piece}: callgrind failed\n{err[-2000:]}")
    return int(found.group(1)) // calls


def main() -> int:
    if sys.argv[1:2] == ["--run"]:
        function = pieces()[sys.argv[2]]
        collections.deque(map(operator.call, itertools.repeat(function, int(sys.argv[3]))), maxlen=0)
        return 0
    chosen = sys.argv[1:] or list(PIECES)
    calls = int(os.environ.get("CALLS", "300"))
    counts = {piece: count(piece, calls) for piece in chosen}
    for piece, instructions in counts.items():
        print(f"{piece:<8} {instructions:>9,} instructions per call")
    if "ours" in counts and "raw" in counts:
        print(f"raw / ours: {counts['raw'] / counts['ours']:.3f} (the validation rate as a share of the raw check's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``make bench``: tenant_sso measured against baselines run in the same process, same machine, same run.

Prints these ratios, each against a baseline measured alongside it (rounds interleaved A, B, A, B
so that a noisy neighbour hurts both sides alike), with bounded counts and time (a few minutes):

1. full SSO logins per second through gunicorn (2 workers), PostgreSQL and the local identity
   provider, against mozilla-django-oidc and django-allauth's OpenID Connect provider doing the
   same flow against the same provider (installed for the benchmark only, into
   ``benchmarks/.peer-site``), with the provider on this machine and 20 ms away;
2. ID token validations per second (``validate_id_token``, warm key resolver) against a raw
   ``cryptography`` RSA signature check of the same token;
3. an authenticated ``GET /api/me/`` with an SSO session against a plain view with a plain
   Django session (``force_login``), through Django's WSGI handler in-process;
4. login start (home-realm discovery by email + a new session) with 100,000 organizations
   against 1 organization, in-process.

And what two of issue 17's changes bought, each against the code it replaced, same run: a login
start with home-realm discovery's cache (``realm_cache``) against the database lookup, and ID
token validation with pybase64 against the standard library's base64 decoder.

And, without a baseline: logins/s at 1, 4 and 16 browsers, the workers' memory over 10,000
logins, the callback time with the provider far against near, and the Cognito bulk onboarding
rate against its client-side limit (``benchmarks/cognito_bulk.py``).

Usage: ``.venv/bin/python benchmarks/run.py [--quick] [--json results.json]``.
See docs/performance.md for figures and how to read them.
"""

from __future__ import annotations

import argparse
import html
import http.client
import io
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT / "example", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from tests.services import servers  # noqa: E402
from tests.services.helpers import on  # noqa: E402

PEER_SITE = ROOT / "benchmarks" / ".peer-site"
PEER_PACKAGES = ["mozilla-django-oidc==5.0.2", "pyjwt", "django-allauth==65.22.1"]
POOL = "us-east-1_Bench0001"
USERS = 16
TENANTS = 100_000
TARGETS = {
    "logins": (">=", 1.5),
    "logins_allauth": (">=", 1.5),
    "logins_remote_idp": (">=", 2.0),
    "logins_remote_idp_allauth": (">=", 2.0),
    "token_validation": (">=", 0.75),
    "authenticated_request": ("<=", 1.05),
    "login_start_100k": ("<=", 1.2),
    "login_start_realm_cache": ("<=", 1.0),
    "token_base64": (">=", 1.0),
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the peer, installed for the benchmark only ---------------------------------------------------
def install_peer() -> None:
    """mozilla-django-oidc and PyJWT into benchmarks/.peer-site (never into the project's venv)."""
    if all((PEER_SITE / name).is_dir() for name in ("mozilla_django_oidc", "jwt", "allauth")):
        return
    log("installing mozilla-django-oidc and django-allauth into benchmarks/.peer-site (benchmark only)")
    packages = list(PEER_PACKAGES)
    try:
        import requests  # noqa: F401
    except ImportError:
        packages += ["requests", "urllib3", "idna", "certifi", "charset-normalizer"]
    # --no-deps: the peer must run on the very same Django, psycopg and cryptography as we do.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(PEER_SITE), *packages],
        check=True,
        timeout=300,
    )


# -- measuring ---------------------------------------------------------------------------------
@dataclass
class Comparison:
    name: str
    ours_label: str
    base_label: str
    unit: str  # "ops/s" (higher is better) or "us/op" (lower is better)
    ours: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    errors: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """Median of the ratios of neighbouring rounds: a load drift on the machine moves both
        rounds of a pair alike, so it cancels out of their ratio."""
        return statistics.median(o / b for o, b in zip(self.ours, self.base, strict=True))

    def verdict(self) -> str:
        op, target = TARGETS[self.name]
        met = self.ratio >= target if op == ">=" else self.ratio <= target
        return f"target {op} {target}: {'met' if met else 'MISSED'}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "ours": self.ours_label, "baseline": self.base_label, "unit": self.unit,
            "ours_rounds": self.ours, "baseline_rounds": self.base,
            "ours_median": statistics.median(self.ours), "baseline_median": statistics.median(self.base),
            "ratio": self.ratio, "target": " ".join(map(str, TARGETS[self.name])), "errors": self.errors,
        }


def per_op_us(function: Callable[[], Any], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - start) / count * 1e6


def interleave(comparison: Comparison, rounds: int, ours: Callable[[], float], base: Callable[[], float]) -> None:
    for i in range(rounds):
        # Alternate which side goes first, so a drift in machine load does not favour one.
        pair = ((comparison.ours, ours), (comparison.base, base))
        for results, run in pair if i % 2 == 0 else reversed(pair):
            results.append(run())


# -- 1. logins through the HTTP stack ----------------------------------------------------------
#: What a browser sends when it follows a link on one of the app's own pages: our login starts at
#: once (a link from elsewhere would show the confirmation page first; docs/security.md).
SAME_ORIGIN_LINK = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate"}


class Answer:
    """An HTTP answer as the load generator needs it."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status_code, self.body = status, body
        self.headers = {name.lower(): value for name, value in headers}
        self.cookies = [value for name, value in headers if name.lower() == "set-cookie"]

    @property
    def text(self) -> str:
        return self.body.decode()


class LeanBrowser:
    """The load generator's browser: one kept-alive connection per origin (as a browser keeps
    them; gunicorn's sync workers close theirs after each answer), cookies per origin, on
    ``http.client``. It shares the machine's two cores with the apps it measures: with httpx
    and an HTML parser it took 8.2 ms of CPU per login, a quarter of a login's whole cost,
    and the same for every side, which flattens every ratio; this one takes about a third of
    that (the CPU per process is printed with each comparison)."""

    def __init__(self) -> None:
        self.connections: dict[str, http.client.HTTPConnection] = {}
        self.cookies: dict[str, dict[str, str]] = {}

    def request(self, method: str, url: str, headers: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> Answer:
        parts = urllib.parse.urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        sent = dict(headers or {})
        jar = self.cookies.setdefault(origin, {})
        if jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            reused = origin in self.connections
            connection = self.connections.get(origin) or http.client.HTTPConnection(parts.netloc, timeout=30)
            self.connections[origin] = connection
            try:
                connection.request(method, target, body=body, headers=sent)
                response = connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
                # A kept-alive connection the server closed meanwhile: a browser retries on a new one.
                connection.close()
                self.connections.pop(origin, None)
                if attempt == 2 or not reused:
                    raise
        if response.will_close:
            connection.close()
            self.connections.pop(origin, None)
        answer = Answer(response.status, response.getheaders(), data)
        for cookie in answer.cookies:
            pair, _, attributes = cookie.partition(";")
            name, _, value = pair.strip().partition("=")
            if not value or "max-age=0" in attributes.lower().replace(" ", ""):
                jar.pop(name, None)
            else:
                jar[name] = value
        return answer

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()
        self.connections.clear()


#: The local IdP's sign-in page: the form of one button per user, and its hidden fields.
USERS_FORM = re.compile(r'<form method="post" action="([^"]*)" id="users">(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class LoginDriver:
    """``concurrency`` browsers each running whole logins in a loop for ``seconds``."""

    def __init__(self, start_url: Callable[[int], str], app_url: str, success: str, concurrency: int,
                 browser_route: tuple[str, str] | None = None) -> None:
        self.start_url = start_url
        self.app_url = app_url
        self.success = success
        self.concurrency = concurrency
        self.browser_route = browser_route  # (app's IdP URL, the URL the browser reaches it by)
        self.errors: list[str] = []
        self.completed = 0
        self.steps: dict[str, list[float]] = {"app: login start": [], "IdP: sign-in": [], "app: callback": []}

    def login(self, user: int, browser: LeanBrowser) -> None:
        browser.cookies.clear()  # a new browser: no app session, no silent SSO at the IdP
        t0 = time.perf_counter()
        start = browser.request("GET", self.start_url(user), SAME_ORIGIN_LINK)
        t1 = time.perf_counter()
        authorize = start.headers["location"]
        if self.browser_route:
            authorize = authorize.replace(*self.browser_route, 1)
        page = browser.request("GET", authorize)
        found = USERS_FORM.search(page.text)
        if found is None:
            raise RuntimeError(f"no sign-in form at the IdP: HTTP {page.status_code} {page.text[:200]}")
        hidden = {name: html.unescape(value) for name, value in HIDDEN.findall(found.group(2))}
        answer = browser.request("POST", urllib.parse.urljoin(authorize, html.unescape(found.group(1))),
                                 form={**hidden, "user": f"user{user}@acme.test"})
        t2 = time.perf_counter()
        done = browser.request("GET", on(self.app_url, answer.headers["location"]))
        t3 = time.perf_counter()
        if done.status_code != 302 or done.headers.get("location") != self.success:
            raise RuntimeError(f"login failed: HTTP {done.status_code} {done.headers.get('location')}")
        for name, took in zip(self.steps, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            self.steps[name].append(took * 1000)

    def run(self, seconds: float) -> tuple[float, int]:
        counts = [0] * self.concurrency
        deadline = time.perf_counter() + seconds

        def browser(index: int) -> None:
            lean = LeanBrowser()
            user = index
            while time.perf_counter() < deadline:
                try:
                    self.login(user % USERS, lean)
                    counts[index] += 1
                except Exception as error:  # counted and reported, never silently dropped
                    self.errors.append(f"{type(error).__name__}: {error}"[:300])
                user += self.concurrency
            lean.close()

        started = time.perf_counter()
        threads = [threading.Thread(target=browser, args=(i,)) for i in range(self.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.completed += sum(counts)
        return sum(counts) / (time.perf_counter() - started), sum(counts)


def children(pid: int) -> list[int]:
    """The child processes of ``pid``, as the kernel lists them for each of its threads (/proc)."""
    found = []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in listing.read_text().split()]
        except OSError:  # the thread or the process ended meanwhile
            continue
    return found


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) of ``root`` and its descendants, with the reaped children's: from /proc."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
        stack.extend(children(pid))
    return total / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds of named process trees (and of this process: the load generator's threads)."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots

    def read(self, app_pid: int) -> dict[str, float]:
        reading = {name: tree_cpu_seconds(pid) for name, pid in {"app": app_pid, **self.roots}.items()}
        reading["load generator"] = time.process_time()
        return reading


def statements(pg: servers.PostgresServer, database: str) -> int:
    """Statements the clients sent to ``database`` so far, BEGIN and COMMIT included: round trips.
    Not counted: the foreign-key checks PostgreSQL runs itself at COMMIT (Django's constraints are
    DEFERRABLE INITIALLY DEFERRED), which pg_stat_statements lists as top-level statements too."""
    with pg.connect() as conn:
        row = conn.execute(
            "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
            " WHERE d.datname = %s AND s.toplevel AND s.query NOT LIKE %s",
            (database, "SELECT $2 FROM ONLY % FOR KEY SHARE OF x")).fetchone()
    return int(row[0]) if row else 0


def statement_breakdown(pg: servers.PostgresServer, database: str, logins: int) -> list[str]:
    """The statements of ``database`` by calls per login (pg_stat_statements), most frequent first."""
    with pg.connect() as conn:
        rows = conn.execute(
            "SELECT s.calls, s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
            " WHERE d.datname = %s AND s.toplevel ORDER BY s.calls DESC LIMIT 30", (database,)).fetchall()
    return [f"{calls / max(1, logins):5.2f}  {' '.join(str(query).split())[:110]}" for calls, query in rows
            if calls / max(1, logins) >= 0.05]


@dataclass
class Peer:
    """A baseline app: its name in the comparisons, gunicorn environment, port and login URL."""

    key: str  # "" for mozilla-django-oidc, "_allauth" for allauth
    label: str
    env: dict[str, str]
    port: int
    start_path: str
    database: str


def bench_logins(name: str, where: str, ours: LoginDriver, peers: list[Peer], tmp: Path, concurrency: int,
                 rounds: int, seconds: float, pg: servers.PostgresServer, ours_pid: int,
                 meter: CpuMeter) -> list[Comparison]:
    """Interleaved rounds of logins on tenant_sso's app and on each peer's (started here)."""
    with ExitStack() as apps:
        drivers = []
        pids = [ours_pid]
        for peer in peers:
            app = apps.enter_context(servers.GunicornApp(peer.env, port=peer.port, workers=2,
                                                         wsgi="benchmarks.peer_project.wsgi:application",
                                                         log=tmp / f"peer{peer.key}.log"))
            assert app.process is not None
            pids.append(app.process.pid)
            drivers.append(LoginDriver(lambda u, p=peer: f"http://127.0.0.1:{p.port}{p.start_path}",
                                       f"http://127.0.0.1:{peer.port}", "/done/", concurrency, ours.browser_route))
        for driver in (ours, *drivers):
            driver.run(1.0)  # warm-up: imports, connections, first users created
            for times in driver.steps.values():
                times.clear()
        comparisons = [Comparison(name + peer.key, f"tenant_sso{where}", f"{peer.label}{where}", "logins/s")
                       for peer in peers]
        databases = ["ours", *(peer.database for peer in peers)]
        sides = [ours, *drivers]
        before = {db: statements(pg, db) for db in databases}
        done = {db: driver.completed for db, driver in zip(databases, sides, strict=True)}
        cpu: list[dict[str, float]] = [{} for _ in sides]  # CPU seconds by process, per side
        cpu_logins = [0 for _ in sides]
        for i in range(rounds):
            # tenant_sso, then each peer, in an order that rotates, so load drift favours none.
            order = list(range(len(sides)))
            order = order[i % len(order):] + order[:i % len(order)]
            rates = {}
            for index in order:
                before_cpu = meter.read(pids[index])
                rates[index], count = sides[index].run(seconds)
                after_cpu = meter.read(pids[index])
                for part, used in after_cpu.items():
                    cpu[index][part] = cpu[index].get(part, 0.0) + used - before_cpu[part]
                cpu_logins[index] += count
            for j, comparison in enumerate(comparisons):
                comparison.ours.append(rates[0])
                comparison.base.append(rates[j + 1])
        per_login = {
            db: (statements(pg, db) - before[db]) / max(1, driver.completed - done[db])
            for db, driver in zip(databases, sides, strict=True)
        }
    if os.environ.get("BENCH_SQL_DETAIL"):
        for db, driver in zip(databases, sides, strict=True):
            log(f"{db}: statements per login (pg_stat_statements, whole run so far)")
            for line in statement_breakdown(pg, db, driver.completed):
                log(f"  {line}")
    for comparison, peer, driver in zip(comparisons, peers, drivers, strict=True):
        comparison.errors = len(ours.errors) + len(driver.errors)
        for error in (ours.errors + driver.errors)[:5]:
            log(f"login error: {error}")
        for label, side, db in (("tenant_sso", ours, "ours"), (peer.label, driver, peer.database)):
            comparison.notes.append(f"{label}: {per_login[db]:.1f} SQL round trips per login; median ms per step: "
                                    + ", ".join(f"{step} {statistics.median(times):.1f}"
                                                for step, times in side.steps.items() if times))
        for label, index in (("tenant_sso", 0), (peer.label, peers.index(peer) + 1)):
            per = {part: used / max(1, cpu_logins[index]) * 1000 for part, used in cpu[index].items()}
            comparison.notes.append(f"{label}: CPU ms per login: {sum(per.values()):.1f} = "
                                    + ", ".join(f"{part} {used:.1f}" for part, used in per.items()))
    return comparisons


def worker_rss_kib(master_pid: int) -> list[int]:
    """Resident memory (KiB) of each gunicorn worker: the master's children, from /proc."""
    sizes = []
    for pid in children(master_pid):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]))
    return sizes


def bench_scaling(start_url: Callable[[int], str], app_url: str, seconds: float,
                  levels: tuple[int, ...] = (1, 4, 16)) -> list[str]:
    """Logins per second of tenant_sso alone at 1, 4 and 16 concurrent browsers (2 workers)."""
    lines = []
    for level in levels:
        driver = LoginDriver(start_url, app_url, "/", level)
        driver.run(min(1.0, seconds))  # warm-up at this level
        rate, _ = driver.run(seconds)
        lines.append(f"{level:>3} browsers: {rate:7.1f} logins/s"
                     + (f", {len(driver.errors)} errors" if driver.errors else ""))
    return lines


def bench_memory(driver: LoginDriver, master_pid: int, logins: int) -> list[str]:
    """Worker resident memory after ``logins`` logins (and at the half), against after warm-up."""
    driver.run(2.0)
    base = worker_rss_kib(master_pid)
    marks = [("after warm-up", base)]
    done = driver.completed
    for target in (logins // 2, logins):
        while driver.completed - done < target:
            driver.run(5.0)
        marks.append((f"after {driver.completed - done:,} logins", worker_rss_kib(master_pid)))
    lines = [f"worker RSS {label}: " + ", ".join(f"{kib / 1024:.1f} MiB" for kib in sizes)
             for label, sizes in marks]
    if len(marks[-1][1]) != len(base):
        lines.append("(a worker was restarted during the run: the figures are not comparable)")
    half, end = sum(marks[1][1]), sum(marks[2][1])
    growth = (end - half) / max(1, half)
    lines.append(f"second half vs first half: {growth:+.1%} ({'flat' if abs(growth) < 0.02 else 'GROWS'})"
                 + (f"; {len(driver.errors)} login errors" if driver.errors else ""))
    return lines


# -- 2. token validation -----------------------------------------------------------------------
def bench_tokens(rounds: int, count: int) -> list[Comparison]:
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from joserfc import jws
    from joserfc.jwk import RSAKey

    from tenant_sso.oidc.http import ProviderHTTP, make_client
    from tenant_sso.oidc.keys import JWKSResolver
    from tenant_sso.oidc.tokens import Expectations, validate_id_token

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = RSAKey.import_key(private, parameters={"kid": "bench-1", "use": "sig", "alg": "RS256"})
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
    now = int(time.time())
    claims = {
        "iss": issuer, "aud": "acme-client", "sub": "5f1e3a2b-0000-4000-8000-000000000001", "token_use": "id",
        "iat": now, "exp": now + 3600, "auth_time": now, "nonce": "n-0S6_WzA2Mj", "email": "alice@acme.test",
        "email_verified": True, "custom:groups": "[engineering, sso-admins]", "cognito:username": "AcmeOkta_alice",
        "identities": [{"providerName": "AcmeOkta", "providerType": "OIDC", "userId": "00u-alice"}],
    }
    token = jws.serialize_compact({"alg": "RS256", "kid": "bench-1"}, json.dumps(claims).encode(), key)

    jwks_uri = f"{issuer}/.well-known/jwks.json"
    cache = {f"tenant_sso:jwks:{jwks_uri}": json.dumps({"keys": [key.as_dict(private=False)]}, sort_keys=True)}

    class DictCache:
        def get(self, k: str, default: Any = None) -> Any:
            return cache.get(k, default)

        def set(self, k: str, v: Any, timeout: Any = None) -> None:
            cache[k] = v

        def add(self, k: str, v: Any, timeout: Any = None) -> bool:
            return cache.setdefault(k, v) is v

        def delete(self, k: str) -> None:
            cache.pop(k, None)

    resolver = JWKSResolver(ProviderHTTP(make_client(5)), DictCache(), ttl=3600, refetch_interval=60)
    expect = Expectations(issuer=issuer, client_id="acme-client", nonce="n-0S6_WzA2Mj", token_use="id")

    def ours() -> None:
        validate_id_token(token, lambda header: resolver.resolve(jwks_uri, header), expect)

    public = private.public_key()

    def raw() -> None:
        signing_input, _, signature = token.rpartition(".")
        public.verify(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
                      signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())

    ours()  # warm: the resolver's parsed-key memo, imports
    raw()
    comparison = Comparison("token_validation", "validate_id_token (warm resolver)",
                            "cryptography RSA verify", "ops/s")
    interleave(comparison, rounds, lambda: 1e6 / per_op_us(ours, count), lambda: 1e6 / per_op_us(raw, count))

    # What pybase64 bought: the same validations with the standard library's strict decoder,
    # which tokens.py used before (and which accepts and refuses the same inputs: test_tokens.py).
    import binascii

    from tenant_sso.oidc import tokens

    to_b64 = bytes.maketrans(b"-_+/=", b"+/!!!")

    def stdlib_b64(segment: str) -> bytes:
        data = segment.encode("ascii").translate(to_b64) + b"=" * (-len(segment) % 4)
        return binascii.a2b_base64(data, strict_mode=True)

    def with_stdlib() -> float:
        fast, tokens._b64 = tokens._b64, stdlib_b64  # type: ignore[assignment]
        try:
            return 1e6 / per_op_us(ours, count)
        finally:
            tokens._b64 = fast  # type: ignore[assignment]

    decoder = Comparison("token_base64", "validate_id_token, base64url by pybase64",
                         "the same, by the stdlib's a2b_base64 (before)", "ops/s")
    interleave(decoder, rounds, lambda: 1e6 / per_op_us(ours, count), with_stdlib)
    return [comparison, decoder]


# -- 3 and 4: in-process through Django's WSGI handler -------------------------------------------
class WSGI:
    """Calls Django's WSGI application directly: no sockets, only Django's own request cycle."""

    def __init__(self) -> None:
        from django.core.wsgi import get_wsgi_application

        self.app = get_wsgi_application()

    def get(self, path: str, query: str = "", cookie: str = "") -> tuple[int, dict[str, str], bytes]:
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
            # a browser following a link on one of the app's pages (a login starts at once)
            "HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_SEC_FETCH_MODE": "navigate",
            "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        }
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer["status"], answer["headers"] = int(status[:3]), dict(headers)
            return None

        response = self.app(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()  # request_finished: what a server does after every request
        return answer["status"], answer["headers"], body


def bench_me(wsgi: WSGI, sso_cookie: str, rounds: int, count: int) -> Comparison:
    from django.contrib.auth.models import Group, User
    from django.test import Client

    plain = User.objects.create_user("plain-user", email="plain@example.com")
    plain.groups.add(*(Group.objects.get_or_create(name=n)[0] for n in ("Administrators", "Engineers")))
    client = Client()
    client.force_login(plain, backend="django.contrib.auth.backends.ModelBackend")
    plain_cookie = f"sessionid={client.cookies['sessionid'].value}"

    status, _, body = wsgi.get("/api/me/", cookie=sso_cookie)
    assert status == 200 and json.loads(body)["organization"] == "acme", (status, body[:300])
    status, _, body = wsgi.get("/plain/me/", cookie=plain_cookie)
    assert status == 200 and json.loads(body)["groups"] == ["Administrators", "Engineers"], (status, body[:300])

    comparison = Comparison("authenticated_request", "GET /api/me/ (SSO session)",
                            "GET /plain/me/ (force_login session)", "us/op")
    interleave(
        comparison, rounds,
        lambda: per_op_us(lambda: wsgi.get("/api/me/", cookie=sso_cookie), count),
        lambda: per_op_us(lambda: wsgi.get("/plain/me/", cookie=plain_cookie), count),
    )
    return comparison


@contextmanager
def without_realm_cache() -> Iterator[None]:
    """Home-realm discovery asks the database at every login start, as before realm_cache."""
    from tenant_sso import realm_cache

    cached = realm_cache.lookup
    realm_cache.lookup = lambda kind, value, query: query()  # type: ignore[assignment]
    try:
        yield
    finally:
        realm_cache.lookup = cached  # type: ignore[assignment]


def bench_start(wsgi: WSGI, rounds: int, count: int) -> list[Comparison]:
    from benchmarks import bench_router

    rng = random.Random(8)

    def start(alias: str, email: Callable[[], str], cached: bool = False) -> float:
        if not cached:
            # The 100,000-tenant comparison is about the database lookup: both sides ask it (with
            # the cache, a random one of 100,000 domains would be a miss and the one domain a hit).
            with without_realm_cache():
                return start(alias, email, cached=True)
        bench_router.ACTIVE = alias

        def one() -> None:
            status, _, _ = wsgi.get("/api/oidc/cognito/login/", query=f"email={email()}")
            if status != 302:
                raise RuntimeError(f"login start on {alias}: HTTP {status}")

        try:
            return per_op_us(one, count)
        finally:
            bench_router.ACTIVE = None

    def among_many() -> str:
        return f"someone%40org-{rng.randrange(TENANTS)}.example"

    def the_one() -> str:
        return "alice%40acme.test"

    start("many", among_many)  # warm both databases' caches
    start("one", the_one)
    comparison = Comparison("login_start_100k", f"login start, {TENANTS:,} organizations",
                            "login start, 1 organization", "us/op")
    interleave(comparison, rounds, lambda: start("many", among_many), lambda: start("one", the_one))

    # What realm_cache bought: a returning domain's login start, the connection from the cache
    # (warm) against the same start asking the database (the lookup before realm_cache).
    start("one", the_one, cached=True)
    cache = Comparison("login_start_realm_cache", "login start, connection from realm_cache",
                       "login start, connection from the database (before)", "us/op")
    interleave(cache, rounds, lambda: start("one", the_one, cached=True), lambda: start("one", the_one))
    return [comparison, cache]


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Close the identity provider's standard input (it exits then); kill it if it does not."""
    if process.stdin:
        process.stdin.close()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


# -- the run -----------------------------------------------------------------------------------
def idp_config(ours_url: str, peer_url: str, allauth_url: str) -> dict[str, Any]:
    users = [{"sub": f"00u-user{i}", "email": f"user{i}@acme.test", "email_verified": True,
              "groups": ["engineering", "sso-admins"]} for i in range(USERS)]
    return {
        "region": "us-east-1", "user_pool_id": POOL,
        "clients": [
            {"client_id": "acme-client", "client_secret": "acme-secret",
             "callback_urls": [f"{ours_url}/api/oidc/cognito/callback/"], "identity_providers": ["AcmeOkta"]},
            {"client_id": "peer-client", "client_secret": "peer-secret",
             "callback_urls": [f"{peer_url}/oidc/callback/"], "identity_providers": ["AcmeOkta"]},
            {"client_id": "allauth-client", "client_secret": "allauth-secret",
             "callback_urls": [f"{allauth_url}/accounts/oidc/devidp/login/callback/"],
             "identity_providers": ["AcmeOkta"]},
        ],
        "identity_providers": [{"name": "AcmeOkta", "groups_format": "bracketed", "users": users}],
    }


def bench_env(**overrides: str) -> dict[str, str]:
    """The environment of a benchmarked tenant_sso app: one client address drives thousands of
    logins (the per-IP and per-organization limits off), and workers are not recycled (the
    memory benchmark reads the same ones)."""
    return servers.app_env(**{"TENANT_SSO_RATE_LIMIT_PER_IP": "0", "TENANT_SSO_RATE_LIMIT_PER_ORGANIZATION": "0",
                              "GUNICORN_MAX_REQUESTS": "0", **overrides})


def create_acme(env: dict[str, str], idp_url: str, client_id: str, client_secret: str) -> None:
    """Migrate the app's database and create the acme tenant the logins sign in to."""
    servers.manage(env, "migrate", "--noinput")
    servers.manage(
        {**env, "ACME_SECRET": client_secret}, "sso_connection", "create", "--org", "acme",
        "--email-domain", "acme.test", "--kind", "cognito", "--issuer", f"{idp_url}/{POOL}",
        "--cognito-domain", idp_url, "--identity-provider", "AcmeOkta", "--client-id", client_id,
        "--client-secret-env", "ACME_SECRET", "--allowed-group", "engineering",
        "--group-map", "engineering=Engineers", "--group-map", "sso-admins=Administrators",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="tenant_sso benchmarks against same-run baselines")
    parser.add_argument("--quick", action="store_true", help="short rounds (a smoke run, noisy figures)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--concurrency", type=int, default=4, help="browsers logging in at once")
    parser.add_argument("--idp-rtt-ms", type=float, default=20.0,
                        help="also measure logins with the IdP's back channel this far away (0: skip)")
    parser.add_argument("--only", default="logins,tokens,me,start,scaling,memory,cognito",
                        help="comma-separated subset of: logins, tokens, me, start, scaling, memory, cognito")
    parser.add_argument("--cognito-tenants", type=int, default=None,
                        help="tenants onboarded in the Cognito bulk benchmark (default 1,000; --quick 20)")
    parser.add_argument("--memory-logins", type=int, default=None,
                        help="logins before the worker memory is read (default 10,000; --quick 600)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    login_seconds, rounds = (3.0, 2) if args.quick else (12.0, 3)
    micro = 200 if args.quick else 2000
    began = time.perf_counter()
    install_peer()  # every run migrates the peers' databases, whatever --only says
    results: list[Comparison] = []
    extra: dict[str, list[str]] = {}

    with tempfile.TemporaryDirectory(prefix="tenant-sso-bench-") as tmp, ExitStack() as stack:
        log("starting PostgreSQL and Redis")
        pg = stack.enter_context(servers.PostgresServer(
            "shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all"))
        redis = stack.enter_context(servers.RedisServer())
        ours_port, peer_port, idp_port = servers.free_port(), servers.free_port(), servers.free_port()
        allauth_port = servers.free_port()
        ours_url, peer_url = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{peer_port}"
        allauth_url = f"http://127.0.0.1:{allauth_port}"

        config = Path(tmp) / "idp.json"
        config.write_text(json.dumps(idp_config(ours_url, peer_url, allauth_url)))
        idp = subprocess.Popen([sys.executable, "-m", "benchmarks.idp_process", str(config), str(idp_port)],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])})
        stack.callback(stop_process, idp)
        idp_url = (idp.stdout.readline() if idp.stdout else b"").decode().strip()
        assert idp_url, "the identity provider did not start"
        issuer = f"{idp_url}/{POOL}"

        log("migrating; creating acme; loading 100,000 organizations")
        template_url = pg.create_database("template_ours")
        env = bench_env(DATABASE_URL=template_url, REDIS_URL=redis.url, TENANT_SSO_LOG_LEVEL="WARNING")
        create_acme(env, idp_url, "acme-client", "acme-secret")
        with pg.connect() as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        ours_db = pg.create_database("ours", template="template_ours")
        one_db = pg.create_database("one", template="template_ours")
        many_db = pg.create_database("many", template="template_ours")
        subprocess.run([sys.executable, "-m", "tests.services.tenants_bulk", "load", str(TENANTS),
                        "--issuer", issuer, "--domain", idp_url],
                       env={**env, "DATABASE_URL": many_db}, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        peer_db = pg.create_database("peer")
        peer_env = {**env, "DATABASE_URL": peer_db, "DJANGO_SETTINGS_MODULE": "benchmarks.peer_project.settings",
                    "BENCH_IDP_URL": idp_url, "BENCH_IDP_ISSUER": issuer,
                    "PYTHONPATH": os.pathsep.join([str(PEER_SITE), env["PYTHONPATH"]])}
        servers.manage(peer_env, "migrate", "--noinput")
        allauth_env = {**peer_env, "DATABASE_URL": pg.create_database("allauth"),
                       "DJANGO_SETTINGS_MODULE": "benchmarks.peer_project.allauth_settings"}
        servers.manage(allauth_env, "migrate", "--noinput")

        def peers(backend: dict[str, str]) -> list[Peer]:
            return [
                Peer("", "mozilla-django-oidc 5.0.2", {**peer_env, **backend}, peer_port, "/oidc/authenticate/",
                     "peer"),
                Peer("_allauth", "django-allauth 65.22.1", {**allauth_env, **backend}, allauth_port,
                     "/accounts/oidc/devidp/login/?process=login", "allauth"),
            ]

        # -- 1. logins
        ours_env = {**env, "DATABASE_URL": ours_db, "TENANT_SSO_LOG_LEVEL": "INFO"}
        ours_app = stack.enter_context(servers.GunicornApp(ours_env, port=ours_port, workers=2,
                                                           log=Path(tmp) / "ours.log"))
        assert ours_app.process is not None and redis.process is not None
        ours_pid = ours_app.process.pid
        postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
        meter = CpuMeter({"IdP": idp.pid, "PostgreSQL": postmaster, "Redis": redis.process.pid})
        ours_driver = LoginDriver(lambda u: f"{ours_url}/api/oidc/cognito/login/?email=user{u}%40acme.test",
                                  ours_url, "/", args.concurrency)
        if "logins" in only:
            log(f"logins, IdP on this machine: {rounds} x {login_seconds}s per side")
            results.extend(bench_logins(
                "logins", "", ours_driver, peers({}), Path(tmp), args.concurrency, rounds, login_seconds, pg,
                ours_pid, meter,
            ))
        if "logins" in only and args.idp_rtt_ms:
            rtt = args.idp_rtt_ms / 1000
            log(f"logins, IdP {args.idp_rtt_ms:g} ms away: {rounds} x {login_seconds}s per side")
            route = servers.TcpProxy(idp_port, rtt=rtt).start()
            stack.callback(route.stop)
            # The apps reach the IdP's back channel through the delaying route; browsers go direct.
            with pg.connect("ours") as conn:
                conn.execute("UPDATE tenant_sso_connection SET cognito_domain = %s", (route.url,))
            remote = LoginDriver(ours_driver.start_url, ours_url, "/", args.concurrency, (route.url, idp_url))
            results.extend(bench_logins(
                "logins_remote_idp", f", IdP {args.idp_rtt_ms:g} ms away", remote,
                peers({"BENCH_IDP_BACKEND_URL": route.url}), Path(tmp), args.concurrency, rounds, login_seconds, pg,
                ours_pid, meter,
            ))
            with pg.connect("ours") as conn:
                conn.execute("UPDATE tenant_sso_connection SET cognito_domain = %s", (idp_url,))
            near, far = (statistics.median(d.steps["app: callback"] or [0.0]) for d in (ours_driver, remote))
            bound = near + args.idp_rtt_ms
            callback_ratio = far / bound if bound else 0.0
            extra["callback time, IdP far vs near (tenant_sso)"] = [
                f"callback {far:.1f} ms with the IdP {args.idp_rtt_ms:g} ms away; {near:.1f} ms at 0 ms "
                f"+ {args.idp_rtt_ms:g} ms = {bound:.1f} ms; ratio {callback_ratio:.2f} "
                f"(target <= 1.15: {'met' if callback_ratio <= 1.15 else 'MISSED'})"]

        if "scaling" in only:
            log("logins at 1, 4 and 16 concurrent browsers")
            extra["logins at 1, 4, 16 browsers (tenant_sso, 2 gunicorn workers, IdP on this machine)"] = (
                bench_scaling(ours_driver.start_url, ours_url, login_seconds))
        if "memory" in only and ours_app.process is not None:
            count = args.memory_logins or (600 if args.quick else 10_000)
            log(f"worker memory over {count:,} logins")
            memory_driver = LoginDriver(ours_driver.start_url, ours_url, "/", args.concurrency)
            extra[f"worker memory over {count:,} logins"] = bench_memory(
                memory_driver, ours_app.process.pid, count)

        # an SSO session for benchmark 3, made by a real login
        browser = LeanBrowser()
        ours_driver.login(0, browser)
        sso_cookie = f"sessionid={browser.cookies[ours_url]['sessionid']}"
        browser.close()
        ours_app.stop()

        # -- 2. tokens
        if "tokens" in only:
            log("token validation")
            results.extend(bench_tokens(rounds * 4, micro))

        # -- 3, 4: in-process Django on PostgreSQL
        os.environ.update({k: v for k, v in ours_env.items() if k.startswith(("DJANGO_", "TENANT_SSO_"))})
        os.environ.update({"DATABASE_URL": ours_db, "REDIS_URL": redis.url, "BENCH_DB_ONE": one_db,
                           "BENCH_DB_MANY": many_db, "TENANT_SSO_LOG_LEVEL": "WARNING",
                           "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings"})
        import django

        django.setup()
        wsgi = WSGI()
        if "me" in only:
            log("authenticated requests")
            results.append(bench_me(wsgi, sso_cookie, rounds * 10, micro // 10))
        if "start" in only:
            log("login start, 100,000 vs 1 organization")
            results.extend(bench_start(wsgi, rounds * 10, micro // 20))
        if "cognito" in only:
            from benchmarks import cognito_bulk

            count = args.cognito_tenants or (20 if args.quick else 1_000)
            log(f"Cognito bulk onboarding of {count:,} tenants against moto")
            extra["Cognito bulk onboarding (sso_cognito onboard-bulk, moto server)"] = cognito_bulk.run(count)
        from django.db import connections

        connections.close_all()

    report(results, time.perf_counter() - began, args, extra)
    return 0


def report(results: list[Comparison], elapsed: float, args: argparse.Namespace,
           extra: dict[str, list[str]] | None = None) -> None:
    machine = f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"
    print(f"\ntenant_sso benchmarks ({machine}; {elapsed:.0f}s{', --quick' if args.quick else ''})\n")
    for c in results:
        ours, base = statistics.median(c.ours), statistics.median(c.base)
        print(f"{c.name}")
        print(f"  {c.ours_label:<48} {ours:>10.1f} {c.unit}")
        print(f"  {c.base_label:<48} {base:>10.1f} {c.unit}")
        note = f", {c.errors} errors" if c.errors else ""
        print(f"  ratio {c.ratio:.2f}  ({c.verdict()}; rounds {len(c.ours)}{note})")
        for line in c.notes:
            print(f"  {line}")
        print()
    for title, lines in (extra or {}).items():
        print(title)
        for line in lines:
            print(f"  {line}")
        print()
    if args.json:
        document: dict[str, Any] = {c.name: c.as_dict() for c in results}
        document.update(extra or {})
        args.json.write_text(json.dumps(document, indent=2))


if __name__ == "__main__":
    sys.exit(main())

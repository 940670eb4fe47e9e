"""Throwaway PostgreSQL, Redis and gunicorn processes on 127.0.0.1, for service tests and benchmarks.

Plain Python (no pytest): ``tests/services/conftest.py`` wraps these in fixtures and
``benchmarks/run.py`` uses them directly. Every server binds to 127.0.0.1 on a free port, keeps
its files in a temporary directory, and is stopped (and its directory removed) by ``stop()``.

PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user (``runuser``).
Durability is switched off (``fsync=off``): these databases are thrown away.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example"
VENV_BIN = Path(sys.executable).parent
#: The migrated database each service test copies (`CREATE DATABASE ... TEMPLATE`).
TEMPLATE_DB = "tenant_sso_template"


class ServiceUnavailable(RuntimeError):
    """A server binary is missing or a server did not come up."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServiceUnavailable(f"process exited with {process.returncode} before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServiceUnavailable(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def postgres_bin_dir() -> Path | None:
    """Debian's ``/usr/lib/postgresql/<version>/bin`` (newest version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def is_root() -> bool:
    return os.geteuid() == 0


class PostgresServer:
    """``initdb`` + ``pg_ctl start`` in a temporary directory; superuser ``postgres``, trust auth."""

    def __init__(self, *settings: str) -> None:
        """``settings``: extra ``name=value`` server settings (``-c``)."""
        self.settings = settings
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise ServiceUnavailable("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self.bin = bin_dir
        self.tmp = Path(tempfile.mkdtemp(prefix="tenant-sso-pg-"))
        self.data = self.tmp / "data"
        self.port = free_port()
        self.host = "127.0.0.1"
        self._as_postgres = is_root()
        if self._as_postgres:
            shutil.chown(self.tmp, "postgres", "postgres")
        self._started = False

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [*(["runuser", "-u", "postgres", "--"] if self._as_postgres else []), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.tmp)
        if result.returncode != 0:
            raise ServiceUnavailable(f"{' '.join(args[:2])} failed: {result.stderr[-2000:]}")

    def start(self) -> PostgresServer:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        options = (
            f"-h {self.host} -p {self.port} -k {self.tmp} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200" + "".join(f" -c {x}" for x in self.settings)
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.tmp / "log"),
                  "-o", options, "-w", "-t", "60", "start", timeout=90)
        self._started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create ``name`` (from ``template`` when given: a migrated copy in well under a second)."""
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def stop(self) -> None:
        if self._started:
            self._started = False
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except (ServiceUnavailable, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RedisServer:
    """``redis-server`` without persistence; ``stop()`` then ``start()`` again keeps the port."""

    def __init__(self, port: int | None = None) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise ServiceUnavailable("redis-server is not installed (Debian: apt-get install redis-server)")
        self.port = port or free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="tenant-sso-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [self.binary or "redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.tmp), "--protected-mode", "yes",
             "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, 15, self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def app_env(**overrides: str) -> dict[str, str]:
    """Environment of an example-app process (production mode: DEBUG off)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TENANT_SSO_", "PYTEST"))}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(EXAMPLE), str(ROOT / "src")]),
            "DJANGO_SETTINGS_MODULE": "example_project.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "services-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TENANT_SSO_ENCRYPTION_KEYS": "x0S9v0u2bM2pDzqBnd7dtyQt3aqwXh3TNmtjpO3oZJk=",
            # The local identity provider listens on 127.0.0.1 (http): allowed for these tests only.
            "TENANT_SSO_ALLOW_LOOPBACK_HTTP": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    """Run ``example/manage.py`` with ``env``; returns stdout, raises with stderr on failure."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), *args],
        env=env, capture_output=True, text=True, timeout=timeout, cwd=EXAMPLE,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args[:2])} failed:\n{result.stderr[-3000:]}")
    return result.stdout


class GunicornApp:
    """The example project under gunicorn (``example/gunicorn.conf.py``) on a free port."""

    def __init__(self, env: dict[str, str], *, port: int | None = None, workers: int = 2,
                 threads: int = 1, wsgi: str = "example_project.wsgi:application",
                 log: Path | None = None) -> None:
        self.port = port or free_port()
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers),
                    "GUNICORN_THREADS": str(threads), "GUNICORN_ACCESS_LOG": ""}
        self.wsgi = wsgi
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> GunicornApp:
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", str(EXAMPLE / "gunicorn.conf.py"), self.wsgi],
            env=self.env, cwd=EXAMPLE, stdout=output, stderr=output, start_new_session=True,
        )
        wait_for_port(self.port, timeout, self.process)
        # The port opens before the workers have imported Django: wait for a real answer.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/login/", timeout=5)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise ServiceUnavailable(f"gunicorn on {self.url} does not answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # gunicorn's arbiter stops its workers on SIGTERM
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(5)
        self.process = None

    def __enter__(self) -> GunicornApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class TcpProxy:
    """A TCP forwarder on 127.0.0.1 to ``target_port``: ``stop()`` cuts the route, ``start()``
    restores it on the same port (SO_REUSEADDR), to take a server "off the network" mid-test.

    ``rtt`` (seconds) puts the target at a network distance: a new connection waits one round
    trip before it reaches the target (the TCP handshake), and each answer one more before its
    first byte comes back -- two round trips for a one-request connection, no TLS modelled.
    """

    def __init__(self, target_port: int, port: int | None = None, *, rtt: float = 0.0) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self.rtt = rtt
        self._listener: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        if self.rtt:
            time.sleep(self.rtt)
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):  # forward each piece at once (no Nagle delay added)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=self._pump, args=(client, upstream, 0.0), daemon=True).start()
        self._pump(upstream, client, self.rtt)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket, delay: float) -> None:
        try:
            while data := source.recv(65536):
                if delay:
                    time.sleep(delay)  # the first bytes of the answer travel back
                    delay = 0.0
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None

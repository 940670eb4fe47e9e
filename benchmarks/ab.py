"""A/B of two trees of tenant_sso: a gunicorn worker's CPU per login, in interleaved rounds.

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/ab.py /tmp/before/src src

Starts one PostgreSQL, one Redis and one local IdP, and for each tree its own database and a
one-worker gunicorn of the example project with that tree's ``tenant_sso`` first on the path;
then runs logins on each in turn (A B, B A, ...) and reads the worker's CPU time (user + system,
/proc) before and after each round. Prints the median CPU per login of each side and the median
of the rounds' ratios (B / A): a change of the machine's load between rounds hits both sides of a
pair alike. ``ROUNDS`` (6), ``SECS`` (6) and ``CONC`` (2 browsers) in the environment.
The figures behind docs/performance.md's "Statements written as SQL".
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT / "example", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from tests.services import servers  # noqa: E402

from benchmarks import run  # noqa: E402


def main() -> None:
    sources = [str(Path(s).resolve()) for s in sys.argv[1:3]]
    if len(sources) != 2:
        sys.exit(__doc__)
    rounds, seconds = int(os.environ.get("ROUNDS", "6")), float(os.environ.get("SECS", "6"))
    concurrency = int(os.environ.get("CONC", "2"))
    with tempfile.TemporaryDirectory() as tmp, servers.PostgresServer() as pg, servers.RedisServer() as redis:
        ports = [servers.free_port() for _ in sources]
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        config = run.idp_config(urls[0], "http://127.0.0.1:9", "http://127.0.0.1:9")
        config["clients"] = [{"client_id": f"client{i}", "client_secret": "secret", "identity_providers": ["AcmeOkta"],
                              "callback_urls": [f"{url}/api/oidc/cognito/callback/"]} for i, url in enumerate(urls)]
        (Path(tmp) / "idp.json").write_text(json.dumps(config))
        idp = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.idp_process", str(Path(tmp) / "idp.json"), str(servers.free_port())],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])})
        apps: list[servers.GunicornApp] = []
        try:
            idp_url = (idp.stdout.readline() if idp.stdout else b"").decode().strip()
            drivers, workers = [], []
            for i, (source, port, url) in enumerate(zip(sources, ports, urls, strict=True)):
                env = run.bench_env(DATABASE_URL=pg.create_database(f"side{i}"),
                                    REDIS_URL=redis.url.replace("/0", f"/{i}"), TENANT_SSO_LOG_LEVEL="INFO")
                env["PYTHONPATH"] = os.pathsep.join([source, env["PYTHONPATH"]])
                run.create_acme(env, idp_url, f"client{i}", "secret")
                app = servers.GunicornApp(env, port=port, workers=1, log=Path(tmp) / f"side{i}.log").start()
                apps.append(app)
                assert app.process is not None
                driver = run.LoginDriver(lambda u, url=url: f"{url}/api/oidc/cognito/login/?email=user{u}%40acme.test",
                                         url, "/", concurrency)
                driver.run(2.0)  # warm-up
                drivers.append(driver)
                workers.append(run.children(app.process.pid)[0])
            per_login: list[list[float]] = [[], []]
            for r in range(rounds):
                for i in (0, 1) if r % 2 == 0 else (1, 0):
                    before = run.tree_cpu_seconds(workers[i])
                    _, count = drivers[i].run(seconds)
                    per_login[i].append((run.tree_cpu_seconds(workers[i]) - before) / max(1, count) * 1000)
            for source, side, driver, app in zip(sources, per_login, drivers, apps, strict=True):
                assert app.process is not None
                rss = sum(run.worker_rss_kib(app.process.pid)) / 1024
                print(f"{source}: worker CPU per login, median {statistics.median(side):.2f} ms "
                      f"(rounds {', '.join(f'{x:.2f}' for x in side)}; {len(driver.errors)} errors; "
                      f"worker RSS {rss:.1f} MiB after {driver.completed:,} logins)")
            ratio = statistics.median(b / a for a, b in zip(*per_login, strict=True))
            print(f"ratio B / A: {ratio:.2f}")
        finally:
            for app in apps:
                app.stop()
            run.stop_process(idp)


if __name__ == "__main__":
    main()

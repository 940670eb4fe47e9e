"""``make bench``'s Cognito bulk onboarding: ``sso_cognito onboard-bulk`` against moto's server.

The client-side limit (:class:`tenant_sso.cognito.throttle.RateLimiter`) is set to 5 calls per
second, Cognito's control-plane quota per pool. moto enforces no quota, so a botocore hook plays
Cognito's: a token bucket of 5 calls per second (bursts of 10) per pool, answering
``TooManyRequestsException`` beyond it. Reported: calls made, the achieved rate against the
limit (target >= 90%), the quota's refusals (absorbed by the retry policy) and failed rows
(throttling must never surface as a failure). Needs Django set up on a database.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from io import StringIO
from pathlib import Path
from typing import Any

LIMIT = 5.0
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class CognitoQuota:
    """A botocore ``before-call`` hook: Cognito's per-pool quota as a token bucket."""

    def __init__(self, rate: float = LIMIT, burst: float = 2 * LIMIT) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}
        self.refused = 0
        self._lock = threading.Lock()

    def __call__(self, params: Any = None, **kwargs: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        body = params.get("body", b"") if isinstance(params, dict) else b""
        pool = body.decode(errors="replace").partition('"UserPoolId": "')[2].partition('"')[0]
        now = time.monotonic()
        with self._lock:
            tokens, last = self.buckets.get(pool, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self.buckets[pool] = (tokens - 1, now)
                return None
            self.buckets[pool] = (tokens, now)
            self.refused += 1
        error = {"Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"},
                 "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse("https://cognito-idp.us-east-1.amazonaws.com/", 400, {}, None), error


def run(tenants: int) -> list[str]:
    import boto3
    from botocore.config import Config
    from django.core.management import call_command
    from django.test import override_settings
    from moto.server import ThreadedMotoServer

    from tenant_sso.cognito.aws import CognitoAPI
    from tenant_sso.cognito.onboarding import Provisioner
    from tenant_sso.cognito.throttle import RateLimiter, RetryPolicy

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        client = boto3.session.Session().client(
            "cognito-idp", region_name="us-east-1", endpoint_url=f"http://{host}:{port}",
            config=Config(retries={"total_max_attempts": 1}), **CREDENTIALS)
        pool = client.create_user_pool(PoolName="bench")["UserPool"]["Id"]
        client.create_user_pool_domain(Domain="bench-onboarding", UserPoolId=pool)
        quota = CognitoQuota()
        client.meta.events.register("before-call.cognito-idp.*", quota)
        api = CognitoAPI(lambda region: client, limiter=RateLimiter(LIMIT), retry=RetryPolicy(max_attempts=6))
        provisioner = Provisioner(api=api, managed_login_branding=False)
        os.environ["BENCH_UPSTREAM_SECRET"] = "upstream-secret"
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "tenants.csv"
            rows = ["org,org_name,issuer,upstream_client_id,upstream_client_secret_env,email_domains,allowed_groups"]
            rows += [f"bulk-{i},Bulk {i},https://idp-{i}.example,client-{i},BENCH_UPSTREAM_SECRET,"
                     f"bulk-{i}.example,staff" for i in range(tenants)]
            csv.write_text("\n".join(rows) + "\n")
            out, err = StringIO(), StringIO()
            pools = [{"user_pool_id": pool, "region": "us-east-1", "max_tenants": tenants + 10}]
            with override_settings(TENANT_SSO_COGNITO_POOLS=pools,
                                   TENANT_SSO_COGNITO_CALLBACK_URL="https://app.example/api/oidc/cognito/callback/",
                                   TENANT_SSO_COGNITO_LOGOUT_URLS=["https://app.example/login/"]):
                started = time.perf_counter()
                failure = ""
                try:
                    call_command("sso_cognito", "onboard-bulk", str(csv), provisioner=provisioner,
                                 stdout=out, stderr=err)
                except Exception as error:  # reported below, with the rows' own outcome
                    failure = f"{type(error).__name__}: {error}"[:300]
                took = time.perf_counter() - started
        calls = len(api.calls)
        failed = out.getvalue().count(": failed")
        rate = calls / took
        throttled_rows = out.getvalue().count("cognito_throttled")
        return [
            f"{tenants:,} tenants, one pool, client-side limit {LIMIT:g} calls/s: {calls:,} calls in {took:.1f}s",
            f"achieved {rate:.2f} calls/s = {rate / LIMIT:.0%} of the limit "
            f"(target >= 90%: {'met' if rate / LIMIT >= 0.9 else 'MISSED'})",
            f"quota refusals absorbed by retries: {quota.refused}; rows failed: {failed} "
            f"(throttling surfaced: {throttled_rows})" + (f"; command: {failure}" if failure else ""),
        ]
    finally:
        server.stop()

"""Throttling: Cognito's ~5 calls/s control-plane quota, a client-side limiter, retry with jitter."""

from __future__ import annotations

import random
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tenant_sso.cognito.throttle import RateLimiter, RetryPolicy, ThrottledOut
from tenant_sso.models import Connection
from tests.support.cognito import AwsErrors, onboard_args


def throttle(times: int) -> AwsErrors:
    """TooManyRequestsException for the first ``times`` calls, as Cognito answers past its quota."""
    return AwsErrors("TooManyRequestsException", times, "Rate exceeded")


@pytest.mark.django_db
def test_a_throttled_call_succeeds_on_retry(
    provisioner: Any, cognito: Any, call_log: Any, sleeps: list[float], pool: str, upstream_secret: str
) -> None:
    throttled = throttle(times=2)
    cognito.meta.events.register("before-call.cognito-idp.CreateIdentityProvider", throttled)

    call_command("sso_cognito", *onboard_args(pool), provisioner=provisioner, stdout=StringIO())

    assert throttled.answered == 2
    assert call_log.operations.count("CreateIdentityProvider") == 3
    assert len(sleeps) == 2
    # Full jitter: each wait lies in [0, base * 2**(attempt-1)].
    assert 0 <= sleeps[0] <= 0.25 and 0 <= sleeps[1] <= 0.5
    assert Connection.objects.get(organization__slug="acme").identity_provider == "acme"


@pytest.mark.django_db
def test_throttling_that_never_ends_is_a_clear_error(
    provisioner: Any, cognito: Any, sleeps: list[float], pool: str, upstream_secret: str
) -> None:
    cognito.meta.events.register("before-call.cognito-idp.DescribeUserPool", throttle(times=100))

    with pytest.raises(CommandError, match=r"^\[cognito_throttled\] Cognito still throttled describe_user_pool "
                                           r"after 4 attempts"):
        call_command("sso_cognito", *onboard_args(pool), provisioner=provisioner, stdout=StringIO())
    assert len(sleeps) == 3


def test_the_rate_limiter_spaces_calls_to_the_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(5.0, burst=1, clock=lambda: now[0], sleep=sleep)
    for _ in range(11):
        limiter.acquire()
    # 11 calls at 5/s: the first is free, the ten others wait 0.2 s each.
    assert now[0] == pytest.approx(2.0)
    assert all(s == pytest.approx(0.2) for s in slept)


def test_the_rate_limiter_lets_a_burst_through_then_paces() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(5.0, burst=5, clock=lambda: now[0], sleep=sleep)
    waits = [limiter.acquire() for _ in range(6)]
    assert waits[:5] == [0, 0, 0, 0, 0]
    assert waits[5] == pytest.approx(0.2)


class _Error(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


def test_backoff_grows_exponentially_up_to_the_cap_and_only_for_throttling() -> None:
    delays: list[float] = []
    policy = RetryPolicy(max_attempts=8, base=1.0, cap=5.0, sleep=delays.append, rng=random.Random(7))

    def always_throttled() -> None:
        raise _Error("TooManyRequestsException")

    with pytest.raises(ThrottledOut) as caught:
        policy.call(always_throttled)
    assert caught.value.attempts == 8
    assert len(delays) == 7
    for attempt, delay in enumerate(delays, start=1):
        assert 0 <= delay <= min(5.0, 2 ** (attempt - 1))

    calls = []

    def denied() -> None:
        calls.append(1)
        raise _Error("NotAuthorizedException")

    with pytest.raises(_Error):
        policy.call(denied)
    assert len(calls) == 1  # an error that retrying cannot fix is not retried

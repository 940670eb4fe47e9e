"""Staying under Cognito's control-plane quota: a client-side rate limiter and retry with backoff.

Cognito allows about 5 control-plane calls per second per pool and answers
``TooManyRequestsException`` beyond that (docs/cognito.md, "Quotas"). Onboarding 300 tenants in
a loop would hit that at once, so every call first takes a token from a :class:`RateLimiter`, and a
throttled call is retried after an exponentially growing, fully jittered delay (the "full jitter"
of AWS's *Exponential Backoff And Jitter* article: ``uniform(0, min(cap, base * 2**attempt))``),
so several workers that were throttled together do not retry together.

botocore has retries of its own, but they are invisible to tests and compound with ours; the
clients built by :mod:`.aws` switch them off (``total_max_attempts=1``) and this module is
the one place where throttling is handled. No boto3 import here: an error is recognised as
throttling by its ``response["Error"]["Code"]``, the shape of botocore's ``ClientError``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

#: Error codes that mean "slow down and try again".
THROTTLING_CODES = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded"})


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


class RateLimiter:
    """A token bucket: at most ``rate`` calls per second on average, bursts of ``burst``.

    Thread-safe; ``clock`` and ``sleep`` are injectable so tests need not wait.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            # Reserve the token now so concurrent callers queue up behind us.
            self._tokens -= 1
        if wait > 0:
            self._sleep(wait)
        return wait


class ThrottledOut(Exception):
    """A call was still throttled after every retry; ``last`` is the final error."""

    def __init__(self, attempts: int, last: BaseException) -> None:
        super().__init__(f"still throttled after {attempts} attempts")
        self.attempts = attempts
        self.last = last


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, for throttling errors only.

    Other errors (access denied, bad parameters...) are not retried: trying again cannot help.
    """

    max_attempts: int = 6
    base: float = 0.25
    cap: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    delays: list[float] = field(default_factory=list)
    """Every delay slept so far (what a test or an operator's log can look at)."""

    def delay(self, attempt: int) -> float:
        """Seconds to wait after the ``attempt``-th failure (1-based)."""
        return self.rng.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))

    def call(self, fn: Callable[[], T], *, on_retry: Callable[[int, float], None] | None = None) -> T:
        """Run ``fn``, retrying throttled attempts; raises :class:`ThrottledOut` when they run out."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except Exception as exc:
                if error_code(exc) not in THROTTLING_CODES:
                    raise
                if attempt >= self.max_attempts:
                    raise ThrottledOut(attempt, exc) from exc
                wait = self.delay(attempt)
                self.delays.append(wait)
                if on_retry is not None:
                    on_retry(attempt, wait)
                self.sleep(wait)


def throttled(limiter: RateLimiter, retry: RetryPolicy, fn: Callable[..., Any], **params: Any) -> Any:
    """``fn(**params)`` under the rate limit, retried when throttled (each attempt takes a token)."""

    def attempt() -> Any:
        limiter.acquire()
        return fn(**params)

    return retry.call(attempt)

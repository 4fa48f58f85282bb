"""How acr-edge calls a cloud service, whichever it is: one rate cap for the whole run,
retries with backoff and jitter that honour Retry-After, and a deadline nothing waits past.

The service clients (iothub.py) map their SDK's errors to CallError and call through a
Caller; what a failure means for the command is theirs and their callers' to say.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from acr_edge_cli.errors import EXIT_HUB, AcrEdgeError

_Result = TypeVar("_Result")


class ServiceError(AcrEdgeError):
    """The service could not be reached, or refused the credentials (exit 3)."""

    exit_code = EXIT_HUB


class CallError(Exception):
    """One failed call: `status` None for a connection failure. `permanent`: retrying
    cannot help (an answer too large, the deadline passed)."""

    def __init__(
        self,
        status: int | None,
        message: str,
        retry_after: float | None = None,
        *,
        permanent: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.permanent = permanent
        self.attempts = 1

    @property
    def transient(self) -> bool:
        if self.permanent:
            return False
        return self.status is None or self.status in (408, 429) or self.status >= 500


class RateLimiter:
    """At most `rate` calls in any second of the run: calls are spaced evenly, with no burst
    allowance, at 95% of the cap, since the network bunches calls on the way (measured
    against the local hub: 3% above the cap when spaced at exactly 1/rate)."""

    HEADROOM = 0.95

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / (rate * self.HEADROOM)
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


@dataclass(frozen=True)
class RetryPolicy:
    # 12 tries ride out long fault streaks (at 30% failures, 1 call in ~2 million still
    # fails) while one call waits at most about a minute
    attempts: int = 12
    base: float = 0.25
    cap: float = 8.0
    #: the longest Retry-After followed; a service asking for more is waited on this long
    retry_after_cap: float = 60.0

    def delay(self, attempt: int, error: CallError) -> float:
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.retry_after_cap)
        # "full jitter": spread retries of many workers over the whole window
        return random.uniform(0, min(self.cap, self.base * 2**attempt))


class Deadline:
    """The moment a whole run gives up: no call starts, and no retry waits, past it."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._at = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        return None if self._at is None else self._at - time.monotonic()

    def passed(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def error(self) -> CallError:
        return CallError(None, f"gave up: the run's deadline of {self.seconds:g} s passed",
                         permanent=True)  # fmt: skip


class Caller:
    """Runs calls under one rate cap, one retry policy and one deadline, counting them."""

    def __init__(
        self, rate: float, retry: RetryPolicy | None = None, deadline: Deadline | None = None
    ) -> None:
        self.limiter = RateLimiter(rate)
        self.retry = retry or RetryPolicy()
        self.deadline = deadline or Deadline(None)
        self.calls = 0
        self._count = threading.Lock()

    def call(self, once: Callable[[], _Result]) -> tuple[_Result, int]:
        """(result, attempts) of `once`, which raises CallError on failure; transient
        failures are retried until the policy or the deadline says stop, then raised."""
        attempt = 0
        while True:
            if self.deadline.passed():
                error = self.deadline.error()
                error.attempts = attempt
                raise error
            attempt += 1
            self.limiter.acquire()
            with self._count:
                self.calls += 1
            try:
                return once(), attempt
            except CallError as error:
                if not error.transient or attempt >= self.retry.attempts:
                    error.attempts = attempt
                    raise
                wait = self.retry.delay(attempt, error)
                left = self.deadline.remaining()
                time.sleep(wait if left is None else max(0.0, min(wait, left)))

"""deploy's rate cap: however many threads call, no second of the run holds more calls than
the cap (the busiest second of a real run is measured by benchmarks/deploy.py)."""

from __future__ import annotations

import threading
import time

from acr_edge_cli.calls import RateLimiter


def test_no_second_holds_more_calls_than_the_cap() -> None:
    limiter = RateLimiter(50)
    stamps: list[float] = []
    lock = threading.Lock()

    def caller() -> None:
        for _ in range(10):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=caller) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps.sort()
    assert len(stamps) == 120
    busiest = max(sum(1 for t in stamps if start <= t < start + 1.0) for start in stamps)
    assert busiest <= 50
    # and it does not starve: 120 calls at 95% of 50/s take about 2.5 s, not much more
    assert stamps[-1] - stamps[0] < 120 / (50 * RateLimiter.HEADROOM) + 2.0

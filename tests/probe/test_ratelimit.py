"""The global rate limit: acquisitions spaced at least 1/rate seconds apart (token bucket of
depth one), measured on an injected clock."""

from __future__ import annotations

import pytest

from caresec.probe.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(("rate", "gaps", "waits"), [
    (2.0, [0, 0, 0], [0.0, 0.5, 0.5]),  # back to back: 0.5 s apart
    (2.0, [0, 0.2, 1.0], [0.0, 0.3, 0.0]),  # time passed counts towards the next slot
    (10.0, [0, 0, 0, 0], [0.0, 0.1, 0.1, 0.1]),
])
def test_acquisitions_are_spaced(rate, gaps, waits):  # type: ignore[no-untyped-def]
    fake = FakeClock()
    limiter = RateLimiter(rate, clock=fake.clock, sleep=fake.sleep)
    got = []
    for gap in gaps:
        fake.now += gap
        got.append(round(limiter.acquire(), 6))
    assert got == waits
    assert limiter.count == len(gaps)


@pytest.mark.parametrize("rate", [0, -1])
def test_rate_must_be_positive(rate):  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="rate must be positive"):
        RateLimiter(rate)

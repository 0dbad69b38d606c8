"""A global rate limit on the connections and requests a probe run makes.

Every new TCP connection, TLS handshake, DICOM association and HTTP request first calls
:meth:`RateLimiter.acquire`, which spaces them at least ``1 / rate`` seconds apart over the whole
run (a token bucket of depth one), so a probe run never bursts against a clinical system.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Space calls at least ``1 / rate`` seconds apart.

    Args:
        rate: at most this many acquisitions per second (> 0).
        clock: monotonic clock in seconds (injectable for tests).
        sleep: sleep function in seconds (injectable for tests).

    Raises:
        ValueError: ``rate`` is not positive.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = threading.Lock()
        self.count = 0

    def acquire(self) -> float:
        """Wait until the next slot; return the seconds waited."""
        with self._lock:
            now = self._clock()
            wait = max(0.0, self._next - now)
            if wait:
                self._sleep(wait)
            self._next = max(now, self._next) + self.interval
            self.count += 1
            return wait

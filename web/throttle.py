"""Login throttling: too many failed sign-ins for one account, or from one address, in a
sliding window, and further attempts are refused before the password is even checked.

An account is counted by its name whether it exists or not, so a refusal tells nothing
about which names exist. A successful sign-in clears its account's failures (not its
address's: one good password does not buy an address more guesses at other accounts).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from web.config import WebConfig

_SWEEP_AT = 50_000


class LoginThrottle:
    def __init__(self, config: WebConfig, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _keys(self, name: str, address: str) -> tuple[tuple[str, int], tuple[str, int]]:
        c = self.config
        return ((f"name:{name.strip().casefold()}", c.login_failures_per_name),
                (f"addr:{address}", c.login_failures_per_address))

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.config.login_window_s:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def retry_after(self, name: str, address: str) -> int:
        """Seconds until another attempt may be made; 0 if one may be made now."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key, limit in self._keys(name, address):
                times = self._recent(key, now)
                if len(times) >= limit:
                    wait = max(wait, times[-limit] + self.config.login_window_s - now)
        return max(0, int(wait + 0.999))

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) > _SWEEP_AT:  # names made up by a guesser must not pile up
                for key in list(self._failures):
                    self._recent(key, now)
            for key, _limit in self._keys(name, address):
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(name, "")[0][0], None)

"""Slowing down guesses at sign-in: past a few failures in a window, from one client or
at one credential, sign-in answers 429 until the oldest failure leaves the window. Nobody
is locked out for good, and a success clears the slate.

Kept in memory, per process, at a bounded size: the least recently seen keys go first,
so a flood of addresses costs at most `max_keys` small entries."""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    failures: int = 10  # allowed within one window, per client and per credential
    window_seconds: float = 300.0
    max_keys: int = 10_000


class SignInThrottle:
    def __init__(self, limits: Limits | None = None, clock: Callable[[], float] | None = None):
        self._limits = limits or Limits()
        self._clock = clock or time.monotonic
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, client: str, credential: str) -> int:
        """Seconds before this client may try this credential again (0: now)."""
        now = self._clock()
        longest = 0.0
        for key in _keys(client, credential):
            seen = self._recent(key, now)
            if len(seen) >= self._limits.failures:
                longest = max(longest, seen[0] + self._limits.window_seconds - now)
        return math.ceil(longest) if longest > 0 else 0

    def failed(self, client: str, credential: str) -> None:
        now = self._clock()
        for key in _keys(client, credential):
            seen = self._recent(key, now)
            seen.append(now)
            # beyond the limit, older failures no longer change the wait
            while len(seen) > self._limits.failures:
                seen.popleft()
            self._failures[key] = seen
            self._failures.move_to_end(key)
        while len(self._failures) > self._limits.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, client: str, credential: str) -> None:
        for key in _keys(client, credential):
            self._failures.pop(key, None)

    def __len__(self) -> int:
        """How many clients and credentials are remembered (bounded by max_keys)."""
        return len(self._failures)

    def _recent(self, key: str, now: float) -> deque[float]:
        seen = self._failures.get(key, deque())
        while seen and seen[0] + self._limits.window_seconds <= now:
            seen.popleft()
        if not seen:
            self._failures.pop(key, None)
        return seen


def _keys(client: str, credential: str) -> tuple[str, str]:
    # the credential is kept as a digest: this table never holds a usable token
    digest = hashlib.sha256(credential.strip().encode()).hexdigest()[:32]
    return f"client:{client}", f"credential:{digest}"

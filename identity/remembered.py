"""What the directory answered (the person behind a token, a live session), kept in the
process while PostgreSQL says neither people nor sessions changed.

Every request of the API and the pages asks who is behind it; a round trip for that was a
fifth of a short read's time (a coordinator's list served in 1.0 ms, 0.8 ms with the
answer kept: bench/reads.py's served app, in a loop). Revoking a person, erasing them, a
new calendar link, signing out: each fires a trigger (migration 2007) whose notification
makes every process drop what it kept, milliseconds after the change commits. A process
keeps nothing while it is not listening for those notifications, and nothing longer than
KEEP_S, which bounds what a silently dead connection could leave stale. Only what was
found is kept: a token nobody has is asked about each time.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from eventstore.postgres import PostgresEventStore
from eventstore.watch import Watch

# the channel migration 2007's triggers notify
CHANNEL = "directory_changed"
KEEP_S = 30.0
# answers kept at most (the oldest goes first): a few MB, whatever the directory's size
MOST = 10_000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def watch_of(store: PostgresEventStore, remember: bool) -> Watch | None:
    """The directory's watch, when the process keeps answers (`remember`)."""
    return store.watch(CHANNEL) if remember else None


class Remembered(Generic[K, V]):
    def __init__(self, watch: Watch | None, keep_s: float = KEEP_S, most: int = MOST) -> None:
        self._watch = watch
        self._keep_s = keep_s
        self._most = most
        self._kept: dict[K, tuple[float, V]] = {}
        self._mark: int | None = None

    def forget(self) -> None:
        """Nothing kept holds (a change this process made: the notification will tell the
        others)."""
        self._kept.clear()
        if self._watch is not None:
            self._watch.changed()

    async def get(self, key: K, ask: Callable[[], Awaitable[V | None]]) -> V | None:
        """The answer kept for `key` while still current, else `ask()`'s (kept if found)."""
        watch = self._watch
        mark = watch.mark() if watch is not None else None
        if watch is None or mark is None:
            return await ask()
        if mark != self._mark:  # something changed: nothing kept holds
            self._kept.clear()
            self._mark = mark
        now = time.monotonic()
        kept = self._kept.get(key)
        if kept is not None:
            if now - kept[0] < self._keep_s:
                return kept[1]
            del self._kept[key]
        found = await ask()
        # kept only if nothing changed while it was asked (its age counted from before)
        if found is not None and watch.current(mark) and self._mark == mark:
            if len(self._kept) >= self._most:
                del self._kept[next(iter(self._kept))]
            self._kept[key] = (now, found)
        return found

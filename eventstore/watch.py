"""Whether anything changed on a PostgreSQL notification channel since a moment: a LISTEN on a
connection of its own, so that a process may keep what it read until a trigger says the
rows changed.

A watch is a generation count. `mark()` gives the count now, or None while the watch is not
listening (not yet connected, its connection lost): then nothing may be kept, as nothing
would say it went stale. Every notification adds one, and so do losing the connection and
listening again (notifications sent meanwhile were missed). What was read after `mark()`
gave m is still current while `current(m)`: a change that committed before the read began
was seen by the read, and one after it bumps the count when its notification arrives.

The one delay left is the notification's own trip: a change is seen by the other
processes once its notification reaches them, after the commit, as a request that had just
begun would have seen the rows before it. A connection that dies silently (no FIN, no RST)
cannot be told from a quiet one: who keeps answers bounds their age as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger("collab.store")

# after a failed or lost connection, listening is tried again this long after (on demand)
RETRY_S = 5.0

Dial = Callable[[], Awaitable["asyncpg.Connection[Any]"]]


class Watch:
    def __init__(self, dial: Dial, channel: str, retry_s: float = RETRY_S) -> None:
        self._dial = dial
        self._channel = channel
        self._retry_s = retry_s
        self._generation = 0
        self._conn: asyncpg.Connection[Any] | None = None
        self._listening = False
        self._starting: asyncio.Task[None] | None = None
        self._tried_at = -float("inf")
        self._closed = False

    def mark(self) -> int | None:
        """The generation now; None while not listening (and listening is then tried, at
        most once every RETRY_S)."""
        if self._listening:
            return self._generation
        now = time.monotonic()
        if not self._closed and self._starting is None and now - self._tried_at >= self._retry_s:
            self._tried_at = now
            self._starting = asyncio.create_task(self._listen())
        return None

    def current(self, mark: int) -> bool:
        """Nothing changed since `mark()` gave `mark`."""
        return self._listening and mark == self._generation

    def changed(self) -> None:
        """Counts as a change: what was kept before is stale (the tables were restored)."""
        self._generation += 1

    async def started(self) -> bool:
        """Listening now (started if need be, at once): for a process that wants to keep
        answers from its first request, and for tests."""
        if not self._listening and not self._closed:
            if self._starting is None:
                self._tried_at = time.monotonic()
                self._starting = asyncio.create_task(self._listen())
            await asyncio.shield(self._starting)
        return self._listening

    async def _listen(self) -> None:
        try:
            conn = await self._dial()
            try:
                await conn.add_listener(self._channel, self._notified)
            except BaseException:
                await conn.close()
                raise
            conn.add_termination_listener(self._lost)
            if self._closed:
                await conn.close()
                return
            self._conn = conn
            self._generation += 1  # notifications before now were not heard
            self._listening = True
            if conn.is_closed():  # lost before its termination listener was added
                self._lost()
                return
            log.info("listening for changes", channel=self._channel)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            log.warning("cannot listen for changes", channel=self._channel, error=str(err))
        finally:
            self._starting = None

    def _notified(self, *_: Any) -> None:
        self._generation += 1

    def _lost(self, *_: Any) -> None:
        self._listening = False
        self._generation += 1
        self._conn = None
        if not self._closed:
            log.warning("lost the connection listening for changes", channel=self._channel)

    async def close(self) -> None:
        self._closed = True
        self._listening = False
        if self._starting is not None:
            with contextlib.suppress(Exception):
                await self._starting
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

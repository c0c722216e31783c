"""The store's seam: what the rest of the system may ask of an event store.

Activities depend on this protocol, not on PostgreSQL, so a test double or another
backend can stand in. The PostgreSQL implementation is ``eventstore.postgres``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from eventstore.records import AppendResult, ChainBreak, GlobalCursor, NewEvent, StoredEvent

START = GlobalCursor()  # the beginning of the global feed


class EventRecorder(Protocol):
    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int
    ) -> AppendResult:
        """Append ``events`` (versions expected_version+1, +2, ...) atomically.

        Raises ``ConcurrencyError`` if the stream is not at ``expected_version``, unless
        these very events are already stored (a retry): then nothing is written and the
        original positions come back with ``written=False``. Raises
        ``IdempotencyConflict`` if an event id is stored with different content.
        """
        ...

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]:
        """Events of one stream from ``from_version`` on, in version order, upcast."""
        ...

    async def read_all(self, after: GlobalCursor = START, limit: int = 1000) -> list[StoredEvent]:
        """Up to ``limit`` events after ``after`` in global order, upcast. A reader that
        follows ``cursor_after`` of the last event sees every event exactly once."""
        ...

    async def stream_version(self, stream_id: str) -> int:
        """Current version of a stream (0 if it has no events)."""
        ...

    async def verify(self, stream_id: str | None = None) -> ChainBreak | None:
        """Recompute the hash chain of one stream (or all) and return the first break."""
        ...


def cursor_after(event: StoredEvent) -> GlobalCursor:
    """The cursor that resumes ``read_all`` just after ``event``."""
    return GlobalCursor(event.tx_id, event.position)

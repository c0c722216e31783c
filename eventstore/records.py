"""The records that cross the store's seam.

The store is domain-agnostic: it stores typed JSON facts in streams. The domain's
pydantic events are mapped to and from these records by the activities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append. ``version`` is the stream version it takes (1-based)."""

    event_id: UUID
    stream_id: str
    version: int
    type: str
    schema_version: int
    occurred_at: datetime  # business time, timezone-aware, supplied by the caller
    actor_id: str
    actor_role: str
    reason: str | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as read back. ``position`` is the global sequence; ``tx_id`` is the
    writing transaction's id (xid8), which orders the global feed together with position."""

    event_id: UUID
    stream_id: str
    version: int
    position: int
    tx_id: int
    type: str
    schema_version: int
    occurred_at: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str
    reason: str | None
    data: dict[str, Any]
    hash: bytes
    prev_hash: bytes | None
    # 1: the hash covers what the writer supplied; 2 (migration 0007 on): and the recorded time
    hash_scheme: int = 1


@dataclass(frozen=True, slots=True, order=True)
class GlobalCursor:
    """Where a catch-up reader stands in the global order: (transaction id, position).
    The zero cursor reads from the beginning."""

    tx_id: int = 0
    position: int = 0


@dataclass(frozen=True, slots=True)
class AppendResult:
    stream_id: str
    last_version: int
    positions: tuple[int, ...]
    written: bool  # False when every event was already stored (an idempotent retry)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first event whose stored hash does not match its recomputed content."""

    stream_id: str
    version: int
    event_id: UUID
    detail: str


@dataclass(frozen=True, slots=True)
class FeedDocuments:
    """A page of the global feed from ``read_all_documents``: in feed order, the text the
    reader's SQL expression made of each event's row. An event that an upcaster applies
    to is also in ``upcast`` (by its index), as ``read_all`` returns it: its document
    shows the stored, older shape, so the reader takes the upcast record instead."""

    documents: list[str | None]  # None where the reader's expression gives NULL
    upcast: dict[int, StoredEvent]
    after: GlobalCursor  # where the next page starts (``after`` itself when empty)


@dataclass(frozen=True, slots=True)
class StreamDocuments:
    """One stream from ``read_stream_documents``: in version order, the text the reader's
    SQL expression made of each event's row; an event that an upcaster applies to is
    also in ``upcast`` (by its index), as ``read_stream`` returns it."""

    documents: list[str]
    upcast: dict[int, StoredEvent]

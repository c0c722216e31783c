"""Errors raised by the event store.

Callers branch on these, never on driver exceptions: a ``ConcurrencyError`` means
"reload the stream and decide again", an ``InvalidAppend`` is a programming error.
"""

from __future__ import annotations

from uuid import UUID


class EventStoreError(Exception):
    """Base class of every error the store raises on purpose."""


class InvalidAppend(EventStoreError, ValueError):
    """The append request itself is malformed (wrong versions, wrong stream, naive time,
    data that is not JSON...). Retrying cannot help."""


class ConcurrencyError(EventStoreError):
    """The stream is not at the version the writer based its decision on."""

    def __init__(self, stream_id: str, expected: int, actual: int, message: str | None = None):
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            message or f"stream {stream_id!r}: expected version {expected}, actual version {actual}"
        )


class IdempotencyConflict(ConcurrencyError):
    """An event id is already stored with different content: a retry that is not a retry.

    It is a ``ConcurrencyError`` so that callers who only reload-and-retry stay correct,
    but it usually reveals a bug (an event id reused for a different fact).
    """

    def __init__(self, stream_id: str, expected: int, actual: int, event_id: UUID, detail: str):
        self.event_id = event_id
        self.detail = detail
        super().__init__(
            stream_id,
            expected,
            actual,
            f"stream {stream_id!r}: event {event_id} is already stored with different "
            f"content ({detail}); expected version {expected}, actual version {actual}",
        )


class StoreUnreachable(EventStoreError, ConnectionError):
    """The database could not be reached, or the connection to it was lost during a call
    (a restart, a network cut, a server refusing connections). A call that wrote may have
    committed before the loss: appends are idempotent, so retrying later is safe."""


class MigrationError(EventStoreError):
    """The database schema cannot be brought to the version this code expects."""

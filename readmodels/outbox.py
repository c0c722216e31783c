"""The notifications outbox: claim what is due, record what became of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from eventstore.postgres import PostgresEventStore


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: UUID
    project_id: str
    kind: str
    reminder_key: str
    recipients: list[str]
    subject: str
    due_at: datetime
    attempts: int


Send = Callable[[Notification], Awaitable[Sequence[str]]]


class Outbox:
    def __init__(self, store: PostgresEventStore, max_attempts: int = 8) -> None:
        self._store = store
        self.max_attempts = max_attempts

    async def deliver_due(
        self, send: Send, now: datetime, limit: int = 50, lease: timedelta = timedelta(minutes=5)
    ) -> int:
        """Send what is due and record what became of it. Each row is leased in one short
        statement, sent with no transaction open (a writing transaction held across SMTP
        would hold back the store's global feed), then marked. Two senders never take the
        same row; a sender that dies mid-send leaves a lease that expires, and the row is
        sent again: at least once, and the message id lets receivers drop the duplicate.
        `send(notification)` returns the addresses used."""
        delivered = 0
        for _ in range(limit):
            async with self._store.connection() as conn:
                row = await conn.fetchrow(_LEASE, now, now + lease)
            if row is None:
                return delivered
            note = Notification.model_validate(dict(row))
            try:
                sent_to = await send(note)
            except Exception as err:  # any delivery failure is retried, then recorded
                attempts = note.attempts + 1
                async with self._store.connection() as conn:
                    await conn.execute(
                        """UPDATE notifications SET attempts = $2, last_error = $3,
                               status = $4, next_attempt_at = $5, lease_until = NULL
                           WHERE event_id = $1""",
                        note.event_id,
                        attempts,
                        f"{type(err).__name__}: {err}"[:2000],
                        "failed" if attempts >= self.max_attempts else "pending",
                        now + backoff(attempts),
                    )
                continue
            async with self._store.connection() as conn:
                await conn.execute(
                    """UPDATE notifications SET status = 'sent', attempts = attempts + 1,
                           sent_at = $2, sent_to = $3, last_error = NULL, lease_until = NULL
                       WHERE event_id = $1""",
                    note.event_id,
                    now,
                    list(sent_to),
                )
            delivered += 1
        return delivered

    async def by_status(self) -> dict[str, int]:
        async with self._store.connection() as conn:
            rows = await conn.fetch("SELECT status, count(*) AS n FROM notifications GROUP BY 1")
        return {r["status"]: r["n"] for r in rows}


def backoff(attempts: int) -> timedelta:
    """1 min, 2, 4, ... capped at 6 hours."""
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


_LEASE = """
UPDATE notifications SET status = 'sending', lease_until = $2
WHERE event_id = (
    SELECT event_id FROM notifications
    WHERE (status = 'pending' AND next_attempt_at <= $1)
       OR (status = 'sending' AND lease_until <= $1)
    ORDER BY next_attempt_at, event_id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
RETURNING event_id, project_id, kind, reminder_key, recipients, subject, due_at, attempts
"""

"""Web sessions, server-side: a signed cookie names one, and only a live one (not ended,
not expired, its person not revoked) signs anybody in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eventstore.postgres import PostgresEventStore
from identity.remembered import Remembered, watch_of


@dataclass(frozen=True)
class WebSession:
    session_id: str
    person_id: str
    csrf: str  # the token every form of this session carries back
    expires_at: datetime


class SessionStore:
    def __init__(self, store: PostgresEventStore, *, remember: bool = False) -> None:
        """`remember`: keep the sessions found live while the directory does not change
        (identity.remembered): for a process answering requests."""
        self._store = store
        self._found: Remembered[str, WebSession] = Remembered(watch_of(store, remember))

    async def open(
        self, person_id: str, lasting: timedelta, replacing: str | None = None
    ) -> WebSession:
        """`replacing`: the session the browser held before signing in, ended in the same
        transaction, so that an id known before signing in (planted, or seen on a shared
        computer) never names a signed-in session."""
        session_id, csrf = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        async with self._store.connection() as conn, conn.transaction():
            if replacing is not None:
                await conn.execute(_END, replacing)
            expires_at = await conn.fetchval(
                "INSERT INTO web_sessions (session_id, person_id, csrf, expires_at) "
                "VALUES ($1, $2, $3, now() + $4) RETURNING expires_at",
                session_id,
                person_id,
                csrf,
                lasting,
            )
        if replacing is not None:
            self._found.forget()
        return WebSession(session_id, person_id, csrf, expires_at)

    async def live(self, session_id: str) -> WebSession | None:
        found = await self._found.get(session_id, lambda: self._live(session_id))
        # one kept past its end is over, as the database would say
        return found if found is not None and found.expires_at > datetime.now(UTC) else None

    async def _live(self, session_id: str) -> WebSession | None:
        async with self._store.connection() as conn:
            row = await conn.fetchrow(
                """SELECT s.session_id, s.person_id, s.csrf, s.expires_at
                   FROM web_sessions s JOIN people p USING (person_id)
                   WHERE s.session_id = $1 AND s.ended_at IS NULL AND s.expires_at > now()
                     AND p.revoked_at IS NULL""",
                session_id,
            )
        return WebSession(**dict(row)) if row else None

    async def end(self, session_id: str) -> None:
        async with self._store.connection() as conn:
            await conn.execute(_END, session_id)
        self._found.forget()  # this process at once; the others when notified


_END = "UPDATE web_sessions SET ended_at = now() WHERE session_id = $1 AND ended_at IS NULL"

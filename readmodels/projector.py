"""The catch-up projector: follows the store's global feed and keeps the read models.

Each batch of events and the checkpoint that follows it commit in one transaction, so an
event's effect lands exactly once, whatever crashes in between. The rules are the domain's:
the projector folds each project's state with `domain.evolve` and derives rows from it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from activities.event_records import from_record
from domain.deadlines import open_deadlines
from domain.events import ReminderSent
from domain.evolve import evolve
from domain.policy import DEFAULT_POLICY, Policy
from domain.state import ProjectState
from eventstore.migrations import migrate
from eventstore.postgres import PostgresEventStore
from eventstore.recorder import cursor_after
from eventstore.records import GlobalCursor, StoredEvent

MIGRATIONS = Path(__file__).with_name("migrations")
NAME = "read_models"
_LOCK_KEY = int.from_bytes(b"project", "big")
log = structlog.get_logger("collab.projector")


async def migrate_read_models(owner_url: str) -> list[int]:
    """Create or update the read-model tables, as the schema owner."""
    conn = await asyncpg.connect(owner_url)
    try:
        return await migrate(conn, directory=MIGRATIONS)
    finally:
        await conn.close()


class Projector:
    def __init__(self, store: PostgresEventStore, policy: Policy = DEFAULT_POLICY) -> None:
        self._store = store
        self._policy = policy

    async def checkpoint(self) -> GlobalCursor:
        async with self._store.connection() as conn:
            row = await conn.fetchrow(
                "SELECT tx_id, position FROM projection_checkpoints WHERE name = $1", NAME
            )
        return GlobalCursor(row["tx_id"], row["position"]) if row else GlobalCursor()

    async def catch_up(
        self, batch_size: int = 1000, progress: Callable[[int], None] | None = None
    ) -> int:
        """Apply every event not yet projected; return how many were applied."""
        cursor = await self.checkpoint()
        applied = 0
        while True:
            batch = await self._store.read_all(cursor, limit=batch_size)
            if not batch:
                return applied
            if await self._apply(batch, cursor):
                cursor = cursor_after(batch[-1])
                applied += len(batch)
                if progress:
                    progress(applied)
            else:  # another projector (or a rebuild) moved the checkpoint: start from it
                cursor = await self.checkpoint()

    async def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Forget the read models and project every event again."""
        async with self._store.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            for table in ("decisions", "deadlines", "portfolio", "project_states"):
                await conn.execute(f"DELETE FROM {table}")
            await conn.execute("DELETE FROM projection_checkpoints WHERE name = $1", NAME)
        return await self.catch_up(progress=progress)

    async def run(self, poll_interval: float = 0.5) -> None:
        """Follow the feed until cancelled."""
        while True:
            n = await self.catch_up()
            if n:
                log.info("projected", events=n)
            await asyncio.sleep(poll_interval)

    async def _apply(self, batch: Sequence[StoredEvent], after: GlobalCursor) -> bool:
        """Project `batch`, read from `after`, unless the checkpoint is no longer `after`
        (another projector got there first, or a rebuild reset it): then nothing."""
        project_ids = sorted({e.stream_id for e in batch})
        async with self._store.connection() as conn, conn.transaction():
            # one projector at a time (the runner, and readers catching up before a query):
            # the second waits here, then skips the events the first has already folded
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            row = await conn.fetchrow(
                "SELECT tx_id, position FROM projection_checkpoints WHERE name = $1", NAME
            )
            if (GlobalCursor(row["tx_id"], row["position"]) if row else GlobalCursor()) != after:
                return False
            rows = await conn.fetch(
                "SELECT project_id, state FROM project_states WHERE project_id = ANY($1)",
                project_ids,
            )
            states = {r["project_id"]: ProjectState.model_validate_json(r["state"]) for r in rows}
            decisions: list[tuple[Any, ...]] = []
            reminders: list[tuple[Any, ...]] = []
            for stored in batch:
                state = states.get(stored.stream_id, ProjectState())
                event = from_record(stored)
                states[stored.stream_id] = evolve(state, event)
                if isinstance(event, ReminderSent):
                    reminders.append(
                        (
                            event.event_id,
                            event.project_id,
                            event.data.kind.value,
                            event.data.key,
                            list(event.data.recipients),
                            event.data.subject,
                            event.data.due_at,
                        )
                    )
                if stored.reason:
                    decisions.append(
                        (
                            stored.event_id,
                            stored.stream_id,
                            stored.version,
                            stored.type,
                            stored.occurred_at,
                            stored.recorded_at,
                            stored.actor_id,
                            stored.actor_role,
                            stored.reason,
                        )
                    )
            touched = [states[p] for p in project_ids if p in states]
            await conn.executemany(
                """INSERT INTO project_states (project_id, version, state) VALUES ($1, $2, $3)
                   ON CONFLICT (project_id) DO UPDATE
                   SET version = EXCLUDED.version, state = EXCLUDED.state""",
                [(s.project_id, s.version, s.model_dump_json()) for s in touched],
            )
            await conn.executemany(_UPSERT_PORTFOLIO, [_portfolio_row(s) for s in touched])
            await conn.execute("DELETE FROM deadlines WHERE project_id = ANY($1)", project_ids)
            await conn.executemany(
                "INSERT INTO deadlines (project_id, kind, ref, due_at, label) "
                "VALUES ($1, $2, $3, $4, $5)",
                [
                    (s.project_id, d.kind.value, d.ref, d.due_at, d.label)
                    for s in touched
                    for d in open_deadlines(s, self._policy)
                ],
            )
            if decisions:
                await conn.executemany(
                    "INSERT INTO decisions VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                    "ON CONFLICT (event_id) DO NOTHING",
                    decisions,
                )
            if reminders:
                # ON CONFLICT: a rebuild re-projects old reminders; they were sent already
                await conn.executemany(
                    "INSERT INTO notifications (event_id, project_id, kind, reminder_key, "
                    "recipients, subject, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                    "ON CONFLICT (event_id) DO NOTHING",
                    reminders,
                )
            last = batch[-1]
            await conn.execute(
                """INSERT INTO projection_checkpoints (name, tx_id, position) VALUES ($1, $2, $3)
                   ON CONFLICT (name) DO UPDATE
                   SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position""",
                NAME,
                last.tx_id,
                last.position,
            )
        return True


_UPSERT_PORTFOLIO = """
INSERT INTO portfolio (project_id, instrument, title, phase, coordinator_id, coordinator, labs,
    countries, call_id, requested_eur, awarded_eur, released_eur, term_number, term_starts_at,
    term_ends_at, renewals, successor_id, version, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
ON CONFLICT (project_id) DO UPDATE SET
    phase = EXCLUDED.phase, awarded_eur = EXCLUDED.awarded_eur,
    released_eur = EXCLUDED.released_eur, term_number = EXCLUDED.term_number,
    term_starts_at = EXCLUDED.term_starts_at, term_ends_at = EXCLUDED.term_ends_at,
    renewals = EXCLUDED.renewals, successor_id = EXCLUDED.successor_id,
    version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
"""


def _portfolio_row(s: ProjectState) -> tuple[Any, ...]:
    app = s.application
    assert app is not None and s.last_event_at is not None
    return (
        s.project_id,
        app.instrument.value,
        app.title,
        s.phase.value,
        app.coordinator.id,
        app.coordinator.name,
        json.dumps([lab.model_dump(mode="json") for lab in app.labs]),
        sorted({lab.country for lab in app.labs}),
        s.call_id,
        app.requested_eur,
        s.awarded_eur,
        s.released_eur,
        s.term.number if s.term else None,
        s.term.starts_at if s.term else None,
        s.term.ends_at if s.term else None,
        s.renewals_granted,
        s.successor_project_id,
        s.version,
        s.last_event_at,
    )

"""What operators watch, read from the database in a few cheap statements: how far the
projector and the ledger's sealer are behind the store's feed, and the reminders' outbox.

Each statement is bounded whatever the store's size: a lag is counted along the feed's
index from the checkpoint, at most `bound` events (beyond it: "at least bound"); the
outbox's waiting states are counted on their partial indexes, and what was sent at most
`bound` rows (beyond: the planner's estimate of the table's rows less the rest). One
read-only transaction holds them all, under a statement timeout."""

from __future__ import annotations

from dataclasses import dataclass

from eventstore.ledger import NAME as LEDGER
from eventstore.postgres import PostgresEventStore
from readmodels.projector import NAME as PROJECTOR

# events counted behind a checkpoint at most: a lag past it reads as this many
LAG_BOUND = 100_000

# the events after a checkpoint (table: projection_checkpoints or ledger_checkpoint), in
# the feed's order along its index, at most $2: how many, and how old the oldest is
_BEHIND = """
SELECT count(*) AS events,
       COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(recorded_at)), 0)::float8
           AS seconds
FROM (
    SELECT e.recorded_at FROM events e
    WHERE (e.tx_id, e.position) > (
        COALESCE((SELECT tx_id FROM {table} WHERE name = $1), 0)::text::xid8,
        COALESCE((SELECT position FROM {table} WHERE name = $1), 0)
    )
    ORDER BY e.tx_id, e.position
    LIMIT $2
) behind
"""

_OUTBOX = """
SELECT
    (SELECT count(*) FROM notifications WHERE status = 'pending') AS queued,
    (SELECT count(*) FROM notifications WHERE status = 'sending') AS sending,
    (SELECT count(*) FROM notifications WHERE status = 'failed') AS failed,
    (SELECT count(*) FROM (SELECT 1 FROM notifications WHERE status = 'sent' LIMIT $1) s)
        AS sent,
    (SELECT GREATEST(reltuples, 0)::bigint FROM pg_class
     WHERE oid = 'notifications'::regclass) AS all_estimate,
    COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - LEAST(
        (SELECT min(created_at) FROM notifications WHERE status = 'pending'),
        (SELECT min(created_at) FROM notifications WHERE status = 'sending')
    )), 0)::float8 AS oldest_unsent_seconds
"""


@dataclass(frozen=True)
class Behind:
    """How far a follower of the feed is behind its head."""

    events: int  # at most LAG_BOUND (then: at least that many)
    seconds: float  # how long ago the oldest event it has not taken was recorded; 0: none


@dataclass(frozen=True)
class Outbox:
    queued: int  # waiting for their first or next attempt
    sending: int  # leased by a sender now
    failed: int  # given up on after every attempt
    sent: int  # exact up to LAG_BOUND; beyond, the planner's estimate
    oldest_unsent_seconds: float  # since the oldest queued or sending one was made; 0: none


@dataclass(frozen=True)
class Figures:
    projector: Behind
    sealer: Behind
    outbox: Outbox


async def figures(store: PostgresEventStore, timeout_ms: int = 2000) -> Figures:
    async with store.connection() as conn, conn.transaction(readonly=True):
        await conn.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        projector = await conn.fetchrow(
            _BEHIND.format(table="projection_checkpoints"), PROJECTOR, LAG_BOUND
        )
        sealer = await conn.fetchrow(_BEHIND.format(table="ledger_checkpoint"), LEDGER, LAG_BOUND)
        outbox = await conn.fetchrow(_OUTBOX, LAG_BOUND)
    assert projector is not None and sealer is not None and outbox is not None
    sent = outbox["sent"]
    if sent >= LAG_BOUND:
        waiting = outbox["queued"] + outbox["sending"] + outbox["failed"]
        sent = max(sent, outbox["all_estimate"] - waiting)
    return Figures(
        projector=Behind(projector["events"], projector["seconds"]),
        sealer=Behind(sealer["events"], sealer["seconds"]),
        outbox=Outbox(
            queued=outbox["queued"],
            sending=outbox["sending"],
            failed=outbox["failed"],
            sent=sent,
            oldest_unsent_seconds=outbox["oldest_unsent_seconds"],
        ),
    )


async def projector_behind(store: PostgresEventStore, timeout_ms: int = 2000) -> Behind:
    """The projector's lag alone (what readiness asks)."""
    async with store.connection() as conn, conn.transaction(readonly=True):
        await conn.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        row = await conn.fetchrow(
            _BEHIND.format(table="projection_checkpoints"), PROJECTOR, LAG_BOUND
        )
    assert row is not None
    return Behind(row["events"], row["seconds"])


async def database_answers(store: PostgresEventStore) -> None:
    """Raises when the database cannot be reached (no connection, or no answer)."""
    async with store.connection() as conn:
        await conn.fetchval("SELECT 1")

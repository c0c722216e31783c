"""The ledger: every event, once visible in the global feed, gets the next index of one
append-only log, and the log's leaves are a Merkle tree (RFC 9162, eventstore.merkle).

Per-stream hash chains (eventstore.hashing) catch an edit inside a stream; they cannot
see a stream deleted whole, a stream's tail cut with its head reset, or an event forged by
someone who recomputes its chain. A tree head signed and kept outside the database
(eventstore.tree_head) pins the whole log at a size: every later check proves the log
still extends it, so any of those changes to a sealed event breaks the proof.

A leaf covers every column a person sees: the event's canonical bytes (stream, version,
type, schema version, payload, actor, reason, business time), its recorded time and its
chain hashes. Indexes are assigned by one sealer at a time, in the feed's order, as
events become visible there: writers never wait for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eventstore import merkle
from eventstore.hashing import canonical_bytes, event_hash, utc_iso
from eventstore.migrations import Connection
from eventstore.postgres import PostgresEventStore, _columns, _feed, _stored_event
from eventstore.records import StoredEvent
from eventstore.tree_head import TreeHead, sign

NAME = "ledger"
_SKIPPED = """
SELECT e.event_id, e.stream_id, e.version
FROM events e, ledger_checkpoint c
WHERE c.name = $1
  AND (e.tx_id, e.position) <= (c.tx_id::text::xid8, c.position)
  AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.event_id = e.event_id)
ORDER BY e.tx_id, e.position
LIMIT 1
"""
log = structlog.get_logger("collab.ledger")
LOCK_KEY = 0x1ED6E5  # pg_advisory_xact_lock: one sealer at a time (and eventstore.resealing)
SEAL_BATCH = 5000
_UNSEALED = _feed(_columns())
_SEALED = f"""
SELECT l.ledger_index, l.event_id AS sealed_id, l.leaf_hash, {_columns("e")}
FROM ledger l LEFT JOIN events e ON e.event_id = l.event_id
WHERE l.ledger_index >= $1 ORDER BY l.ledger_index LIMIT $2
"""


def leaf_input(event: StoredEvent, canonical: bytes | None = None) -> bytes:
    """What a leaf hashes: the event's canonical bytes, then its recorded time and its
    chain hashes (the columns the writer does not supply)."""
    tail = f"\n{utc_iso(event.recorded_at)}\n{event.hash.hex()}\n{(event.prev_hash or b'').hex()}"
    return (canonical if canonical is not None else canonical_bytes(event)) + tail.encode()


def event_leaf(event: StoredEvent) -> bytes:
    return merkle.leaf_hash(leaf_input(event))


@dataclass(frozen=True)
class LedgerBreak:
    """The first sealed event that no longer matches its leaf, or a hole in the log."""

    index: int
    event_id: UUID | None
    stream_id: str | None
    version: int | None
    detail: str


class LedgerBroken(Exception):
    def __init__(self, broken: LedgerBreak) -> None:
        super().__init__(broken.detail)
        self.broken = broken


@dataclass(frozen=True)
class LedgerState:
    """The sealed log as stored: its leaves, and the first place a row does not match."""

    leaves: list[bytes]
    broken: LedgerBreak | None


class Ledger:
    def __init__(self, store: PostgresEventStore) -> None:
        self._store = store
        # the event sealing last stopped at: it does not match its own hash
        self.stopped_at: StoredEvent | None = None

    async def seal(self, progress: Callable[[int], None] | None = None) -> int:
        """Give every event now visible in the feed its ledger index; the ledger's size."""
        self.stopped_at = None
        while True:
            sealed, size = await self._seal_batch()
            if progress is not None and sealed:
                progress(size)
            if sealed < SEAL_BATCH:
                return size

    async def _seal_batch(self) -> tuple[int, int]:
        async with self._store.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
            at = await conn.fetchrow(
                "SELECT tx_id, position, size FROM ledger_checkpoint WHERE name = $1", NAME
            )
            tx_id, position, size = (at["tx_id"], at["position"], at["size"]) if at else (0, 0, 0)
            rows = await conn.fetch(_UNSEALED, tx_id, position, SEAL_BATCH)
            if not rows:
                return 0, size
            events = []
            leaves = []
            for row in rows:
                event = _stored_event(row)
                canonical = canonical_bytes(event)  # once: for the hash check and the leaf
                if event_hash(event, canonical) != event.hash:
                    # never seal content its own hash disowns: sealing stops here, and the
                    # chain check names the event until it is put right
                    self.stopped_at = event
                    break
                events.append(event)
                leaves.append(merkle.leaf_hash(leaf_input(event, canonical)))
            if not events:
                return 0, size
            await conn.executemany(
                "INSERT INTO ledger (ledger_index, event_id, leaf_hash) VALUES ($1, $2, $3)",
                [
                    (size + i, e.event_id, leaf)
                    for i, (e, leaf) in enumerate(zip(events, leaves, strict=True))
                ],
            )
            last = events[-1]
            await conn.execute(
                "INSERT INTO ledger_checkpoint (name, tx_id, position, size) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE "
                "SET tx_id = $2, position = $3, size = $4",
                NAME,
                last.tx_id,
                last.position,
                size + len(events),
            )
            if len(events) < len(rows):
                return 0, size + len(events)  # stop: see above
            return len(events), size + len(events)

    async def signed_head(self, key: Ed25519PrivateKey) -> TreeHead:
        """Seal what is visible and sign the ledger's head; refused (LedgerBroken) when a
        sealed event no longer matches its leaf, when sealing stopped at an event its own
        hash disowns, or when an event sits behind the checkpoint unsealed: no digest
        vouches for a broken record."""
        await self.seal()
        stopped = self.stopped_at
        if stopped is not None:
            raise LedgerBroken(
                LedgerBreak(
                    await self.size(),
                    stopped.event_id,
                    stopped.stream_id,
                    stopped.version,
                    f"sealing stopped at {stopped.stream_id} v{stopped.version} "
                    f"(event {stopped.event_id}): it does not match its own hash",
                )
            )
        skipped = await self.skipped()
        if skipped is not None:
            raise LedgerBroken(skipped)
        state = await self.state()
        if state.broken is not None:
            raise LedgerBroken(state.broken)
        return sign(len(state.leaves), merkle.root(state.leaves), key, datetime.now(UTC))

    async def skipped(self) -> LedgerBreak | None:
        """The first event the sealer has passed (it stands at or before the checkpoint in
        the feed's order) that the ledger does not hold: one inserted behind its back."""
        async with self._store.connection() as conn:
            row = await conn.fetchrow(_SKIPPED, NAME)
        if row is None:
            return None
        return LedgerBreak(
            -1,
            row["event_id"],
            row["stream_id"],
            row["version"],
            f"{row['stream_id']} v{row['version']} (event {row['event_id']}) stands before "
            "the ledger's checkpoint but was never sealed: it was inserted behind the "
            "sealer's back",
        )

    async def size(self) -> int:
        async with self._store.connection() as conn:
            return await sealed_size(conn)

    async def run(self, every_s: float = 1.0) -> None:
        """Seal as events arrive, until cancelled (a task of `collab up` and the projector)."""
        import asyncio

        reported: UUID | None = None
        while True:
            try:
                await self.seal()
            except Exception:
                # sealing only records: a failure (the database away, a row in its way)
                # is logged and tried again, never allowed to stop the service around it
                log.exception("ledger: sealing failed; trying again")
            stopped = self.stopped_at
            if stopped is not None and stopped.event_id != reported:
                log.error(
                    "ledger: an event does not match its hash; sealing stops before it",
                    stream=stopped.stream_id,
                    version=stopped.version,
                    event_id=str(stopped.event_id),
                )
            reported = stopped.event_id if stopped else None
            await asyncio.sleep(every_s)

    async def state(self, batch: int = 20000) -> LedgerState:
        """Walk the sealed log in index order, recomputing each leaf from its event's row
        as it is stored now. The leaves returned are the recomputed ones (a deleted
        event's is its stored leaf: the hole is reported, the tree stays comparable)."""
        leaves: list[bytes] = []
        broken: LedgerBreak | None = None
        async with self._store.connection() as conn:
            while True:
                rows = await conn.fetch(_SEALED, len(leaves), batch)
                for row in rows:
                    index = row["ledger_index"]
                    stored = bytes(row["leaf_hash"])
                    if index != len(leaves):
                        broken = broken or LedgerBreak(
                            len(leaves), None, None, None,
                            f"ledger indexes {len(leaves)}–{index - 1} are missing",
                        )  # fmt: skip
                        return LedgerState(leaves, broken)
                    if row["event_id"] is None:
                        broken = broken or LedgerBreak(
                            index, row["sealed_id"], None, None,
                            f"event {row['sealed_id']} (ledger index {index}) was deleted",
                        )  # fmt: skip
                        leaves.append(stored)
                        continue
                    event = _stored_event(row)
                    recomputed = event_leaf(event)
                    if recomputed != stored and broken is None:
                        broken = LedgerBreak(
                            index, event.event_id, event.stream_id, event.version,
                            f"{event.stream_id} v{event.version} (event {event.event_id}, "
                            f"ledger index {index}) does not match its sealed leaf: "
                            "the event was altered",
                        )  # fmt: skip
                    leaves.append(recomputed)
                if len(rows) < batch:
                    return LedgerState(leaves, broken)

    async def leaf_input(self, index: int) -> bytes:
        """What the leaf at `index` hashes, from its event's row as stored now."""
        async with self._store.connection() as conn:
            row = await conn.fetchrow(
                f"SELECT {_columns('e')} FROM ledger l JOIN events e USING (event_id) "
                "WHERE l.ledger_index = $1",
                index,
            )
        if row is None:
            raise LookupError(f"no event at ledger index {index}")
        return leaf_input(_stored_event(row))

    async def entries(self, start: int, limit: int) -> list[dict[str, object]]:
        """Sealed events from index `start`: where each stands, what it is."""
        async with self._store.connection() as conn:
            rows = await conn.fetch(
                "SELECT l.ledger_index, l.event_id, e.stream_id, e.version, e.type "
                "FROM ledger l LEFT JOIN events e USING (event_id) "
                "WHERE l.ledger_index >= $1 ORDER BY l.ledger_index LIMIT $2",
                start,
                limit,
            )
        return [dict(r) for r in rows]

    async def stored_leaves(self, size: int) -> list[bytes]:
        """The first `size` leaves as sealed (no event is read: a proof built from them is
        checked against a signed root, which a changed leaf cannot match)."""
        async with self._store.connection() as conn:
            return await sealed_leaves(conn, size)

    async def locate(self, event_id: UUID) -> int | None:
        async with self._store.connection() as conn:
            index = await conn.fetchval(
                "SELECT ledger_index FROM ledger WHERE event_id = $1", event_id
            )
        return None if index is None else int(index)


async def sealed_size(conn: Connection) -> int:
    """How many events the ledger has sealed."""
    found = await conn.fetchval("SELECT size FROM ledger_checkpoint WHERE name = $1", NAME)
    return int(found or 0)


async def sealed_leaves(conn: Connection, size: int) -> list[bytes]:
    """The first `size` leaves as sealed, in index order."""
    rows = await conn.fetch(
        "SELECT leaf_hash FROM ledger WHERE ledger_index < $1 ORDER BY ledger_index", size
    )
    return [bytes(r["leaf_hash"]) for r in rows]

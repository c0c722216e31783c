"""Sealing the personal fields of events recorded before sealing began (GDPR erasure for
them too), in place, the record still provable (README, "Personal data").

Run once by an operator, as the schema owner (the application role may not rewrite an
event). One transaction: interrupted, it changed nothing, and it is run again; run again
after it succeeded, it finds nothing in clear and changes nothing.

In that transaction: no sealer runs and no writer appends (readers read on); each event
holding a name or an e-mail in clear gets them sealed as an append would have
(eventstore.shredding.seal, deterministic), its hash and the chain of its stream after it
are computed again, and the ledger's leaves of those events replaced; then a statement
signed with the ledger's key records the ledger's head before and after and each leaf's
old and new hash (eventstore.reanchoring), so that a digest taken before still verifies.
`differences` is the check of whoever holds the people's keys: each rewritten event, its
sealed fields opened, hashes to its kept old leaf."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.personal_data import PERSONAL_PATHS, transform
from eventstore import merkle, reanchoring, shredding
from eventstore.errors import EventStoreError
from eventstore.hashing import canonical_parts, event_hash
from eventstore.ledger import LOCK_KEY, Ledger, event_leaf, sealed_leaves, sealed_size
from eventstore.migrations import Connection
from eventstore.postgres import PostgresEventStore, _columns, _stored_event
from eventstore.reanchoring import Change, Statement
from eventstore.records import StoredEvent
from eventstore.tree_head import sign

_NAMING_TYPES = sorted(PERSONAL_PATHS)
_CANDIDATES = "SELECT stream_id, version, type, data::text AS data FROM events WHERE type = ANY($1)"
_STREAM_FROM = (
    f"SELECT {_columns()} FROM events WHERE stream_id = $1 AND version >= $2 ORDER BY version"
)
_REWRITE = "UPDATE events SET data = $2::jsonb, hash = $3, prev_hash = $4 WHERE event_id = $1"
_HEAD = "UPDATE streams SET last_hash = $2 WHERE stream_id = $1 AND version = $3"
_LEAVES = "SELECT event_id, ledger_index, leaf_hash FROM ledger WHERE event_id = ANY($1::uuid[])"
_RELEAF = "UPDATE ledger SET leaf_hash = $2 WHERE ledger_index = $1"


class ResealRefused(EventStoreError):
    """The record is not as its ledger says: nothing was rewritten."""


@dataclass(frozen=True)
class Rewrite:
    statement: Statement
    streams: list[str]  # the streams rewritten: what reads them is to read them again


def in_clear(event_type: str, data: dict[str, object]) -> bool:
    """Whether the event, as stored, holds anyone's name or e-mail unsealed."""
    return any(
        shredding.in_clear(event_type, data, person)
        for person in shredding.people_named(event_type, data)
    )


async def seal_existing(
    store: PostgresEventStore,
    owner_url: str,
    key: Ed25519PrivateKey,
    *,
    by: str,
    operator: str,
    reason: str,
    now: datetime,
) -> Rewrite | None:
    """Seal every event still holding a person in clear; what was rewritten, or None when
    there was nothing to seal."""
    # what is visible is sealed first: its old leaves are kept, so a digest of it carries
    # over (an event committed meanwhile is sealed later, as it then reads)
    ledger = Ledger(store)
    await ledger.seal()
    stopped = ledger.stopped_at
    if stopped is not None:
        raise ResealRefused(
            f"sealing stopped at {stopped.stream_id} v{stopped.version} (event "
            f"{stopped.event_id}): it does not match its own hash"
        )
    conn = await asyncpg.connect(owner_url)
    try:
        async with conn.transaction():
            return await _reseal(conn, key, by=by, operator=operator, reason=reason, now=now)
    finally:
        await conn.close()


async def _reseal(
    conn: Connection,
    key: Ed25519PrivateKey,
    *,
    by: str,
    operator: str,
    reason: str,
    now: datetime,
) -> Rewrite | None:
    # the ledger's sealer waits (its leaves change under it), so do writers (an append
    # would chain on a hash being replaced); readers read the record as it was till commit.
    # Streams first, as an append locks them: an append that holds its stream's row
    # finishes before, instead of waiting on events while this waits on its row
    await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
    await conn.execute("LOCK TABLE streams IN EXCLUSIVE MODE")
    await conn.execute("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
    first, people = await _first_in_clear(conn)
    if not first:
        return None
    keys = await shredding.keys_for(conn, people, create=True)
    rewritten: list[tuple[StoredEvent, StoredEvent, bool]] = []
    for stream_id in sorted(first):
        rows = await conn.fetch(_STREAM_FROM, stream_id, first[stream_id])
        rewritten += _rechained([_stored_event(r) for r in rows], keys)

    size = await sealed_size(conn)
    old_leaves = await sealed_leaves(conn, size)
    if len(old_leaves) != size:
        raise ResealRefused(
            f"the ledger holds {len(old_leaves)} of its {size} leaves: run `collab audit "
            "verify`; nothing was sealed"
        )
    new_leaves = list(old_leaves)
    sealed_at = {
        r["event_id"]: (r["ledger_index"], bytes(r["leaf_hash"]))
        for r in await conn.fetch(_LEAVES, [old.event_id for old, _, _ in rewritten])
    }
    changes: list[Change] = []
    for old, new, sealed in rewritten:
        if old.event_id not in sealed_at:
            continue  # not sealed yet: the sealer seals it as it now reads
        index, stored = sealed_at[old.event_id]
        if event_leaf(old) != stored:
            raise ResealRefused(
                f"{old.stream_id} v{old.version} (event {old.event_id}) does not match its "
                "sealed leaf: run `collab audit verify`; nothing was sealed"
            )
        new_leaves[index] = event_leaf(new)
        changes.append(
            Change(
                ledger_index=index,
                event_id=str(old.event_id),
                old_leaf=stored.hex(),
                new_leaf=new_leaves[index].hex(),
                sealed=sealed,
            )
        )
    changes.sort(key=lambda c: c.ledger_index)

    # the append-only triggers are lifted inside this transaction only: a failure rolls
    # the lifting back with the rest
    await conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update")
    await conn.executemany(
        _REWRITE,
        [(n.event_id, canonical_parts(n)[0], n.hash, n.prev_hash) for _, n, _ in rewritten],
    )
    await conn.execute("ALTER TABLE events ENABLE TRIGGER events_no_update")
    last = {n.stream_id: n for _, n, _ in rewritten}  # each stream's last event
    await conn.executemany(_HEAD, [(s, n.hash, n.version) for s, n in last.items()])
    await conn.execute("ALTER TABLE ledger DISABLE TRIGGER ledger_no_update")
    await conn.executemany(_RELEAF, [(c.ledger_index, bytes.fromhex(c.new_leaf)) for c in changes])
    await conn.execute("ALTER TABLE ledger ENABLE TRIGGER ledger_no_update")

    statement = reanchoring.make(
        sign(size, merkle.root(old_leaves), key, now),
        sign(size, merkle.root(new_leaves), key, now),
        changes,
        by=by,
        operator=operator,
        reason=reason,
        key=key,
        now=now,
    )
    await reanchoring.record(conn, statement)
    return Rewrite(statement, sorted(first))


async def _first_in_clear(conn: Connection) -> tuple[dict[str, int], set[str]]:
    """Each stream holding an event in clear: its first such version; and the people
    those events name."""
    first: dict[str, int] = {}
    people: set[str] = set()
    for row in await conn.fetch(_CANDIDATES, _NAMING_TYPES):
        data = json.loads(row["data"])
        if in_clear(row["type"], data):
            stream = row["stream_id"]
            first[stream] = min(first.get(stream, row["version"]), row["version"])
            people |= shredding.people_named(row["type"], data)
    return first, people


def _rechained(
    events: list[StoredEvent], keys: shredding.Keys
) -> list[tuple[StoredEvent, StoredEvent, bool]]:
    """A stream's events from its first in clear on: (as stored, as rewritten, whether its
    fields were sealed); each rewritten one chained on the one before it."""
    out = []
    prev = events[0].prev_hash  # the event before is not rewritten
    for event in events:
        sealed = in_clear(event.type, event.data)
        data = (
            shredding.seal(event.type, str(event.event_id), event.data, keys)
            if sealed
            else event.data
        )
        new = replace(event, data=data, prev_hash=prev)
        new = replace(new, hash=event_hash(new))
        out.append((event, new, sealed))
        prev = new.hash
    return out


# --- the check of whoever holds the people's keys -------------------------------------


@dataclass(frozen=True)
class Difference:
    """A rewritten event that could not be shown to differ only by the sealing."""

    event_id: str
    stream_id: str | None
    version: int | None
    erased: bool  # its person's key is destroyed: it cannot be opened, nor checked
    detail: str


async def differences(
    store: PostgresEventStore, statements: list[Statement]
) -> tuple[int, list[Difference]]:
    """Each event the statements rewrote, its sealed fields opened with its people's keys
    and its chain taken back to the old hashes, hashed again: it must give its kept old
    leaf (and its current row its new one). (Events checked, those that could not be
    shown so.) An event rewritten by several statements is checked by the latest."""
    latest: dict[str, Change] = {}
    for statement in statements:
        latest.update({c.event_id: c for c in statement.changes})
    if not latest:
        return 0, []
    async with store.connection() as conn:
        rows = await conn.fetch(
            f"SELECT {_columns()} FROM events WHERE event_id = ANY($1::uuid[])", list(latest)
        )
        events = [_stored_event(r) for r in rows]
        people = set().union(*(shredding.people_named(e.type, e.data) for e in events))
        keys = await shredding.keys_for(conn, people, create=False)
    found = [
        Difference(event_id, None, None, False, f"event {event_id} is no longer stored")
        for event_id in sorted(set(latest) - {str(e.event_id) for e in events})
    ]
    streams: dict[str, list[StoredEvent]] = defaultdict(list)
    for event in events:
        streams[event.stream_id].append(event)
    for stream in sorted(streams):
        found += _stream_differences(sorted(streams[stream], key=lambda e: e.version), latest, keys)
    return len(latest), found


def _stream_differences(
    events: list[StoredEvent], latest: dict[str, Change], keys: shredding.Keys
) -> list[Difference]:
    found: list[Difference] = []
    old_prev = events[0].prev_hash  # the event before the first rewritten one is as it was
    # why the chain's old hashes cannot be followed further, and whether an erasure is why
    blocked: tuple[str, bool] | None = None
    for i, event in enumerate(events):
        change = latest[str(event.event_id)]
        if event_leaf(event).hex() != change.new_leaf:
            blocked = blocked or ("an event before it differs", False)
            found.append(
                _differs(event, "as stored, it is not the new leaf the statement gives it")
            )
            continue
        if i and event.version != events[i - 1].version + 1:
            blocked = blocked or (f"version {events[i - 1].version + 1} was not rewritten", False)
        if blocked is None and change.sealed:
            erased = sorted(
                p for p in shredding.people_named(event.type, event.data) if keys.get(p) is None
            )
            if erased:
                blocked = (f"{', '.join(erased)} erased: the key is destroyed", True)
        if blocked is not None:
            found.append(_differs(event, f"cannot be checked: {blocked[0]}", erased=blocked[1]))
            continue
        data = event.data
        if change.sealed:
            data = transform(
                event.type, data, lambda _p, field, v: shredding.open_value(keys, field, v)
            )
        old = replace(event, data=data, prev_hash=old_prev)
        old = replace(old, hash=event_hash(old))
        if event_leaf(old).hex() != change.old_leaf:
            found.append(
                _differs(event, "opened, it does not hash to its kept old leaf: it differs "
                         "by more than the sealing")
            )  # fmt: skip
            blocked = ("an event before it differs", False)
            continue
        old_prev = old.hash
    return found


def _differs(event: StoredEvent, detail: str, *, erased: bool = False) -> Difference:
    return Difference(str(event.event_id), event.stream_id, event.version, erased, detail)

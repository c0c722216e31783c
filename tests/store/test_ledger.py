"""The ledger and signed digests, tried as an attacker with the database would: each tamper
made after a digest was taken is found by `verify` against that digest, and named."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from application.audit import Audit, InclusionProof, check_proof, read_digest
from application.refusals import Refusal
from domain.actors import OPERATOR
from eventstore.hashing import event_hash
from eventstore.ledger import Ledger, event_leaf
from eventstore.postgres import PostgresEventStore
from eventstore.records import NewEvent, StoredEvent
from eventstore.tree_head import TreeHead, load_or_create_key, sign

EventFactory = Callable[..., list[NewEvent]]


@pytest.fixture
async def store(event_store: PostgresEventStore, make_events: EventFactory) -> PostgresEventStore:
    """Three projects of five events each, sealed."""
    for stream in ("IRP-A", "IRP-B", "IRP-C"):
        await event_store.append(stream, make_events(stream, 2, reason="why"), 0)
        await event_store.append(stream, make_events(stream, 3, first_version=3), 2)
    await Ledger(event_store).seal()
    return event_store


@pytest.fixture
def audit(store: PostgresEventStore, tmp_path: Path) -> Audit:
    return Audit(store, tmp_path / "keys" / "ledger.pem")


@pytest.fixture
async def digest(audit: Audit, tmp_path: Path) -> TreeHead:
    """Taken before any tamper, and kept outside the database (a file)."""
    head = await audit.digest()
    kept = tmp_path / "digest.json"
    kept.write_text(head.model_dump_json())
    return read_digest(kept.read_text())


@asynccontextmanager
async def superuser(owner: asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    """What an attacker with the database's superuser does: triggers off, one transaction."""
    async with owner.transaction():
        await owner.execute("ALTER TABLE events DISABLE TRIGGER USER")
        await owner.execute("ALTER TABLE ledger DISABLE TRIGGER USER")
        yield owner
        await owner.execute("ALTER TABLE events ENABLE TRIGGER USER")
        await owner.execute("ALTER TABLE ledger ENABLE TRIGGER USER")


async def event_of(store: PostgresEventStore, stream: str, version: int):
    return next(e for e in await store.read_stream(stream) if e.version == version)


async def test_an_untouched_store_verifies_against_its_digest(audit: Audit, digest: TreeHead):
    report = await audit.verify(OPERATOR, digest, seal=True)
    assert report.intact and report.first_break is None
    assert (report.ledger_size, report.covered, report.newer) == (15, 15, 0)
    assert digest.tree_size == 15 and len(digest.key_id) == 16


async def test_events_after_the_digest_are_reported_as_not_yet_covered(
    store: PostgresEventStore, audit: Audit, digest: TreeHead, make_events: EventFactory
):
    await store.append("IRP-A", make_events("IRP-A", 1, first_version=6), 5)
    report = await audit.verify(OPERATOR, digest, seal=True)
    assert report.intact and (report.covered, report.newer) == (15, 1)
    assert [(e.project_id, e.version) for e in report.newer_events] == [("IRP-A", 6)]


async def test_a_digest_not_signed_by_this_services_key_is_refused(
    audit: Audit, digest: TreeHead, tmp_path: Path
):
    forged = digest.model_copy(update={"root_hash": "00" * 32})
    with pytest.raises(Refusal, match="signature does not match"):
        await audit.verify(OPERATOR, forged)
    other = sign(15, digest.root, load_or_create_key(tmp_path / "other.pem"), digest.timestamp)
    with pytest.raises(Refusal, match="not by this service's key"):
        await audit.verify(OPERATOR, other)


# -- the tampers: each made after the digest, each found and named ------------------------


async def test_an_edited_payload_amount_or_reason_is_named(
    store: PostgresEventStore, audit: Audit, digest: TreeHead, owner: asyncpg.Connection
):
    target = await event_of(store, "IRP-B", 2)
    for column, value in (("data", '{"n": 99}'), ("data", '{"amount_eur": 1}'), ("reason", "x")):
        original = await owner.fetchval(
            f"SELECT {column}::text FROM events WHERE event_id = $1", target.event_id
        )
        async with superuser(owner) as db:
            await db.execute(
                f"UPDATE events SET {column} = $2::text::{'jsonb' if column == 'data' else 'text'}"
                " WHERE event_id = $1",
                target.event_id,
                value,
            )
        report = await audit.verify(OPERATOR, digest)
        assert not report.intact
        assert report.first_break is not None
        assert report.first_break.event_id == str(target.event_id)
        assert report.first_break.project_id == "IRP-B" and report.first_break.version == 2
        async with superuser(owner) as db:  # put it back for the next column
            await db.execute(
                f"UPDATE events SET {column} = $2::text::{'jsonb' if column == 'data' else 'text'}"
                " WHERE event_id = $1",
                target.event_id,
                original,
            )
    assert (await audit.verify(OPERATOR, digest)).intact


async def test_a_recorded_time_moved_back_is_named(
    store: PostgresEventStore, audit: Audit, digest: TreeHead, owner: asyncpg.Connection
):
    target = await event_of(store, "IRP-C", 3)
    async with superuser(owner) as db:
        await db.execute(
            "UPDATE events SET recorded_at = recorded_at - $2::interval WHERE event_id = $1",
            target.event_id,
            timedelta(days=300),
        )
    report = await audit.verify(OPERATOR, digest)
    assert not report.intact and report.first_break is not None
    assert report.first_break.event_id == str(target.event_id)
    # the event's own hash covers its recorded time (scheme 2)
    assert "content does not match its hash" in report.first_break.detail


async def test_a_recorded_time_of_an_older_event_is_covered_by_its_leaf(
    store: PostgresEventStore, audit: Audit, digest: TreeHead, owner: asyncpg.Connection
):
    """Events recorded before hash scheme 2 (their hash does not cover the recorded time)
    are covered by their ledger leaf."""
    target = await event_of(store, "IRP-C", 5)  # the stream's last: no later link to break
    old = replace(target, hash_scheme=1)
    async with superuser(owner) as db:  # as it was before migration 0007
        await db.execute(
            "UPDATE events SET hash_scheme = 1, hash = $2 WHERE event_id = $1",
            target.event_id,
            event_hash(old),
        )
        await db.execute(
            "UPDATE streams SET last_hash = $2 WHERE stream_id = $1", "IRP-C", event_hash(old)
        )
        # and its leaf as the sealer made it then
        await db.execute(
            "UPDATE ledger SET leaf_hash = $2 WHERE event_id = $1",
            target.event_id,
            event_leaf(replace(old, hash=event_hash(old))),
        )
    fresh = await audit.digest()  # the digest of that older record
    async with superuser(owner) as db:
        await db.execute(
            "UPDATE events SET recorded_at = recorded_at - $2::interval WHERE event_id = $1",
            target.event_id,
            timedelta(days=300),
        )
    assert await store.verify() is None  # its hash does not cover the recorded time
    report = await audit.verify(OPERATOR, fresh)
    assert not report.intact and report.first_break is not None
    assert report.first_break.event_id == str(target.event_id)
    assert "does not match its sealed leaf" in report.first_break.detail


async def test_a_deleted_or_swapped_event_in_a_stream_is_named(
    store: PostgresEventStore, audit: Audit, digest: TreeHead, owner: asyncpg.Connection
):
    middle = await event_of(store, "IRP-A", 3)
    async with superuser(owner) as db:
        await db.execute("DELETE FROM events WHERE event_id = $1", middle.event_id)
    report = await audit.verify(OPERATOR, digest)
    assert not report.intact and report.first_break.project_id == "IRP-A"
    assert "version 3 is missing" in report.first_break.detail


async def test_two_swapped_events_are_named(
    store: PostgresEventStore, audit: Audit, digest: TreeHead, owner: asyncpg.Connection
):
    one, two = await event_of(store, "IRP-B", 3), await event_of(store, "IRP-B", 4)
    async with superuser(owner) as db:
        await db.execute("UPDATE events SET version = 1000 WHERE event_id = $1", one.event_id)
        await db.execute("UPDATE events SET version = 3 WHERE event_id = $1", two.event_id)
        await db.execute("UPDATE events SET version = 4 WHERE event_id = $1", one.event_id)
    report = await audit.verify(OPERATOR, digest)
    assert not report.intact and report.first_break.project_id == "IRP-B"


@pytest.mark.parametrize("with_stream_row", [False, True])
async def test_a_project_deleted_whole_is_named(
    store: PostgresEventStore,
    audit: Audit,
    digest: TreeHead,
    owner: asyncpg.Connection,
    with_stream_row: bool,
):
    first = await event_of(store, "IRP-B", 1)
    async with superuser(owner) as db:
        await db.execute("DELETE FROM events WHERE stream_id = 'IRP-B'")
        if with_stream_row:
            await db.execute("DELETE FROM streams WHERE stream_id = 'IRP-B'")
    report = await audit.verify(OPERATOR, digest)
    assert not report.intact and report.first_break is not None
    assert report.first_break.event_id == str(first.event_id)
    assert "was deleted" in report.first_break.detail


async def test_a_project_and_its_ledger_entries_deleted_is_a_missing_range(
    store: PostgresEventStore, audit: Audit, digest: TreeHead, owner: asyncpg.Connection
):
    """The thorough attacker removes the ledger's rows too: the ledger no longer extends
    the digest."""
    async with superuser(owner) as db:
        await db.execute(
            "DELETE FROM ledger WHERE event_id IN "
            "(SELECT event_id FROM events WHERE stream_id = 'IRP-B')"
        )
        await db.execute("DELETE FROM events WHERE stream_id = 'IRP-B'")
        await db.execute("DELETE FROM streams WHERE stream_id = 'IRP-B'")
    report = await audit.verify(OPERATOR, digest)
    assert not report.intact and report.first_break is not None
    assert "missing" in report.first_break.detail


async def test_a_cut_tail_with_its_head_reset_is_a_missing_range(
    store: PostgresEventStore, audit: Audit, digest: TreeHead, owner: asyncpg.Connection
):
    last = await event_of(store, "IRP-C", 5)
    async with superuser(owner) as db:
        await db.execute("DELETE FROM ledger WHERE event_id = $1", last.event_id)
        await db.execute("DELETE FROM events WHERE event_id = $1", last.event_id)
        await db.execute(
            "UPDATE streams SET version = 4, last_hash = $2 WHERE stream_id = $1",
            "IRP-C",
            last.prev_hash,
        )
        await db.execute("UPDATE ledger_checkpoint SET size = size - 1 WHERE name = 'ledger'")
    report = await audit.verify(OPERATOR, digest)
    assert not report.intact and report.first_break is not None
    detail = report.first_break.detail
    assert "missing" in detail and "14" in detail, detail


def forgery(last: StoredEvent, recorded_at: datetime) -> StoredEvent:
    """A termination of IRP-A that nobody decided, its hash recomputed (scheme 2)."""
    forged = StoredEvent(
        event_id=uuid4(),
        stream_id="IRP-A",
        version=6,
        position=0,
        tx_id=0,
        type="ProjectTerminated",
        schema_version=1,
        occurred_at=last.occurred_at,
        recorded_at=recorded_at,
        actor_id="derci-martin",
        actor_role="derci_officer",
        reason="forged",
        data={},
        hash=b"",
        prev_hash=last.hash,
        hash_scheme=2,
    )
    return replace(forged, hash=event_hash(forged))


_FORGE = (
    "INSERT INTO events (event_id, stream_id, version, type, schema_version, occurred_at,"
    " recorded_at, actor_id, actor_role, reason, data, hash, prev_hash{extra})"
    " VALUES ($1, 'IRP-A', 6, 'ProjectTerminated', 1, $2, $3, 'derci-martin',"
    " 'derci_officer', 'forged', '{{}}'::jsonb, $4, $5{values})"
)


async def forge(conn: Any, f: StoredEvent, behind: bool = False) -> None:
    """Insert the forgery and move IRP-A's head to it; `behind`: with the transaction id
    and position of an early event, so that it stands before the sealer's checkpoint."""
    extra, values = (", tx_id, position", ", '3'::xid8, -7") if behind else ("", "")
    await conn.execute(
        _FORGE.format(extra=extra, values=values),
        f.event_id,
        f.occurred_at,
        f.recorded_at,
        f.hash,
        f.prev_hash,
    )
    await conn.execute(
        "UPDATE streams SET version = 6, last_hash = $1 WHERE stream_id = 'IRP-A'", f.hash
    )


async def test_an_event_forged_with_its_hash_recomputed_is_not_covered_by_the_digest(
    store: PostgresEventStore, audit: Audit, digest: TreeHead
):
    """A thief of the application's credentials appends a termination, hash and head
    recomputed: the chains hold, but the digest does not vouch for it, and it is named."""
    forged = forgery(await event_of(store, "IRP-A", 5), datetime.now(UTC))
    async with store.connection() as app:  # the application's own role: it may insert
        assert await app.fetchval("SELECT session_user") == "collab_app"
        await forge(app, forged)
    assert await store.verify() is None  # the per-stream chains cannot tell
    report = await audit.verify(OPERATOR, digest, seal=True)
    assert report.intact and report.newer == 1
    assert [e.event_id for e in report.newer_events] == [str(forged.event_id)]


async def test_an_event_cannot_be_slipped_in_behind_the_sealer(
    store: PostgresEventStore, audit: Audit, digest: TreeHead, owner: asyncpg.Connection
):
    """With an old transaction id and position it would stand before the checkpoint and
    never be sealed: the application's role may not set those columns; a superuser can,
    and verify names it."""
    forged = forgery(await event_of(store, "IRP-A", 5), datetime.now(UTC))
    async with store.connection() as app:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await forge(app, forged, behind=True)
    async with superuser(owner) as db:
        await forge(db, forged, behind=True)
    report = await audit.verify(OPERATOR, digest, seal=True)
    assert not report.intact and report.first_break is not None
    assert report.first_break.event_id == str(forged.event_id)
    assert "never sealed" in report.first_break.detail
    with pytest.raises(Refusal, match="never sealed"):
        await audit.digest()  # no digest vouches for it


async def test_an_event_hidden_by_moving_the_checkpoint_is_named(
    store: PostgresEventStore, audit: Audit, digest: TreeHead
):
    forged = forgery(await event_of(store, "IRP-A", 5), datetime.now(UTC))
    async with store.connection() as app, app.transaction():
        await forge(app, forged)
        await app.execute(  # the checkpoint moved past it, as if it were sealed
            "UPDATE ledger_checkpoint SET tx_id = pg_current_xact_id()::text::bigint + 1"
        )
    report = await audit.verify(OPERATOR, digest, seal=True)
    assert not report.intact and report.first_break.event_id == str(forged.event_id)
    assert "never sealed" in report.first_break.detail


# -- proofs an outsider checks ------------------------------------------------------------


async def test_an_inclusion_proof_checks_offline_and_fails_when_altered(
    store: PostgresEventStore, audit: Audit, digest: TreeHead
):
    target = await event_of(store, "IRP-B", 2)
    proof = await audit.prove(target.event_id, digest)
    text = proof.model_dump_json()
    checked = check_proof(InclusionProof.model_validate_json(text), digest)
    event = checked["event"]
    assert checked["verified"] and event["event_id"] == str(target.event_id)
    assert (event["project_id"], event["version"], event["reason"]) == ("IRP-B", 2, "why")
    assert proof.leaf_index < digest.tree_size and proof.tree_size == 15

    doctored = json.loads(text)
    doctored["leaf_input"] = doctored["leaf_input"][:-4] + "AAAA"
    with pytest.raises(Refusal, match="does not lead to the digest's root"):
        check_proof(InclusionProof.model_validate(doctored), digest)
    with pytest.raises(Refusal, match="signature"):
        check_proof(proof, digest.model_copy(update={"tree_size": 14}))


async def test_a_leaf_covers_every_column_a_person_sees(store: PostgresEventStore):
    event = await event_of(store, "IRP-A", 1)
    leaf = event_leaf(event)
    for change in (
        {"recorded_at": event.recorded_at + timedelta(seconds=1)},
        {"occurred_at": event.occurred_at + timedelta(seconds=1)},
        {"reason": "other"},
        {"actor_id": "someone"},
        {"actor_role": "auditor"},
        {"type": "Other"},
        {"schema_version": 2},
        {"version": 9},
        {"stream_id": "IRP-Z"},
        {"data": {"n": 0}},
        {"hash": b"\x00" * 32},
    ):
        assert event_leaf(replace(event, **change)) != leaf, change


async def test_an_event_edited_before_it_is_sealed_is_not_sealed(
    store: PostgresEventStore, make_events: EventFactory, owner: asyncpg.Connection
):
    """The sealer checks each event against its own hash first: it never vouches for
    content the chain disowns."""
    ledger = Ledger(store)
    [late] = make_events("IRP-A", 1, first_version=6)
    await store.append("IRP-A", [late], 5)
    async with superuser(owner) as db:
        await db.execute("UPDATE events SET reason = 'edited' WHERE event_id = $1", late.event_id)
    assert await ledger.seal() == 15  # stopped before it
    assert await ledger.locate(late.event_id) is None
    async with superuser(owner) as db:
        await db.execute("UPDATE events SET reason = NULL WHERE event_id = $1", late.event_id)
    assert await ledger.seal() == 16


def test_workers_starting_together_keep_one_signing_key(tmp_path: Path):
    from concurrent.futures import ThreadPoolExecutor

    from eventstore.tree_head import key_id

    path = tmp_path / "keys" / "ledger.pem"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: load_or_create_key(path), range(8)))
    assert len({key_id(k.public_key()) for k in keys}) == 1
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.pem"]  # no partial left

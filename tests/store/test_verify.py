"""Tamper evidence: the per-stream hash chain finds rows changed behind the store's back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

import asyncpg
import pytest

from eventstore.hashing import canonical_bytes, chain_hash, event_hash, utc_iso
from eventstore.postgres import PostgresEventStore
from eventstore.records import NewEvent

EventFactory = Callable[..., list[NewEvent]]


@pytest.fixture
async def three_streams(event_store: PostgresEventStore, make_events: EventFactory) -> None:
    for stream in ("a", "b", "c"):
        await event_store.append(stream, make_events(stream, 2), 0)
        await event_store.append(stream, make_events(stream, 3, first_version=3), 2)


@asynccontextmanager
async def triggers_off(owner: asyncpg.Connection) -> AsyncIterator[None]:
    """What a superuser has to do to change a stored event."""
    await owner.execute("ALTER TABLE events DISABLE TRIGGER USER")
    try:
        yield
    finally:
        await owner.execute("ALTER TABLE events ENABLE TRIGGER USER")


async def test_an_intact_store_verifies_clean_across_batches(
    three_streams: None, event_store: PostgresEventStore
) -> None:
    assert await event_store.verify() is None
    assert await event_store.verify(batch_size=4) is None  # streams straddle batches
    assert await event_store.verify(batch_size=1) is None
    assert await event_store.verify("b", batch_size=2) is None
    assert await event_store.verify("no such stream") is None


async def test_stored_hashes_are_the_python_chain_of_the_canonical_bytes(
    three_streams: None, event_store: PostgresEventStore
) -> None:
    """Scheme 2: the hash covers the writer's canonical bytes and the recorded time."""
    prev = None
    for event in await event_store.read_stream("a"):
        assert event.prev_hash == prev and event.hash_scheme == 2
        covered = canonical_bytes(event) + b"\n" + utc_iso(event.recorded_at).encode()
        assert event.hash == chain_hash(prev, covered) == event_hash(event)
        prev = event.hash


async def test_edited_data_is_found_and_named(
    three_streams: None, event_store: PostgresEventStore, owner: asyncpg.Connection
) -> None:
    target = (await event_store.read_stream("b"))[1]
    async with triggers_off(owner):
        await owner.execute(
            "UPDATE events SET data = '{\"n\": 1000}' WHERE event_id = $1", target.event_id
        )

    for broken in (await event_store.verify(), await event_store.verify("b", batch_size=2)):
        assert broken is not None
        assert (broken.stream_id, broken.version, broken.event_id) == ("b", 2, target.event_id)
        assert "content does not match its hash" in broken.detail
    assert await event_store.verify("a") is None
    assert await event_store.verify("c") is None


async def test_an_edit_under_replication_role_is_found_too(
    three_streams: None, event_store: PostgresEventStore, owner: asyncpg.Connection
) -> None:
    async with owner.transaction():
        await owner.execute("SET LOCAL session_replication_role = replica")
        await owner.execute(
            "UPDATE events SET type = 'Forged' WHERE stream_id = 'c' AND version = 4"
        )

    broken = await event_store.verify()

    assert broken is not None and (broken.stream_id, broken.version) == ("c", 4)


async def test_rehashing_an_edited_event_breaks_the_link_to_the_next(
    three_streams: None, event_store: PostgresEventStore, owner: asyncpg.Connection
) -> None:
    events = await event_store.read_stream("a")
    forged = replace(events[2], data={"n": 666})
    new_hash = event_hash(forged)
    async with triggers_off(owner):
        await owner.execute(
            "UPDATE events SET data = $2::jsonb, hash = $3 WHERE event_id = $1",
            forged.event_id,
            json.dumps(forged.data),
            new_hash,
        )

    broken = await event_store.verify("a")

    assert broken is not None and (broken.version, broken.event_id) == (4, events[3].event_id)
    assert "prev_hash" in broken.detail


async def test_a_deleted_event_is_found(
    three_streams: None, event_store: PostgresEventStore, owner: asyncpg.Connection
) -> None:
    async with triggers_off(owner):
        await owner.execute("DELETE FROM events WHERE stream_id = 'b' AND version = 3")

    broken = await event_store.verify()

    assert broken is not None and (broken.stream_id, broken.version) == ("b", 4)
    assert "version 3 is missing" in broken.detail


async def test_a_deleted_last_event_is_found_through_the_stream_head(
    three_streams: None, event_store: PostgresEventStore, owner: asyncpg.Connection
) -> None:
    async with triggers_off(owner):
        await owner.execute("DELETE FROM events WHERE stream_id = 'c' AND version = 5")

    broken = await event_store.verify()

    assert broken is not None and (broken.stream_id, broken.version) == ("c", 4)
    assert "stream head says version 5" in broken.detail

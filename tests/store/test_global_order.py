"""The global feed: a catch-up reader sees every committed event exactly once, even when
transactions commit in another order than they took their positions."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import asyncpg

from eventstore.postgres import PostgresEventStore
from eventstore.recorder import START, cursor_after
from eventstore.records import GlobalCursor, NewEvent, StoredEvent

EventFactory = Callable[..., list[NewEvent]]


async def test_a_committed_event_waits_behind_an_older_open_transaction(
    event_store: PostgresEventStore, database_url: str, make_events: EventFactory
) -> None:
    slow = await asyncpg.connect(database_url)
    try:
        tx = slow.transaction()
        await tx.start()
        held = await event_store.append("slow", make_events("slow"), 0, conn=slow)
        quick = await event_store.append("quick", make_events("quick"), 0)
        assert held.positions[0] < quick.positions[0]

        # "quick" is committed and readable in its stream, but a reader that took it now
        # would move past position 1, which may still commit: the feed holds it back.
        assert len(await event_store.read_stream("quick")) == 1
        assert await event_store.read_all(START) == []

        await tx.commit()
        feed = await event_store.read_all(START)
        assert [e.stream_id for e in feed] == ["slow", "quick"]
    finally:
        await slow.close()


async def test_feed_order_follows_transactions_not_positions(
    event_store: PostgresEventStore, database_url: str, make_events: EventFactory
) -> None:
    early = await asyncpg.connect(database_url)
    try:
        async with early.transaction():
            first = await event_store.append("x", make_events("x"), 0, conn=early)
            middle = await event_store.append("y", make_events("y"), 0)  # commits meanwhile
            last = await event_store.append("z", make_events("z"), 0, conn=early)
    finally:
        await early.close()
    assert first.positions[0] < middle.positions[0] < last.positions[0]

    feed = await event_store.read_all(START)

    # The early transaction's events come first (older tx_id), together.
    assert [e.stream_id for e in feed] == ["x", "z", "y"]


async def test_tailing_reader_sees_every_event_once_while_eight_writers_race(
    event_store: PostgresEventStore, database_url: str, make_events: EventFactory
) -> None:
    appended: list[NewEvent] = []
    done = asyncio.Event()

    async def writer(w: int) -> None:
        stream, version = f"w{w}", 0
        held_open = w % 3 == 0  # these writers keep their transactions open a while
        conn = await asyncpg.connect(database_url) if held_open else None
        try:
            for _ in range(12):
                events = make_events(stream, random.randint(1, 3), first_version=version + 1)
                if conn is not None:
                    # Take a tx_id and positions, let others commit, take more positions.
                    more = make_events(stream, 1, first_version=version + len(events) + 1)
                    async with conn.transaction():
                        await event_store.append(stream, events, version, conn=conn)
                        await asyncio.sleep(random.uniform(0.005, 0.02))
                        await event_store.append(stream, more, version + len(events), conn=conn)
                        await asyncio.sleep(random.uniform(0, 0.01))
                    events += more
                else:
                    await event_store.append(stream, events, version)
                    await asyncio.sleep(random.uniform(0, 0.005))
                version += len(events)
                appended.extend(events)
        finally:
            if conn is not None:
                await conn.close()

    async def reader() -> list[StoredEvent]:
        seen: list[StoredEvent] = []
        cursor = GlobalCursor()
        while True:
            finished = done.is_set()  # read once more after the writers are done
            page = await event_store.read_all(cursor, limit=7)
            seen.extend(page)
            if page:
                cursor = cursor_after(page[-1])
            elif finished:
                return seen
            else:
                await asyncio.sleep(0.002)

    async def writers() -> None:
        await asyncio.gather(*(writer(w) for w in range(8)))
        done.set()

    seen, _ = await asyncio.gather(reader(), writers())

    ids = [e.event_id for e in seen]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    assert set(ids) == {e.event_id for e in appended}, "an event was skipped"
    keys = [(e.tx_id, e.position) for e in seen]
    assert keys == sorted(keys)
    # Positions alone are not the delivery order when transactions overlap, which is
    # exactly the case a position-only reader gets wrong.
    positions = [e.position for e in seen]
    assert positions != sorted(positions)

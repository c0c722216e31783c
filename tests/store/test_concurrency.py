"""Optimistic concurrency, gap-free losers, and idempotent retries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import asyncpg
import pytest

from eventstore.errors import ConcurrencyError, IdempotencyConflict
from eventstore.postgres import PostgresEventStore
from eventstore.records import AppendResult, NewEvent

EventFactory = Callable[..., list[NewEvent]]


@pytest.fixture
async def wide_store(database_url: str) -> PostgresEventStore:
    """A store with a connection per contender, so 50 appends really race on the lock."""
    store = await PostgresEventStore.connect(database_url, min_size=50, max_size=50)
    yield store  # type: ignore[misc]
    await store.close()


@pytest.mark.parametrize("prior_events", [0, 3], ids=["new stream", "existing stream"])
async def test_fifty_racing_appenders_one_wins_and_losers_leave_no_gap(
    wide_store: PostgresEventStore,
    owner: asyncpg.Connection,
    make_events: EventFactory,
    prior_events: int,
) -> None:
    if prior_events:
        await wide_store.append("race", make_events("race", prior_events), 0)
    contenders = [make_events("race", 1, first_version=prior_events + 1) for _ in range(50)]

    outcomes = await asyncio.gather(
        *(wide_store.append("race", events, prior_events) for events in contenders),
        return_exceptions=True,
    )

    wins = [o for o in outcomes if isinstance(o, AppendResult)]
    losses = [o for o in outcomes if isinstance(o, ConcurrencyError)]
    assert len(wins) == 1 and len(losses) == 49, outcomes
    assert not any(isinstance(o, IdempotencyConflict) for o in losses)
    for loss in losses:
        assert (loss.stream_id, loss.expected, loss.actual) == (
            "race",
            prior_events,
            prior_events + 1,
        )
        assert f"expected version {prior_events}, actual version {prior_events + 1}" in str(loss)
    assert await owner.fetchval("SELECT count(*) FROM events") == prior_events + 1

    # Losers took no position: the next append gets the very next one.
    after = await wide_store.append(
        "race", make_events("race", 1, first_version=prior_events + 2), prior_events + 1
    )
    assert after.positions == (wins[0].positions[0] + 1,)
    positions = [r["position"] for r in await owner.fetch("SELECT position FROM events")]
    assert sorted(positions) == list(range(1, prior_events + 3))


async def test_a_retry_after_a_lost_reply_writes_nothing_and_returns_the_positions(
    event_store: PostgresEventStore, owner: asyncpg.Connection, make_events: EventFactory
) -> None:
    events = make_events("s", 3)
    original = await event_store.append("s", events, 0)
    await event_store.append("s", make_events("s", 1, first_version=4), 3)  # the stream moves on

    retry = await event_store.append("s", events, 0)

    assert retry == AppendResult("s", 3, original.positions, written=False)
    assert original.written is True
    assert await owner.fetchval("SELECT count(*) FROM events") == 4


async def test_a_retry_racing_its_original_is_recognised(
    wide_store: PostgresEventStore, owner: asyncpg.Connection, make_events: EventFactory
) -> None:
    await wide_store.append("s", make_events("s", 2), 0)
    for round_ in range(5):
        events = make_events("s", 2, first_version=3 + 2 * round_)
        expected = 2 + 2 * round_

        first, second = await asyncio.gather(
            wide_store.append("s", events, expected), wide_store.append("s", events, expected)
        )

        assert {first.written, second.written} == {True, False}
        assert first.positions == second.positions
    assert await owner.fetchval("SELECT count(*) FROM events") == 12


async def test_same_event_id_with_different_content_is_a_conflict(
    event_store: PostgresEventStore, owner: asyncpg.Connection, make_events: EventFactory
) -> None:
    events = make_events("s", 2)
    await event_store.append("s", events, 0)
    altered = [events[0], replace(events[1], data={"n": 99}, reason="changed my mind")]

    with pytest.raises(IdempotencyConflict) as caught:
        await event_store.append("s", altered, 0)

    assert caught.value.event_id == events[1].event_id
    assert "reason" in caught.value.detail and "data" in caught.value.detail
    assert str(events[1].event_id) in str(caught.value)
    assert isinstance(caught.value, ConcurrencyError)
    assert await owner.fetchval("SELECT count(*) FROM events") == 2


async def test_an_event_id_reused_on_another_stream_is_a_conflict(
    event_store: PostgresEventStore, owner: asyncpg.Connection, make_events: EventFactory
) -> None:
    [event] = make_events("a")
    await event_store.append("a", [event], 0)

    with pytest.raises(IdempotencyConflict, match="stream_id"):
        await event_store.append("b", [replace(event, stream_id="b")], 0)

    assert await event_store.stream_version("b") == 0
    assert await owner.fetchval("SELECT count(*) FROM events") == 1


async def test_a_batch_half_stored_is_a_conflict(
    event_store: PostgresEventStore, make_events: EventFactory
) -> None:
    stored = make_events("s", 1)
    await event_store.append("s", stored, 0)
    mixed = [stored[0], *make_events("s", 1, first_version=2)]

    with pytest.raises(IdempotencyConflict, match="part of this batch is stored"):
        await event_store.append("s", mixed, 0)


async def test_other_events_at_a_taken_version_are_a_plain_concurrency_error(
    event_store: PostgresEventStore, make_events: EventFactory
) -> None:
    await event_store.append("s", make_events("s", 2), 0)

    with pytest.raises(ConcurrencyError) as caught:
        await event_store.append("s", make_events("s", 1, first_version=2), 1)

    assert type(caught.value) is ConcurrencyError
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    with pytest.raises(ConcurrencyError, match="expected version 5, actual version 2"):
        await event_store.append("s", make_events("s", 1, first_version=6), 5)


async def test_a_refused_append_leaves_the_callers_transaction_usable(
    event_store: PostgresEventStore, owner: asyncpg.Connection, make_events: EventFactory
) -> None:
    await event_store.append("taken", make_events("taken"), 0)

    async with owner.transaction():
        await event_store.append("a", make_events("a"), 0, conn=owner)
        with pytest.raises(ConcurrencyError):
            await event_store.append("taken", make_events("taken"), 0, conn=owner)
        await event_store.append("b", make_events("b"), 0, conn=owner)

    assert await event_store.stream_version("a") == 1
    assert await event_store.stream_version("b") == 1

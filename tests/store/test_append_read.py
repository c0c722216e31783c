"""Append and read back: what goes in comes out, and malformed appends write nothing."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import asyncpg
import pytest

from eventstore.errors import InvalidAppend
from eventstore.postgres import PostgresEventStore
from eventstore.recorder import START, cursor_after
from eventstore.records import GlobalCursor, NewEvent

EventFactory = Callable[..., list[NewEvent]]
PARIS_SUMMER = timezone(timedelta(hours=2))
KOLKATA = timezone(timedelta(hours=5, minutes=30))


async def test_round_trip_keeps_every_field(event_store: PostgresEventStore) -> None:
    stream = "instrument/IRP-日本-001"
    events = [
        NewEvent(
            event_id=uuid4(),
            stream_id=stream,
            version=1,
            type="CollaborationProposed",
            schema_version=1,
            occurred_at=datetime(2025, 6, 30, 23, 30, 0, 123456, tzinfo=KOLKATA),
            actor_id="chercheuse-Zoé",
            actor_role="porteuse",
            reason="Réunion à Kyōto — accord «de principe» ✓",
            data={
                "title": "Glaciologie franco-japonaise 氷河",
                "partners": ["CNRS", "東京大学"],
                "budget": {"eur": 45000.5, "years": 4},
                "emoji": "🧊",
                "nothing": None,
                "flag": True,
            },
        ),
        NewEvent(
            event_id=uuid4(),
            stream_id=stream,
            version=2,
            type="CollaborationApproved",
            schema_version=3,
            occurred_at=datetime(2025, 7, 1, 8, 0, tzinfo=PARIS_SUMMER),
            actor_id="dri",
            actor_role="direction",
            reason=None,
            data={},
        ),
    ]

    result = await event_store.append(stream, events, expected_version=0)

    assert result.stream_id == stream
    assert result.last_version == 2
    assert result.written is True
    assert len(result.positions) == 2 and result.positions[0] < result.positions[1]

    stored = await event_store.read_stream(stream)
    assert [e.event_id for e in stored] == [e.event_id for e in events]
    for new, back in zip(events, stored, strict=True):
        assert (back.stream_id, back.version, back.type, back.schema_version) == (
            new.stream_id,
            new.version,
            new.type,
            new.schema_version,
        )
        assert (back.actor_id, back.actor_role, back.reason) == (
            new.actor_id,
            new.actor_role,
            new.reason,
        )
        assert back.data == new.data
        assert back.occurred_at == new.occurred_at  # the same instant...
        assert back.occurred_at.utcoffset() == timedelta(0)  # ...given back in UTC
        assert back.recorded_at.tzinfo is not None
        assert back.tx_id > 0
    assert stored[0].occurred_at == datetime(2025, 6, 30, 18, 0, 0, 123456, tzinfo=UTC)
    assert tuple(e.position for e in stored) == result.positions
    assert stored[0].prev_hash is None and stored[1].prev_hash == stored[0].hash
    assert await event_store.stream_version(stream) == 2

    feed = await event_store.read_all(START)
    assert [e.event_id for e in feed] == [e.event_id for e in events]


async def test_read_stream_from_version_and_unknown_stream(
    event_store: PostgresEventStore, make_events: EventFactory
) -> None:
    await event_store.append("s", make_events("s", 5), 0)

    assert [e.version for e in await event_store.read_stream("s", from_version=4)] == [4, 5]
    assert await event_store.read_stream("nope") == []
    assert await event_store.stream_version("nope") == 0


async def test_read_all_pages_with_the_cursor(
    event_store: PostgresEventStore, make_events: EventFactory
) -> None:
    for i in range(3):
        await event_store.append(f"s{i}", make_events(f"s{i}", 3), 0)

    seen, cursor = [], GlobalCursor()
    while page := await event_store.read_all(cursor, limit=2):
        assert len(page) <= 2
        seen.extend(page)
        cursor = cursor_after(page[-1])

    assert len(seen) == 9
    assert [(e.tx_id, e.position) for e in seen] == sorted((e.tx_id, e.position) for e in seen)
    assert len({e.event_id for e in seen}) == 9


async def test_appends_continue_a_stream(
    event_store: PostgresEventStore, make_events: EventFactory
) -> None:
    first = await event_store.append("s", make_events("s", 2), 0)
    second = await event_store.append("s", make_events("s", 3, first_version=3), 2)

    assert second.last_version == 5
    assert second.positions == (
        first.positions[-1] + 1,
        first.positions[-1] + 2,
        first.positions[-1] + 3,
    )
    assert [e.version for e in await event_store.read_stream("s")] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("empty", "nothing to append"),
        ("empty stream id", "stream_id is empty"),
        ("version gap", "has version 3, not 2"),
        ("first version", "has version 2, not 1"),
        ("other stream", "is for stream 'other'"),
        ("duplicate id", "same event id appears twice"),
        ("schema version 0", "schema_version must be >= 1"),
        ("naive time", "timezone-aware"),
        ("nan", "Out of range float values"),
        ("nul", "NUL"),
        ("nul in type", "type must be a str without NUL"),
        ("not json", "not JSON serializable"),
        ("negative expected", "expected_version must be >= 0"),
    ],
)
async def test_malformed_appends_are_refused_and_write_nothing(
    event_store: PostgresEventStore, owner: asyncpg.Connection, case: str, message: str
) -> None:
    def event(version: int, **overrides: object) -> NewEvent:
        fields: dict[str, object] = {
            "event_id": uuid4(),
            "stream_id": "s",
            "version": version,
            "type": "T",
            "schema_version": 1,
            "occurred_at": datetime(2025, 1, 1, tzinfo=UTC),
            "actor_id": "a",
            "actor_role": "r",
            "reason": None,
            "data": {},
        }
        fields.update(overrides)
        return NewEvent(**fields)  # type: ignore[arg-type]

    twice = event(1)
    batches: dict[str, tuple[str, list[NewEvent], int]] = {
        "empty": ("s", [], 0),
        "empty stream id": ("", [event(1, stream_id="")], 0),
        "version gap": ("s", [event(1), event(3)], 0),
        "first version": ("s", [event(2)], 0),
        "other stream": ("s", [event(1, stream_id="other")], 0),
        "duplicate id": ("s", [twice, event(2, event_id=twice.event_id)], 0),
        "schema version 0": ("s", [event(1, schema_version=0)], 0),
        "naive time": ("s", [event(1, occurred_at=datetime(2025, 1, 1))], 0),
        "nan": ("s", [event(1, data={"x": math.nan})], 0),
        "nul": ("s", [event(1, data={"x": "a\x00b"})], 0),
        "nul in type": ("s", [event(1, type="T\x00")], 0),
        "not json": ("s", [event(1, data={"when": datetime(2025, 1, 1, tzinfo=UTC)})], 0),
        "negative expected": ("s", [event(1)], -1),
    }
    stream, events, expected = batches[case]

    with pytest.raises(InvalidAppend, match=message):
        await event_store.append(stream, events, expected)

    assert await owner.fetchval("SELECT count(*) FROM events") == 0
    assert await owner.fetchval("SELECT count(*) FROM streams") == 0


async def test_append_inside_a_caller_transaction_commits_or_rolls_back_with_it(
    event_store: PostgresEventStore, owner: asyncpg.Connection, make_events: EventFactory
) -> None:
    tx = owner.transaction()
    await tx.start()
    await event_store.append("a", make_events("a"), 0, conn=owner)
    await event_store.append("b", make_events("b"), 0, conn=owner)
    await tx.rollback()
    assert await event_store.read_all() == []
    assert await event_store.stream_version("a") == 0

    async with owner.transaction():
        await event_store.append("a", make_events("a"), 0, conn=owner)
        await event_store.append("b", make_events("b"), 0, conn=owner)
    feed = await event_store.read_all()
    assert [e.stream_id for e in feed] == ["a", "b"]
    assert feed[0].tx_id == feed[1].tx_id  # one transaction, one tx_id

"""Upcasting: old schemas are read in the current shape, stored rows stay as written."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from eventstore.postgres import PostgresEventStore
from eventstore.records import NewEvent
from eventstore.upcasting import Upcasters

EventFactory = Callable[..., list[NewEvent]]


def renamed_upcasters() -> Upcasters:
    """Renamed v1 {"name"} -> v2 {"title"} -> v3 {"title", "language"}."""
    upcasters = Upcasters()

    @upcasters.register("Renamed", 1)
    def name_becomes_title(data: dict[str, Any]) -> dict[str, Any]:
        return {"title": data["name"]}

    upcasters.register("Renamed", 2, lambda data: {**data, "language": "fr"})
    return upcasters


def test_upcasters_chain_until_none_applies() -> None:
    upcasters = renamed_upcasters()

    assert upcasters.upcast("Renamed", 1, {"name": "IRP"}) == (
        3,
        {"title": "IRP", "language": "fr"},
    )
    assert upcasters.upcast("Renamed", 2, {"title": "t"}) == (3, {"title": "t", "language": "fr"})
    assert upcasters.upcast("Renamed", 3, {"title": "t"}) == (3, {"title": "t"})
    assert upcasters.upcast("Other", 1, {"name": "x"}) == (1, {"name": "x"})
    assert len(upcasters) == 2


def test_registering_twice_for_the_same_version_is_refused() -> None:
    upcasters = renamed_upcasters()

    with pytest.raises(ValueError, match="Renamed v1"):
        upcasters.register("Renamed", 1, lambda data: data)


async def test_an_old_event_is_read_upcast_and_still_verifies(
    database_url: str, owner: asyncpg.Connection
) -> None:
    writer = await PostgresEventStore.connect(database_url)  # old code: no upcasters
    old = NewEvent(
        event_id=uuid4(),
        stream_id="p",
        version=1,
        type="Renamed",
        schema_version=1,
        occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
        actor_id="a",
        actor_role="r",
        reason=None,
        data={"name": "Glaciologie"},
    )
    await writer.append("p", [old], 0)
    await writer.close()

    reader = await PostgresEventStore.connect(database_url, upcasters=renamed_upcasters())
    try:
        [from_stream] = await reader.read_stream("p")
        [from_feed] = await reader.read_all()

        for event in (from_stream, from_feed):
            assert event.schema_version == 3
            assert event.data == {"title": "Glaciologie", "language": "fr"}
        row = await owner.fetchrow("SELECT schema_version, data::text FROM events")
        assert (row["schema_version"], json.loads(row["data"])) == (1, {"name": "Glaciologie"})
        assert await reader.verify() is None  # the chain covers what is stored
    finally:
        await reader.close()


async def test_a_feed_of_documents_hands_over_old_events_upcast(database_url: str) -> None:
    writer = await PostgresEventStore.connect(database_url)
    stored = [
        NewEvent(
            event_id=uuid4(),
            stream_id="p",
            version=v,
            type="Renamed" if v % 2 else "Other",
            schema_version=1,
            occurred_at=datetime(2024, 1, v, tzinfo=UTC),
            actor_id="a",
            actor_role="r",
            reason=None,
            data={"name": f"n{v}"},
        )
        for v in range(1, 6)
    ]
    await writer.append("p", stored, 0)
    await writer.close()

    reader = await PostgresEventStore.connect(database_url, upcasters=renamed_upcasters())
    try:
        page = await reader.read_all_documents("data", limit=4)
        assert [json.loads(d) for d in page.documents] == [{"name": f"n{v}"} for v in range(1, 5)]
        feed = await reader.read_all(limit=4)
        assert page.upcast == {0: feed[0], 2: feed[2]}
        assert page.upcast[0].data == {"title": "n1", "language": "fr"}
        rest = await reader.read_all_documents("data", page.after)
        assert rest.documents == ['{"name": "n5"}']
        assert rest.upcast == {0: (await reader.read_all(page.after))[0]}
        assert (await reader.read_all_documents("data", rest.after)).documents == []
    finally:
        await reader.close()


async def test_a_stream_of_documents_hands_over_old_events_upcast(database_url: str) -> None:
    writer = await PostgresEventStore.connect(database_url)
    stored = [
        NewEvent(
            event_id=uuid4(),
            stream_id=stream,
            version=v,
            type="Renamed" if v in (2, 3) else "Other",
            schema_version=1,
            occurred_at=datetime(2024, 1, v, tzinfo=UTC),
            actor_id="a",
            actor_role="r",
            reason=None,
            data={"name": f"{stream}{v}"},
        )
        for stream in ("p", "q")
        for v in range(1, 5)
    ]
    await writer.append("p", stored[:4], 0)
    await writer.append("q", stored[4:], 0)
    await writer.close()

    reader = await PostgresEventStore.connect(database_url, upcasters=renamed_upcasters())
    try:
        read = await reader.read_stream_documents("q", "data")
        assert [json.loads(d) for d in read.documents] == [{"name": f"q{v}"} for v in range(1, 5)]
        stream = await reader.read_stream("q")
        assert read.upcast == {1: stream[1], 2: stream[2]}
        assert read.upcast[1].data == {"title": "q2", "language": "fr"}
        later = await reader.read_stream_documents("q", "version::text", from_version=3)
        assert later.documents == ["3", "4"]
        assert later.upcast == {0: stream[2]}
        nothing = await reader.read_stream_documents("nope", "data")
        assert (nothing.documents, nothing.upcast) == ([], {})
    finally:
        await reader.close()

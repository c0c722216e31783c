"""The global feed as documents: the same page as read_all, each event as the text an SQL
expression makes of its row."""

from __future__ import annotations

import json
from collections.abc import Callable

from eventstore.postgres import PostgresEventStore
from eventstore.recorder import START, cursor_after
from eventstore.records import GlobalCursor, NewEvent

EventFactory = Callable[..., list[NewEvent]]


async def test_documents_page_through_the_feed_as_read_all_does(
    event_store: PostgresEventStore, make_events: EventFactory
) -> None:
    for stream in ("a", "b", "c"):
        await event_store.append(stream, make_events(stream, 3), 0)
    document = "json_build_object('stream', stream_id, 'version', version, 'data', data)"

    cursor, pages = START, 0
    while True:
        page = await event_store.read_all_documents(document, cursor, limit=4)
        records = await event_store.read_all(cursor, limit=4)
        assert [json.loads(d) for d in page.documents] == [
            {"stream": r.stream_id, "version": r.version, "data": r.data} for r in records
        ]
        assert page.upcast == {}  # no upcasters
        if not records:
            assert page.after == cursor
            break
        assert page.after == cursor_after(records[-1]) != GlobalCursor()
        cursor, pages = page.after, pages + 1
    assert pages == 3

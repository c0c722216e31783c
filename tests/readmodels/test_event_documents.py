"""The projector reads each event as one JSON document made by PostgreSQL: it must give
exactly the event that `from_record` builds from the columns, whatever the session's
time zone and date style, whatever characters the strings hold."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from bench.lifegen import generate_life
from domain.actors import Actor, Role
from domain.events import EVENT_ADAPTER, EVENT_TYPES, DomainEvent
from eventstore.event_records import from_record, to_record
from eventstore.postgres import PostgresEventStore
from readmodels.projector import _EVENT_DOCUMENT
from tests.domain.test_amendments import every_amendment
from tests.domain.test_contributions import a_co_funded_life
from tests.domain.test_imports import an_imported_life

ODD = 'a "quoted", back\\slashed, new\nline, tab\t, control \x01, unicode é ✓ 𝄞 </script>'


def _odd(events: list[DomainEvent]) -> list[DomainEvent]:
    """A life's events with awkward strings and business times to the microsecond."""
    out = []
    for n, e in enumerate(events):
        changes: dict[str, object] = {"occurred_at": e.occurred_at + timedelta(microseconds=n)}
        if n % 3 == 0:
            changes["reason"] = f"{ODD} {n}"
        if n % 5 == 0:
            changes["actor"] = Actor(id=f"{ODD} {n}", role=Role.INSTITUTE_OFFICER)
        out.append(e.model_copy(update=changes))
    return out


async def test_documents_give_the_events_from_record_gives(database_url: str) -> None:
    lives = [generate_life(n, seed=8) for n in range(24)]  # every kind of life
    lives.append(every_amendment())  # and every amendment (the generated lives have none)
    lives.append(an_imported_life())  # and a project brought in running
    lives.append(a_co_funded_life())  # and co-funding
    # the store's ordinary pool, and one whose sessions use another time zone and style
    plain = await PostgresEventStore.connect(database_url)
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=2,
        server_settings={"TimeZone": "America/St_Johns", "DateStyle": "SQL, DMY"},
    )
    odd = PostgresEventStore(pool, owns_pool=True)
    try:
        expected: list[DomainEvent] = []
        for life in lives:
            events = [e for unit in life.units for e in unit]
            if life.project_id.endswith("3"):
                events = _odd(events)
            await plain.append(life.project_id, [to_record(e) for e in events], 0)
            expected.extend(events)
        assert {e.type for e in expected} >= set(EVENT_TYPES) - {
            "ApplicationDeclaredIneligible",
            "TrancheForfeited",
        }
        for store in (plain, odd):
            records = await store.read_all(limit=100_000)
            page = await store.read_all_documents(_EVENT_DOCUMENT, limit=100_000)
            assert len(page.documents) == len(records) == len(expected)
            parsed = [EVENT_ADAPTER.validate_json(d) for d in page.documents]
            assert parsed == [from_record(r) for r in records]
            assert sorted(parsed, key=lambda e: (e.project_id, e.version)) == sorted(
                expected, key=lambda e: (e.project_id, e.version)
            )
            for event in parsed:
                assert event.occurred_at.utcoffset() == timedelta(0)
            # the same JSON as the event writes of itself, datetimes included
            assert [e.model_dump_json() for e in parsed] == [
                from_record(r).model_dump_json() for r in records
            ]
    finally:
        await plain.close()
        await odd.close()

"""Read models follow the global feed, exactly once, and rebuild to the same rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.commands import TerminateProject
from eventstore.event_records import to_record
from readmodels.projector import Projector, migrate_read_models
from readmodels.queries import get_project, history
from readmodels.views import OPERATOR, PortfolioFilter, deadlines_for, portfolio
from tests.builders import DERCI, utc
from tests.domain.life import Life
from tests.domain.test_lifecycle import funded


@pytest.fixture
async def projector(event_store, database_url) -> Projector:
    await migrate_read_models(database_url)
    return Projector(event_store)


async def record(store, life: Life, start: int = 0) -> None:
    events = life.events[start:]
    await store.append(life.project_id, [to_record(e) for e in events], events[0].version - 1)


async def snapshot(store) -> list:
    tables = []
    async with store.connection() as conn:
        for table in ("portfolio", "deadlines", "decisions", "project_states"):
            tables.append(
                [tuple(r) for r in await conn.fetch(f"SELECT * FROM {table} ORDER BY 1, 2, 3")]
            )
    return tables


async def test_portfolio_deadlines_and_decisions_follow_the_events(event_store, projector):
    irp = funded("IRP", "IRP-1")
    irl = funded("IRL", "IRL-1")
    await record(event_store, irp)
    await record(event_store, irl)
    assert await projector.catch_up() == len(irp.events) + len(irl.events)

    row = await get_project(event_store, "IRP-1")
    assert (row.instrument, row.phase, row.awarded_eur, row.released_eur) == (
        "IRP",
        "active",
        72_001,
        72_001 // 5 + 1,
    )
    assert row.countries == ["BR", "FR"] and row.term_ends_at == utc(2031, 6, 1)
    assert [
        p.project_id
        for p in await portfolio(event_store, OPERATOR, PortfolioFilter(instrument="IRL"))
    ] == ["IRL-1"]

    due = await deadlines_for(event_store, OPERATOR, utc(2026, 6, 2), timedelta(days=365))
    assert [(d.project_id, d.kind, d.ref) for d in due] == [
        ("IRL-1", "report", "term1-year1"),
        ("IRP-1", "report", "term1-year1"),
        ("IRL-1", "tranche", "term1-tranche2"),
        ("IRP-1", "tranche", "term1-tranche2"),
    ]

    mark = len(irl.events)
    irl.do(TerminateProject, utc(2027, 2, 1), DERCI, reason="partner withdrew")
    await record(event_store, irl, mark)
    assert await projector.catch_up() == 1
    assert (await get_project(event_store, "IRL-1")).phase == "terminated"
    assert [
        d.project_id
        for d in await deadlines_for(event_store, OPERATOR, utc(2026, 6, 2), timedelta(days=3650))
    ] and all(
        d.project_id == "IRP-1"
        for d in await deadlines_for(event_store, OPERATOR, utc(2026, 6, 2), timedelta(days=3650))
    )
    async with event_store.connection() as conn:
        decided = await conn.fetch(
            "SELECT type, actor_id, reason FROM decisions WHERE project_id = 'IRL-1' ORDER BY version"
        )
    assert [tuple(r) for r in decided][-1] == (
        "ProjectTerminated",
        "derci-martin",
        "partner withdrew",
    )
    assert len(decided) == sum(1 for e in irl.events if e.reason)


async def test_each_event_applies_once_and_rebuild_gives_the_same_rows(event_store, projector):
    life = funded("IEA", "IEA-1")
    await record(event_store, life)
    await projector.catch_up(batch_size=3)
    assert await projector.catch_up() == 0  # nothing twice
    before = await snapshot(event_store)
    seen: list[int] = []
    assert await projector.rebuild(progress=seen.append) == len(life.events)
    assert seen[-1] == len(life.events)
    assert await snapshot(event_store) == before


async def test_history_is_the_record_in_version_order(event_store, projector):
    life = funded("IRN", "IRN-1")
    await record(event_store, life)
    h = await history(event_store, "IRN-1")
    assert [e.version for e in h.events] == list(range(1, len(life.events) + 1))
    approved = next(e for e in h.events if e.type == "ApplicationApproved")
    assert approved.actor.role == "institute_officer" and approved.reason
    assert approved.data["awarded_eur"] == 70_000
    assert await history(event_store, "nope") is None


async def test_projectors_racing_a_rebuild_agree(event_store, projector):
    import asyncio

    for code in ("IRP", "IRL", "IEA"):
        await record(event_store, funded(code, f"{code}-race"))
    await projector.catch_up()
    expected = await snapshot(event_store)
    others = [Projector(event_store) for _ in range(3)]
    await asyncio.gather(
        projector.rebuild(),
        *(p.catch_up(batch_size=2) for p in others),
        projector.rebuild(),
        *(p.catch_up(batch_size=5) for p in others),
    )
    await projector.catch_up()
    assert await snapshot(event_store) == expected
    total = sum(len(funded(code, "x").events) for code in ("IRP", "IRL", "IEA"))
    assert await projector.projected_events() == await others[0].projected_events() == total


async def test_projected_events_counts_what_the_checkpoint_covers(event_store, projector):
    assert await projector.projected_events() == 0
    life = funded("IRL", "IRL-count")
    await record(event_store, life)
    await projector.catch_up(batch_size=4)
    assert await projector.projected_events() == len(life.events)
    await record(event_store, funded("IEA", "IEA-count"))  # stored, not yet projected
    assert await projector.projected_events() == len(life.events)


async def test_history_shows_each_event_exactly_as_the_store_reads_it(event_store):
    """The history is parsed from JSON that PostgreSQL writes: strings, times and payloads
    must come out as the columns decode, whatever they hold."""
    from datetime import UTC, datetime, timezone
    from uuid import uuid4

    from eventstore.records import NewEvent

    odd = 'a "quoted" \\ back\\slash, tab\t, newline\n, é, 🚀, </script>'
    events = [
        NewEvent(
            event_id=uuid4(),
            stream_id="odd",
            version=v,
            type="Anything",
            schema_version=1,
            occurred_at=datetime(
                2031, 12, 31, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=-5))
            ),
            actor_id=odd,
            actor_role="institute_officer",
            reason=odd if v == 1 else None,
            data={"text": odd, "n": 1.5, "nested": [{"x": None}], "big": 10**15},
        )
        for v in (1, 2)
    ]
    await event_store.append("odd", events, 0)

    h = await history(event_store, "odd")
    stored = await event_store.read_stream("odd")
    assert [
        (
            e.version,
            e.type,
            e.occurred_at,
            e.recorded_at,
            e.actor.id,
            e.actor.role,
            e.reason,
            e.data,
        )
        for e in h.events
    ] == [
        (
            s.version,
            s.type,
            s.occurred_at,
            s.recorded_at,
            s.actor_id,
            s.actor_role,
            s.reason,
            s.data,
        )
        for s in stored
    ]
    assert h.events[0].occurred_at == datetime(2032, 1, 1, 4, 59, 59, 123456, tzinfo=UTC)
    assert h.events[0].occurred_at.utcoffset() == timedelta(0)


async def test_the_services_own_streams_are_recorded_but_not_folded_as_projects(
    event_store, database_url
):
    """A stream named with a ":" (the policy's versions, a call's round) holds no project:
    the projector passes over its events and keeps folding the projects around them."""
    from uuid import uuid4

    from domain.fields import service_stream
    from eventstore.records import NewEvent

    await migrate_read_models(database_url)
    before = funded("IRP", "SV-BEFORE")
    await record(event_store, before)
    stream = service_stream("policy", "cnrs")
    fact = NewEvent(
        event_id=uuid4(), stream_id=stream, version=1, type="PolicyVersionSet",
        schema_version=1, occurred_at=utc(2026, 7, 1), actor_id="derci-martin",
        actor_role="derci_officer", reason="new ranges", data={"version": 2},
    )  # fmt: skip
    await event_store.append(stream, [fact], 0)
    after = funded("IRP", "SV-AFTER")
    await record(event_store, after)
    await Projector(event_store).catch_up()
    assert (await get_project(event_store, "SV-BEFORE")) is not None
    assert (await get_project(event_store, "SV-AFTER")) is not None
    assert await get_project(event_store, stream) is None
    rows = await portfolio(event_store, OPERATOR, PortfolioFilter())
    assert stream not in {r.project_id for r in rows}

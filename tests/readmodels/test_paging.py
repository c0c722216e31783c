"""Pages of the portfolio and of deadlines: walking every page gives every row once, in
the list's order, whatever the sort (NULLs last included), and the totals are the whole
list's."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import uuid4

import asyncpg
import pytest

from domain.actors import Actor, Role
from domain.events import TrancheReleased
from eventstore.embedded import with_database
from eventstore.postgres import PostgresEventStore
from readmodels.paging import MAX_PAGE_SIZE, BadCursor, encode
from readmodels.projector import Projector, migrate_read_models
from readmodels.views import (
    OPERATOR,
    PortfolioFilter,
    SortKey,
    charts_for,
    deadlines_for,
    deadlines_page,
    portfolio,
    portfolio_page,
)
from tests.builders import utc
from tests.domain.life import Life
from tests.domain.test_lifecycle import funded
from tests.readmodels.test_projector import record


@pytest.fixture(scope="module")
async def paged_store(postgres_url: str) -> AsyncIterator[PostgresEventStore]:
    """17 projects: 12 funded (IRP, IRL, IRN), 5 only submitted (no award: NULL sorts).
    Read only by the tests of this module."""
    name = f"test_{uuid4().hex[:16]}"
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(postgres_url, name)
    store = await PostgresEventStore.connect(url)
    try:
        await migrate_read_models(url)
        for n in range(12):
            await record(store, funded(("IRP", "IRL", "IRN")[n % 3], f"PG-{n:02d}"))
        for n in range(5):
            life = Life(f"PG-S{n}")
            life.submit("IRP", utc(2026, 3, 2))
            await record(store, life)
        await Projector(store).catch_up()
        yield store
    finally:
        await store.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def walk(store, where: PortfolioFilter, limit: int) -> tuple[list[str], list[int]]:
    ids, totals, cursor = [], [], None
    while True:
        page, sums = await portfolio_page(store, OPERATOR, where, limit, cursor)
        assert len(page.rows) <= limit
        ids += [r.project_id for r in page.rows]
        totals.append(sums.projects)
        assert page.total == sums.projects
        if page.next is None:
            return ids, totals
        cursor = page.next


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [False, True])
async def test_every_page_in_turn_is_the_whole_list_in_its_order(paged_store, sort, descending):
    where = PortfolioFilter(sort=sort, descending=descending)
    whole = [r.project_id for r in await portfolio(paged_store, OPERATOR, where)]
    assert len(whole) == 17
    ids, totals = await walk(paged_store, where, 4)
    assert ids == whole
    assert set(totals) == {17} and len(totals) == 5


async def test_a_filtered_list_pages_and_totals_only_its_rows(paged_store):
    where = PortfolioFilter(instrument="IRL")
    ids, totals = await walk(paged_store, where, 3)
    assert ids == ["PG-01", "PG-04", "PG-07", "PG-10"]
    assert totals == [4, 4]
    _, sums = await portfolio_page(paged_store, OPERATOR, where, 3)
    rows = await portfolio(paged_store, OPERATOR, where)
    assert sums.awarded_eur == sum(r.total_awarded_eur for r in rows) > 0
    assert sums.to_come_eur == sum(r.to_come_eur for r in rows) > 0
    assert sums.released_eur == sum(r.released_eur for r in rows) > 0


async def test_a_coordinators_pages_carry_the_whole_lists_totals(paged_store):
    # a page and its list's totals are one statement: every page, the last and an empty
    # list's included, carries the totals of the whole list
    everyone, sums_all = await portfolio_page(paged_store, OPERATOR, PortfolioFilter(), 100)
    own = Actor(id="pi-durand", role=Role.COORDINATOR)  # every project's coordinator here
    ids, cursor, seen = [], None, []
    while True:
        page, sums = await portfolio_page(paged_store, own, PortfolioFilter(), 5, cursor)
        ids += [r.project_id for r in page.rows]
        seen.append((page.total, sums))
        if page.next is None:
            break
        cursor = page.next
    assert ids == [r.project_id for r in everyone.rows]
    assert len(seen) == 4 and all(total == 17 and sums == sums_all for total, sums in seen)
    stranger = Actor(id="pi-nobody", role=Role.COORDINATOR)
    page, sums = await portfolio_page(paged_store, stranger, PortfolioFilter(), 5)
    assert page.rows == [] and page.next is None and page.total == 0
    assert sums.projects == sums.awarded_eur == sums.released_eur == 0


async def test_page_sizes_are_bounded(paged_store):
    page, _ = await portfolio_page(paged_store, OPERATOR, PortfolioFilter(), 10_000)
    assert len(page.rows) == 17 and page.next is None
    page, _ = await portfolio_page(paged_store, OPERATOR, PortfolioFilter(), 0)
    assert len(page.rows) == 1 and page.next is not None
    assert MAX_PAGE_SIZE == 500


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64 at all!",
        encode(["PG-01"]),
        encode([1, "PG-01"]),
        "x" * 1000,
        encode([None, None]),
    ],
)
async def test_a_cursor_not_given_by_the_list_is_refused(paged_store, cursor):
    with pytest.raises(BadCursor):
        await portfolio_page(paged_store, OPERATOR, PortfolioFilter(), 4, cursor)


async def test_deadlines_page_through_in_due_order(paged_store):
    now, within = utc(2026, 6, 2), timedelta(days=3650)
    whole = await deadlines_for(paged_store, OPERATOR, now, within)
    assert len(whole) > 20
    seen, cursor, totals = [], None, set()
    while True:
        page = await deadlines_page(paged_store, OPERATOR, now, within, 7, cursor)
        seen += page.rows
        totals.add(page.total)
        if page.next is None:
            break
        cursor = page.next
    assert seen == whole and totals == {len(whole)}
    with pytest.raises(BadCursor):
        await deadlines_page(paged_store, OPERATOR, now, within, 7, encode(["x", "a", "b", "c"]))


@pytest.mark.parametrize("where", [PortfolioFilter(), PortfolioFilter(instrument="IRL")])
async def test_charts_of_a_list_are_those_of_all_its_pages(paged_store, where):
    """From the read model (the releases the projector copied), the same as counted from
    every row of the list and every tranche event of its projects."""
    rows = await portfolio(paged_store, OPERATOR, where)
    drawn = await charts_for(paged_store, OPERATOR, where)
    assert drawn.projects_by_state == dict(Counter(r.phase for r in rows))
    assert drawn.partner_countries == dict(
        Counter(c for r in rows for c in r.countries if c != "FR")
    )
    shown = {r.project_id: r.instrument for r in rows}
    released: dict[str, dict[int, int]] = {}
    for event in await paged_store.read_all(limit=100_000):
        if event.type == "TrancheReleased" and event.stream_id in shown:
            per_year = released.setdefault(shown[event.stream_id], {})
            year = event.occurred_at.year
            per_year[year] = per_year.get(year, 0) + event.data["amount_eur"]
    assert drawn.released_by_year == released and released


async def test_tranches_released_before_the_upgrade_are_charted(event_store, database_url):
    """A store upgraded with events already in it: migration 1003 copies its releases."""
    life = funded("IRP", "PG-OLD")
    await record(event_store, life)
    await migrate_read_models(database_url)
    async with event_store.connection() as conn:
        copied = await conn.fetch("SELECT project_id, amount_eur FROM releases")
    released = [e for e in life.events if isinstance(e, TrancheReleased)]
    assert released and [(r["project_id"], r["amount_eur"]) for r in copied] == [
        ("PG-OLD", e.data.amount_eur) for e in released
    ]

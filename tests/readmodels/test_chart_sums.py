"""The portfolio's cells the projector keeps (1012_portfolio_cells.sql) make the charts and
totals counted from the rows: after a portfolio's lives are projected, after a rebuild,
after more events, by every filter; and migration 1012's own cells from the read models
are the projector's to the row."""

from __future__ import annotations

import random
from typing import Any

import pytest

from bench import lifegen
from domain.institutes import Institute
from domain.instruments import InstrumentCode
from eventstore.event_records import to_record
from readmodels.projector import MIGRATIONS, Projector, migrate_read_models
from readmodels.views import (
    OPERATOR,
    PortfolioFilter,
    Totals,
    _charts_counted,
    _charts_kept,
    charts_for,
    portfolio,
    portfolio_page,
)
from tests.builders import DERCI, pi_actor
from tests.domain.test_contributions import a_co_funded_life
from tests.domain.test_imports import an_imported_life

LIVES = 24
_KEYS = ", ".join(str(n) for n in range(1, 9))
_TABLES = ("portfolio_cells", "partner_cells", "released_cells")


def lives(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """A portfolio's mix of generated lives, two in three led by an institute, and an
    imported life (releases said paid by its import) and a co-funded one."""
    monkeypatch.setattr(
        lifegen,
        "MIX",
        [
            (InstrumentCode.IEA, 0.25),
            (InstrumentCode.IRP, 0.35),
            (InstrumentCode.IRN, 0.20),
            (InstrumentCode.IRL, 0.20),
        ],
    )
    plain = lifegen.application
    institutes = list(Institute)

    def led(code: InstrumentCode, n: int, rng: random.Random) -> Any:
        app = plain(code, n, rng)
        if n % 3 == 0:
            return app
        return app.model_copy(update={"institute": institutes[n % len(institutes)]})

    monkeypatch.setattr(lifegen, "application", led)
    return [lifegen.generate_life(n, seed=7) for n in range(LIVES)] + [
        an_imported_life(),
        a_co_funded_life(),
    ]


async def append(store: Any, life: Any, start: int, stop: int) -> None:
    events = life.events[start:stop]
    if events:
        await store.append(life.project_id, [to_record(e) for e in events], start)


def filters() -> list[PortfolioFilter]:
    out = [PortfolioFilter()]
    out += [PortfolioFilter(instrument=c.value) for c in InstrumentCode]
    out += [PortfolioFilter(phase=p) for p in ("active", "closed", "under_evaluation")]
    out += [PortfolioFilter(institute=i.value) for i in list(Institute)[:4]]
    out += [PortfolioFilter(instrument="IRL", phase="active", institute=list(Institute)[1])]
    out += [PortfolioFilter(country=c) for c in ("FR", "BR", "JP", "US")]
    out += [PortfolioFilter(year=y) for y in range(2022, 2034)]
    return out


def filters_matching(rows: list[Any]) -> list[PortfolioFilter]:
    """Every filter at once, each matching at least a project of the portfolio."""
    return [
        PortfolioFilter(
            instrument=r.instrument,
            phase=r.phase,
            institute=r.institute,
            country=r.countries[i % len(r.countries)],
            year=(r.term_starts_at or r.updated_at).year,
        )
        for i, r in enumerate(rows[::3])
    ]


async def assert_kept_are_counted(store: Any, owner: Any) -> None:
    drawn = 0
    combined = filters_matching(await portfolio(store, OPERATOR))
    for where in filters() + combined:
        kept = await _charts_kept(store, where)
        counted = await _charts_counted(store, OPERATOR, where)
        assert kept == counted, where
        # the totals from the cells are those of the rows too (a reviewer's list, counted
        # from its rows, with every project made visible to them would read the same)
        page, totals = await portfolio_page(store, DERCI, where, limit=1)
        assert (page.total, totals) == await totals_of_rows(store, where), where
        drawn += bool(kept.projects_by_state)
        # in the same order too (the page draws them in it)
        assert list(kept.projects_by_state) == list(counted.projects_by_state), where
        assert list(kept.partner_countries) == list(counted.partner_countries), where
    assert drawn >= len(filters()) + len(combined) - 8  # most filters match some projects
    whole = await charts_for(store, DERCI)
    assert whole.projects_by_state and whole.partner_countries and whole.released_by_year
    # what the migration adds up from the read models is what the projector kept
    kept_rows = await sums(store)
    await owner.execute("SELECT fill_portfolio_charts()")  # the schema owner's only
    assert await sums(store) == kept_rows


async def totals_of_rows(store: Any, where: PortfolioFilter) -> tuple[int, Totals]:
    rows = await portfolio(store, OPERATOR, where)
    return len(rows), Totals(
        projects=len(rows),
        awarded_eur=sum(r.total_awarded_eur for r in rows),
        released_eur=sum(r.released_eur for r in rows),
        withheld_eur=sum(r.withheld_eur for r in rows),
        to_come_eur=sum(r.to_come_eur for r in rows),
        cofunding_eur=sum(r.cofunding_eur for r in rows),
    )


async def sums(store: Any) -> list[list[tuple[Any, ...]]]:
    async with store.connection() as conn:
        return [
            [tuple(r) for r in await conn.fetch(f"SELECT * FROM {t} ORDER BY {_KEYS}")]
            for t in _TABLES
        ]


async def test_the_kept_sums_are_the_charts_of_the_rows(
    event_store, database_url, owner, monkeypatch
):
    await migrate_read_models(database_url)
    portfolio = lives(monkeypatch)
    rng = random.Random(19)
    cuts = {life.project_id: rng.randrange(1, len(life.events) + 1) for life in portfolio}
    for life in portfolio:  # each life up to a point of it
        await append(event_store, life, 0, cuts[life.project_id])
    projector = Projector(event_store)
    await projector.catch_up(batch_size=97)  # batches that end mid-project
    await assert_kept_are_counted(event_store, owner)
    counted = await sums(event_store)

    await projector.rebuild(batch_size=211)
    assert await sums(event_store) == counted
    await assert_kept_are_counted(event_store, owner)

    for life in portfolio:  # the rest of each life: phases change, tranches are released
        await append(event_store, life, cuts[life.project_id], len(life.events))
    await Projector(event_store).catch_up(batch_size=97)
    after = await sums(event_store)
    assert after != counted
    await assert_kept_are_counted(event_store, owner)


async def test_a_coordinator_counts_their_rows_and_an_officer_reads_the_cells(
    event_store, database_url, monkeypatch
):
    """A coordinator's own list is not in the cells: its charts and totals are those of
    its rows. An officer's, filtered by country and year or not, reads the cells."""
    await migrate_read_models(database_url)
    portfolio = lives(monkeypatch)[:8]
    for life in portfolio:
        await append(event_store, life, 0, len(life.events))
    await Projector(event_store).catch_up()
    life = portfolio[1]
    app = life.state.application
    coordinator = pi_actor(app.coordinator.id)
    async with event_store.connection() as conn:
        # cells that are wrong on purpose: a coordinator's charts never read them
        await conn.execute("UPDATE portfolio_cells SET projects = projects + 1000")
        await conn.execute("UPDATE partner_cells SET projects = projects + 1000")
    mine = await charts_for(event_store, coordinator)
    assert mine.projects_by_state == {life.state.phase.value: 1}
    page, totals = await portfolio_page(event_store, coordinator, PortfolioFilter())
    assert page.total == totals.projects == 1
    for where in (
        PortfolioFilter(),
        PortfolioFilter(country=app.labs[-1].country),
        PortfolioFilter(year=life.events[0].occurred_at.year),
        PortfolioFilter(instrument=app.instrument.value, country=app.labs[-1].country),
    ):
        drawn = await charts_for(event_store, DERCI, where)
        assert sum(drawn.projects_by_state.values()) > 1000, where
        page, totals = await portfolio_page(event_store, DERCI, where)
        assert page.total > 1000 and len(page.rows) <= len(portfolio), where


# the read models as the projector of 1011 left them: without the keys 1012 adds to the
# portfolio's rows, with 1011's sums (its own SQL run again)
_BACK_TO_1011 = """
DROP TABLE portfolio_cells, partner_cells, released_cells;
DROP FUNCTION fill_portfolio_charts();
DROP FUNCTION live_in(integer, integer, boolean, integer);
ALTER TABLE portfolio DROP COLUMN first_year, DROP COLUMN last_year, DROP COLUMN runs,
    DROP COLUMN institute, DROP COLUMN submitted_at, DROP COLUMN closed_at;
DROP INDEX portfolio_instrument_phase;
CREATE INDEX portfolio_instrument_phase ON portfolio (instrument, phase)
    INCLUDE (total_awarded_eur, released_eur, withheld_eur, to_come_eur, cofunding_eur);
DELETE FROM schema_migrations WHERE version = 1012;
"""


async def test_an_upgraded_store_gets_its_keys_and_cells_from_the_migration(
    event_store, database_url, owner, monkeypatch
):
    """Read models projected before 1012: the migration copies each project's keys to its
    row and adds the cells up, no rebuild needed; the same rows and cells as projected."""
    await migrate_read_models(database_url)
    for life in lives(monkeypatch):
        await append(event_store, life, 0, len(life.events))
    await Projector(event_store).catch_up()
    projected = await owner.fetch("SELECT * FROM portfolio ORDER BY project_id")
    cells = await sums(event_store)
    await owner.execute(_BACK_TO_1011 + (MIGRATIONS / "1011_portfolio_charts.sql").read_text())
    assert await owner.fetchval("SELECT count(*) FROM portfolio_counts") > 0

    assert await migrate_read_models(database_url) == [1012]
    assert await owner.fetch("SELECT * FROM portfolio ORDER BY project_id") == projected
    assert await sums(event_store) == cells
    await assert_kept_are_counted(event_store, owner)

"""The charts' sums the projector keeps (1011_portfolio_charts.sql) are the charts counted
from the rows: after a portfolio's lives are projected, after a rebuild, after more events,
by any filter they answer; and migration 1011's own sums from the read models are the
projector's to the row."""

from __future__ import annotations

import random
import shutil
from typing import Any

import pytest

from bench import lifegen
from domain.institutes import Institute
from domain.instruments import InstrumentCode
from eventstore.event_records import to_record
from eventstore.migrations import migrate
from readmodels import projector as projector_module
from readmodels.projector import MIGRATIONS, Projector, migrate_read_models
from readmodels.views import (
    OPERATOR,
    PortfolioFilter,
    _charts_counted,
    _charts_kept,
    charts_for,
)
from tests.builders import DERCI, pi_actor
from tests.domain.test_contributions import a_co_funded_life
from tests.domain.test_imports import an_imported_life

LIVES = 24
_TABLES = ("portfolio_counts", "portfolio_country_counts", "released_by_year")


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
    return out


async def assert_kept_are_counted(store: Any, owner: Any) -> None:
    drawn = 0
    for where in filters():
        kept = await _charts_kept(store, where)
        counted = await _charts_counted(store, OPERATOR, where)
        assert kept == counted, where
        drawn += bool(kept.projects_by_state)
        # in the same order too (the page draws them in it)
        assert list(kept.projects_by_state) == list(counted.projects_by_state), where
        assert list(kept.partner_countries) == list(counted.partner_countries), where
    assert drawn >= len(filters()) - 3  # most filters match some projects
    whole = await charts_for(store, DERCI)
    assert whole.projects_by_state and whole.partner_countries and whole.released_by_year
    # what the migration adds up from the read models is what the projector kept
    kept_rows = await sums(store)
    await owner.execute("SELECT fill_portfolio_charts()")  # the schema owner's only
    assert await sums(store) == kept_rows


async def sums(store: Any) -> list[list[tuple[Any, ...]]]:
    async with store.connection() as conn:
        return [
            [tuple(r) for r in await conn.fetch(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4")]
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


async def test_a_coordinator_and_filters_without_keys_count_their_rows(
    event_store, database_url, monkeypatch
):
    """A coordinator's own list, and a country or year filter, are not in the sums: their
    charts are those of their rows."""
    await migrate_read_models(database_url)
    portfolio = lives(monkeypatch)[:8]
    for life in portfolio:
        await append(event_store, life, 0, len(life.events))
    await Projector(event_store).catch_up()
    life = portfolio[1]
    app = life.state.application
    coordinator = pi_actor(app.coordinator.id)
    async with event_store.connection() as conn:
        # sums that are wrong on purpose: these charts never read them
        await conn.execute("UPDATE portfolio_counts SET projects = projects + 1000")
        await conn.execute("UPDATE portfolio_country_counts SET projects = projects + 1000")
    mine = await charts_for(event_store, coordinator)
    assert mine.projects_by_state == {life.state.phase.value: 1}
    for where in (
        PortfolioFilter(country=app.labs[-1].country),
        PortfolioFilter(year=life.events[0].occurred_at.year),
        PortfolioFilter(instrument=app.instrument.value, country=app.labs[-1].country),
    ):
        drawn = await charts_for(event_store, DERCI, where)
        assert drawn == await _charts_counted(event_store, DERCI, where)
        assert 0 < sum(drawn.projects_by_state.values()) <= len(portfolio)
    # the whole portfolio's do read them
    assert sum((await charts_for(event_store, DERCI)).projects_by_state.values()) > 1000


async def test_an_upgraded_store_gets_its_sums_from_the_migration(
    event_store, database_url, owner, monkeypatch, tmp_path
):
    """Read models projected before 1011: the migration adds them up, no rebuild needed."""
    for sql in sorted(MIGRATIONS.glob("*.sql")):
        if int(sql.name[:4]) < 1011:
            shutil.copy(sql, tmp_path / sql.name)
    await migrate(owner, directory=tmp_path)
    before = Projector(event_store)
    # the projector of 1010 kept no sums: project without them
    monkeypatch.setattr(projector_module, "_CHART_SUMS", "SELECT $1::text[], $2::int")
    monkeypatch.setattr(projector_module, "_CHART_SUMS_EMPTIED", "SELECT 1")
    for life in lives(monkeypatch):
        await append(event_store, life, 0, len(life.events))
    await before.catch_up()
    async with event_store.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM portfolio") == LIVES + 2
    assert await migrate_read_models(database_url) == [1011]
    await assert_kept_are_counted(event_store, owner)

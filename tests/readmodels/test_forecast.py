"""The forecast agrees to the euro with the record: what was paid (each TrancheReleased and
what imports say was paid), and what is ahead in each project's folded state."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from domain.calendar import add_years
from domain.forecast import LineKind, forecast_lines
from readmodels.forecast import forecast
from readmodels.projector import Projector, migrate_read_models
from readmodels.queries import get_project
from tests.builders import DERCI, pi_actor, utc
from tests.domain.test_contributions import a_co_funded_life
from tests.domain.test_imports import an_imported_life
from tests.domain.test_lifecycle import funded
from tests.readmodels.test_projector import record


async def test_the_forecast_agrees_with_the_record_year_by_year(event_store, database_url):
    await migrate_read_models(database_url)
    late = funded("IRP", "FC-LATE")  # its year-1 report never comes: tranche 2 withheld
    start = late.state.term.starts_at
    late.report_on_time(add_years(start, 1) + timedelta(days=5), skip=frozenset({"term1-year1"}))
    lives = [late, funded("IRL", "FC-IRL"), an_imported_life(), a_co_funded_life()]
    for life in lives:
        await record(event_store, life)
    await Projector(event_store).catch_up()

    now = utc(2027, 9, 1)  # the late report is overdue then: nothing else is
    rows = await forecast(event_store, DERCI, 2020, 2040, now)
    # paid, year by year: every release recorded, and what the import says was paid
    paid = Counter()
    for life in lives:
        for e in life.of_type("TrancheReleased"):
            paid[e.occurred_at.year] += e.data.amount_eur
        for e in life.of_type("ProjectImported"):
            for t in e.data.tranches[: e.data.past.tranches_released]:
                paid[t.due_at.year] += t.amount_eur
    got_paid = Counter()
    for r in rows:
        got_paid[r.year] += r.paid_eur
    assert +got_paid == +paid
    # each project's paid total is the portfolio's released amount
    for life in lives:
        row = await get_project(event_store, life.project_id)
        one = await forecast(event_store, DERCI, 2000, 2100, now, life.project_id)
        assert sum(r.paid_eur for r in one) == row.released_eur, life.project_id
    # ahead, year by year and kind by kind, as the folded states say
    ahead = Counter()
    for life in lives:
        for line in forecast_lines(life.state):
            ahead[(line.year, line.kind)] += line.amount_eur
    got = Counter()
    for r in rows:
        got[(r.year, LineKind.SCHEDULED)] += r.scheduled_eur + r.at_risk_eur
        got[(r.year, LineKind.WITHHELD)] += r.withheld_eur
        got[(r.year, LineKind.RENEWAL)] += r.renewals_pending_eur
        got[(r.year, LineKind.COFUNDING)] += r.cofunding_eur
    assert +got == +ahead
    # at risk: the late project's tranches after the overdue report, on the day asked
    late_rows = await forecast(event_store, DERCI, 2020, 2040, now, "FC-LATE")
    assert sum(r.withheld_eur for r in late_rows) > 0
    assert sum(r.at_risk_eur for r in late_rows) == 0  # tranche 3 waits for year 2's report
    later = await forecast(event_store, DERCI, 2020, 2040, utc(2028, 6, 1), "FC-LATE")
    assert sum(r.at_risk_eur for r in later) > 0  # by then year 2's report is overdue too


async def test_a_coordinator_sees_the_money_of_their_own_projects_only(event_store, database_url):
    await migrate_read_models(database_url)
    mine = funded("IRP", "FC-MINE")
    await record(event_store, mine)
    await Projector(event_store).catch_up()
    coordinator = pi_actor()
    seen = await forecast(event_store, coordinator, 2020, 2040, utc(2026, 7, 1))
    everyone = await forecast(event_store, DERCI, 2020, 2040, utc(2026, 7, 1))
    total = sum(r.paid_eur + r.scheduled_eur for r in seen)
    assert total == 72_001  # the award of their project
    assert sum(r.paid_eur + r.scheduled_eur for r in everyone) >= total

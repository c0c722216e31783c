"""The money ahead of one project: each tranche not yet paid by the year it falls due, the
report it waits for, a pending renewal, co-funding."""

from __future__ import annotations

from datetime import timedelta

from domain.calendar import add_months, add_years
from domain.commands import RequestRenewal
from domain.forecast import LineKind, forecast_lines
from domain.state import TrancheStatus
from tests.builders import pi_actor, utc
from tests.domain.life import Life
from tests.domain.test_contributions import a_co_funded_life
from tests.domain.test_lifecycle import AWARD, funded


def by_kind(lines, kind):
    return [(line.year, line.amount_eur) for line in lines if line.kind is kind]


def test_an_approved_project_has_its_whole_term_scheduled_from_its_start():
    life = Life("P-A")
    life.submit("IRP", utc(2026, 3, 2))
    life.evaluate(utc(2026, 3, 10))
    life.approve(utc(2026, 4, 15), 60_000, starts=utc(2027, 1, 1))
    lines = forecast_lines(life.state)
    assert by_kind(lines, LineKind.SCHEDULED) == [(y, 12_000) for y in range(2027, 2032)]
    first, second = lines[0], lines[1]
    assert first.report_id is None  # the first tranche waits for no report
    assert second.report_id == "term1-year1" and second.report_due_at is not None


def test_an_active_term_schedules_what_is_not_paid_and_keeps_a_withheld_tranche_apart():
    life = funded("IRP")  # 72,001 EUR from 2026-06-01, tranche 1 paid
    start = life.state.term.starts_at
    life.report_on_time(add_years(start, 1) + timedelta(days=5), skip=frozenset({"term1-year1"}))
    tranches = {t.year: t for t in life.state.term.tranches}
    assert tranches[2].status is TrancheStatus.WITHHELD
    lines = forecast_lines(life.state)
    assert by_kind(lines, LineKind.WITHHELD) == [(2027, tranches[2].amount_eur)]
    scheduled = [line for line in lines if line.kind is LineKind.SCHEDULED]
    assert [line.year for line in scheduled] == [2028, 2029, 2030]
    # paid + ahead = the award, to the euro
    ahead = sum(line.amount_eur for line in lines if line.kind is not LineKind.COFUNDING)
    assert life.state.released_eur + ahead == AWARD["IRP"]


def test_a_pending_renewal_says_what_it_would_add_year_by_year():
    life = funded("IRL")
    window = add_months(life.state.term.ends_at, -8)
    life.report_on_time(window)
    life.do(RequestRenewal, window, pi_actor(), requested_eur=90_000)
    renewal = by_kind(forecast_lines(life.state), LineKind.RENEWAL)
    ends = life.state.term.ends_at.year
    assert renewal == [(y, 18_000) for y in range(ends, ends + 5)]


def test_co_funding_is_its_own_line_by_the_year_it_is_for():
    lines = forecast_lines(a_co_funded_life().state)
    assert by_kind(lines, LineKind.COFUNDING) == [(2027, 20_808), (2027, 8_000)]

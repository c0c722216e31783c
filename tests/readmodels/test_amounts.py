"""Amounts people can read (issue 16): the current term's award, the award over every term,
what was paid, what is withheld now and what is still to come, each as its own figure,
and deadlines that say which tranche of how many and how much."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from domain.calendar import add_months, add_years
from domain.commands import AmendBudget, DecideRenewal, RecordContribution, RequestRenewal
from domain.deadlines import open_deadlines
from domain.events import ContributionSource
from domain.evolve import fold
from domain.state import TrancheStatus
from readmodels.projector import Projector, migrate_read_models
from readmodels.queries import get_project
from readmodels.views import PortfolioFilter, portfolio_page
from tests.builders import DERCI, INSTITUTE, pi_actor, utc
from tests.domain.test_imports import an_imported_life
from tests.domain.test_lifecycle import AWARD, funded
from tests.readmodels.test_projector import record


def paid(life) -> int:
    return sum(e.data.amount_eur for e in life.of_type("TrancheReleased"))


async def test_a_renewed_irl_shows_its_terms_award_and_its_total_apart(event_store, database_url):
    await migrate_read_models(database_url)
    life = funded("IRL", "AM-IRL")
    first = life.state.term
    window = add_months(first.ends_at, -8)
    life.report_on_time(window)
    life.do(RequestRenewal, window, pi_actor(), requested_eur=90_000)
    life.do(
        DecideRenewal, window + timedelta(days=30), INSTITUTE,
        grant=True, awarded_eur=90_000, reason="productive first term",
    )  # fmt: skip
    life.report_on_time(add_years(first.ends_at, 1) + timedelta(days=1))
    assert life.state.term.number == 2
    await record(event_store, life)
    await Projector(event_store).catch_up()

    row = await get_project(event_store, "AM-IRL")
    assert row.awarded_eur == 90_000  # this term's
    assert row.total_awarded_eur == AWARD["IRL"] + 90_000  # every term's
    # every term's payments together; what is to come is this term's alone
    second_term = sum(
        e.data.amount_eur for e in life.of_type("TrancheReleased") if e.data.term_number == 2
    )
    assert row.released_eur == paid(life) == AWARD["IRL"] + second_term
    withheld = [t for t in life.state.term.tranches if t.status is TrancheStatus.WITHHELD]
    assert second_term == 18_000 and [t.year for t in withheld] == [2]  # its report is late
    assert row.withheld_eur == 18_000
    assert row.to_come_eur == 90_000 - second_term - 18_000


async def test_a_withheld_tranche_is_shown_as_withheld_not_as_to_come(event_store, database_url):
    await migrate_read_models(database_url)
    life = funded("IRP", "AM-IRP")
    start = life.state.term.starts_at
    life.report_on_time(add_years(start, 1) + timedelta(days=5), skip=frozenset({"term1-year1"}))
    assert life.state.tranche(2).status is TrancheStatus.WITHHELD
    await record(event_store, life)
    await Projector(event_store).catch_up()

    row = await get_project(event_store, "AM-IRP")
    tranche = life.state.tranche(2).amount_eur
    assert row.withheld_eur == tranche
    assert row.to_come_eur == AWARD["IRP"] - paid(life) - tranche
    labels = {d.ref: d.label for d in open_deadlines(life.state)}
    assert labels["term1-tranche2"] == (
        f"tranche 2 of 5: {tranche:,} EUR (withheld until report term1-year1 is accepted)"
    )
    assert labels["term1-tranche3"] == f"tranche 3 of 5: {life.state.tranche(3).amount_eur:,} EUR"


def test_before_its_term_starts_a_project_says_what_its_first_tranche_pays():
    life = funded("IRP")
    approved = life.events.index(life.of_type("ApplicationApproved")[0])
    state = fold(life.events[: approved + 1])  # decided, the term not started yet
    [start] = [d for d in open_deadlines(state) if d.kind == "term_start"]
    # 72,001 EUR over five years: the odd euro goes to the first
    assert start.label == "term starts; tranche 1 of 5: 14,401 EUR"


async def test_an_amended_budget_is_the_terms_award_and_counts_once(event_store, database_url):
    await migrate_read_models(database_url)
    life = funded("IRP", "AM-CUT")  # 72,001 EUR, tranche 1 (14,401) paid
    at = utc(2026, 9, 1)
    life.run_until(at)
    life.do(AmendBudget, at, INSTITUTE, awarded_eur=60_000, reason="institute budget cut")
    await record(event_store, life)
    await Projector(event_store).catch_up()

    row = await get_project(event_store, "AM-CUT")
    assert (row.awarded_eur, row.total_awarded_eur) == (60_000, 60_000)
    assert (row.released_eur, row.to_come_eur) == (14_401, 60_000 - 14_401)


async def test_an_imported_project_shows_its_current_terms_award(event_store, database_url):
    await migrate_read_models(database_url)
    life = an_imported_life()  # an IRL in its third year: 90,000 EUR, three tranches paid
    await record(event_store, life)
    await Projector(event_store).catch_up()
    row = await get_project(event_store, life.project_id)
    assert (row.awarded_eur, row.total_awarded_eur) == (90_000, 90_000)
    assert row.released_eur == paid(life) + 3 * 18_000  # what the import says, then paid since


async def test_co_funding_is_shown_apart_from_cnrs_funding_and_together(event_store, database_url):
    await migrate_read_models(database_url)
    life = funded("IRP", "AM-COF")  # 72,001 EUR from CNRS; partners in Brazil
    at = utc(2027, 3, 1)
    life.run_until(at)
    contribution = {
        "year": 2027, "source_kind": ContributionSource.PARTNER, "source": "FAPESP",
        "country": "BR", "amount": 120_000, "currency": "BRL", "eur_rate": Decimal("0.1734"),
        "rate_date": date(2027, 2, 1), "rate_source": "ECB", "reason": "FAPESP agreement",
    }  # fmt: skip
    life.do(RecordContribution, at, INSTITUTE, **contribution)
    life.do(
        RecordContribution, at, INSTITUTE,
        **{**contribution, "source_kind": ContributionSource.INSTITUTE, "source": "INP",
           "country": None, "amount": 5_000, "currency": "EUR", "eur_rate": Decimal(1)},
    )  # fmt: skip
    other = funded("IRP", "AM-CNRS-ONLY")
    for each in (life, other):
        await record(event_store, each)
    await Projector(event_store).catch_up()

    row = await get_project(event_store, "AM-COF")
    assert (row.total_awarded_eur, row.cofunding_eur) == (72_001, 20_808 + 5_000)
    assert row.all_funding_eur == 72_001 + 25_808
    assert row.model_dump(mode="json")["all_funding_eur"] == 97_809  # the API's answer too
    _, totals = await portfolio_page(event_store, DERCI, PortfolioFilter())
    assert (totals.awarded_eur, totals.cofunding_eur) == (2 * 72_001, 25_808)
    assert totals.all_funding_eur == 2 * 72_001 + 25_808

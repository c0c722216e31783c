"""A running project's past, as an import file states it, is one the rules allow: its
award, its renewals, the tranches and reports possible by the day of the import."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.commands import ImportProject
from domain.errors import IllegalTransition, NotPermitted, RuleViolation
from domain.events import EVENT_LIST_ADAPTER
from domain.evolve import fold
from domain.imports import ImportedPast, ImportInput, ImportSource, check_past
from domain.policy import DEFAULT_POLICY
from domain.state import Phase, ReportStatus, TrancheStatus
from tests.builders import DERCI, INSTITUTE, application, utc
from tests.domain.life import Life

NOW = utc(2027, 9, 1)  # an IRL started on 1 June 2025 is in its third year


def past(**overrides) -> ImportedPast:
    fields = {
        "awarded_eur": 90_000,
        "term_starts_at": utc(2025, 6, 1),
        "term_number": 1,
        "renewals": 0,
        "tranches_released": 3,
        "reports_accepted": ["term1-year1", "term1-year2"],
        "decided_by": {"id": "derci-martin", "role": "derci_officer"},
        "reason": "IRL running since 2025, brought in",
    }
    return ImportedPast.model_validate({**fields, **overrides})


def refused(message: str, field: str, at: datetime = NOW, code: str = "IRL", **overrides) -> None:
    with pytest.raises(RuleViolation) as err:
        check_past(application(code), past(**overrides), DEFAULT_POLICY, at)
    assert (err.value.message, err.value.field) == (message, field)


def test_a_running_irl_in_its_third_year_is_a_possible_past():
    check_past(application("IRL"), past(), DEFAULT_POLICY, NOW)
    # a second term, renewed once, its first tranche paid
    second = past(
        term_number=2, renewals=1, term_starts_at=utc(2027, 6, 1), tranches_released=1,
        reports_accepted=[],
    )  # fmt: skip
    check_past(application("IRL"), second, DEFAULT_POLICY, NOW)


def test_an_award_outside_the_range_or_above_the_request_is_refused():
    refused(
        "awarded amount 120000 EUR outside IRL range 75000–100000",
        "imported.awarded_eur",
        awarded_eur=120_000,
    )
    with pytest.raises(RuleViolation, match="exceeds the amount requested"):
        check_past(application("IRL", requested_eur=80_000), past(), DEFAULT_POLICY, NOW)


def test_renewals_must_match_the_term_and_the_instruments_limit():
    refused(
        "imported.renewals: a project in its term 2 has been renewed once, not twice",
        "imported.renewals",
        term_number=2,
        renewals=2,
        tranches_released=0,
        reports_accepted=[],
    )
    refused(
        "imported.renewals: an IRP may be renewed at most once",
        "imported.renewals",
        code="IRP",
        awarded_eur=60_000,
        term_number=3,
        renewals=2,
        tranches_released=0,
        reports_accepted=[],
    )


def test_tranches_and_reports_must_be_possible_by_the_import():
    refused(
        "imported.tranches_released: 4 tranches released, but only 3 of 5 had fallen due "
        "by 1 September 2027",
        "imported.tranches_released",
        tranches_released=4,
        reports_accepted=["term1-year1", "term1-year2", "term1-year3"],
    )
    refused(
        "imported.reports_accepted: tranche 3 was released, so report term1-year2 was "
        "accepted; list it",
        "imported.reports_accepted",
        reports_accepted=["term1-year1"],
    )
    refused(
        "imported.reports_accepted: term1-year4 covers a year that had not begun by "
        "1 September 2027",
        "imported.reports_accepted",
        reports_accepted=["term1-year1", "term1-year2", "term1-year4"],
    )
    refused(
        "imported.reports_accepted: term2-year1 is not a report of term 1 (term1-year1, "
        "term1-year2, term1-year3, term1-year4, term1-year5)",
        "imported.reports_accepted",
        reports_accepted=["term1-year1", "term1-year2", "term2-year1"],
    )
    refused(
        "imported.term_starts_at: the term starts on 1 June 2028, after the import; bring "
        "in running projects only",
        "imported.term_starts_at",
        term_starts_at=utc(2028, 6, 1),
        tranches_released=0,
        reports_accepted=[],
    )


def test_only_an_officer_decides_a_project():
    refused(
        "imported.decided_by: a project is decided by a DERCI officer or an institute "
        "officer, not by a coordinator",
        "imported.decided_by",
        decided_by={"id": "pi-durand", "role": "coordinator"},
    )


def test_an_entry_is_typed_strictly():
    with pytest.raises(ValidationError) as err:
        ImportInput.model_validate(
            {
                "project_id": "IRL-OLD-1",
                "application": application("IRL").model_dump(mode="json"),
                "imported": {**past().model_dump(mode="json"), "term_number": "1"},
            }
        )
    assert [e["loc"] for e in err.value.errors()] == [("imported", "term_number")]


SOURCE = ImportSource(file_sha256="a" * 64, entry=0, entry_sha256="b" * 64)


def imported(life: Life, at: datetime = NOW, **overrides) -> None:
    life.do(
        ImportProject, at, DERCI,
        project_id=life.project_id, application=application("IRL"),
        imported=past(**overrides), source=SOURCE, reason="IRL running since 2025, brought in",
    )  # fmt: skip


def test_an_imported_irl_is_one_fact_and_goes_on_from_where_it_stands():
    life = Life("IRL-OLD-1")
    imported(life)
    [event] = life.events
    assert (event.type, event.version, event.actor, event.occurred_at) == (
        "ProjectImported", 1, DERCI, NOW,
    )  # fmt: skip
    assert event.data.source == SOURCE and event.data.past.decided_by.id == "derci-martin"
    s = life.state
    assert s.phase is Phase.ACTIVE and s.term.number == 1 and s.awarded_eur == 90_000
    assert [t.status for t in s.term.tranches] == [TrancheStatus.RELEASED] * 3 + [
        TrancheStatus.PLANNED
    ] * 2
    assert s.released_eur == 3 * 18_000
    assert s.report("term1-year2").status is ReportStatus.ACCEPTED
    assert s.report("term1-year3").status is ReportStatus.DUE

    # nothing invented for the past: no reminder for moments before the import
    life.run_until(NOW + timedelta(days=1))
    assert life.types() == ["ProjectImported"]
    # the year-4 tranche waits for the year-3 report, then is paid when it is accepted
    year4 = utc(2028, 6, 1)
    life.run_until(year4 + timedelta(days=1))
    withheld = life.of_type("TrancheWithheld")
    assert [(e.data.year, e.occurred_at) for e in withheld] == [(4, year4)]
    life.report_on_time(year4 + timedelta(days=40))
    [paid] = [e for e in life.of_type("TrancheReleased") if e.data.year == 4]
    assert paid.occurred_at > year4 and life.state.tranche(4).status is TrancheStatus.RELEASED


def test_an_import_is_refused_for_a_project_that_exists_or_without_a_reason():
    life = Life("IRL-OLD-2")
    imported(life)
    with pytest.raises(IllegalTransition, match="project IRL-OLD-2 already exists"):
        imported(life)
    other = Life("IRL-OLD-3")
    with pytest.raises(RuleViolation, match="reason: a reason is required to import a project"):
        other.do(
            ImportProject, NOW, DERCI, project_id="IRL-OLD-3", application=application("IRL"),
            imported=past(), source=SOURCE, reason=" ",
        )  # fmt: skip
    with pytest.raises(NotPermitted):
        other.do(
            ImportProject, NOW, INSTITUTE, project_id="IRL-OLD-3", application=application("IRL"),
            imported=past(), source=SOURCE, reason="x",
        )  # fmt: skip
    assert other.events == []


def an_imported_life() -> Life:
    """An IRL brought in during its third year, then a year of its life."""
    life = Life("IRL-IMPORTED")
    imported(life)
    life.report_on_time(utc(2028, 9, 1))
    return life


def test_an_imported_life_reads_back_and_folds_to_the_same_state():
    life = an_imported_life()
    stored = EVENT_LIST_ADAPTER.validate_json(EVENT_LIST_ADAPTER.dump_json(life.events))
    assert stored == life.events and fold(stored) == life.state
    assert life.state.tranche(4).status is TrancheStatus.RELEASED

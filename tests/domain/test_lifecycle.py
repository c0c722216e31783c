"""Whole lives of each instrument, decided and folded in memory with a test clock."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from domain.calendar import add_months, add_years
from domain.commands import (
    DecideRenewal,
    LinkSuccessor,
    RequestRenewal,
    ReviewReport,
    SubmitReport,
    TerminateProject,
)
from domain.errors import RuleViolation
from domain.events import ReminderKind
from domain.instruments import InstrumentCode
from domain.state import FINAL_REPORT_ID, Phase, TrancheStatus
from tests.builders import DERCI, INSTITUTE, pi_actor, utc
from tests.domain.life import Life

AWARD = {"IEA": 13_000, "IRN": 70_000, "IRP": 72_001, "IRL": 99_000}


def funded(code: str, pid: str = "P-1") -> Life:
    life = Life(pid)
    if code == "IEA":
        life.submit(code, utc(2026, 7, 1))
        life.evaluate(utc(2026, 9, 20))
        life.approve(utc(2026, 11, 10), AWARD[code])
        life.run_until(utc(2027, 1, 1))
    else:
        life.submit(code, utc(2026, 3, 2))
        life.evaluate(utc(2026, 3, 10))
        life.approve(utc(2026, 4, 15), AWARD[code], starts=utc(2026, 6, 1))
        life.run_until(utc(2026, 6, 1))
    assert life.state.phase is Phase.ACTIVE
    return life


def finish(life: Life) -> None:
    """Close at term end and hand in the final report."""
    assert life.state.term is not None
    life.report_on_time(life.state.term.ends_at)
    assert life.state.phase is Phase.CLOSED
    due = life.state.final_report_due_at
    life.run_until(due - timedelta(days=5))
    life.do(
        SubmitReport,
        due - timedelta(days=5),
        pi_actor(),
        report_id=FINAL_REPORT_ID,
        summary="final report",
    )
    life.do(
        ReviewReport,
        due + timedelta(days=10),
        DERCI,
        report_id=FINAL_REPORT_ID,
        accept=True,
        reason="objectives met",
    )


@pytest.mark.parametrize("code", ["IEA", "IRN", "IRP", "IRL"])
def test_approved_project_runs_its_term_and_closes(code):
    life = funded(code)
    term = life.state.term
    years = 2 if code == "IEA" else 5
    assert term.ends_at == add_years(term.starts_at, years)
    if code == "IEA":
        assert term.starts_at == utc(2027, 1, 1)  # IEA projects start on 1 January
    finish(life)

    assert life.state.lifecycle_complete
    released = life.of_type("TrancheReleased")
    assert [e.data.year for e in released] == list(range(1, years + 1))
    assert sum(e.data.amount_eur for e in released) == AWARD[code] == life.state.released_eur
    assert [e.occurred_at for e in released] == [add_years(term.starts_at, i) for i in range(years)]
    assert life.of_type("ProjectClosed")[0].occurred_at == term.ends_at
    assert life.types()[:4] == [
        "ApplicationSubmitted",
        "EligibilityConfirmed",
        "ReviewerAssigned",
        "ReviewSubmitted",
    ]
    assert [e.version for e in life.events] == list(range(1, len(life.events) + 1))
    reminders = {e.data.kind for e in life.of_type("ReminderSent")}
    expected_end = ReminderKind.TERM_ENDING if code == "IEA" else ReminderKind.RENEWAL_WINDOW
    assert {ReminderKind.REPORT_DUE, ReminderKind.FINAL_REPORT_DUE, expected_end} <= reminders


@pytest.mark.parametrize("code", ["IRN", "IRP", "IRL"])
def test_renewed_project_starts_a_second_term_then_closes(code):
    life = funded(code)
    first = life.state.term
    window = add_months(first.ends_at, -8)
    life.report_on_time(window)
    life.do(RequestRenewal, window, pi_actor(), requested_eur=AWARD[code])
    life.do(
        DecideRenewal,
        window + timedelta(days=30),
        INSTITUTE,
        grant=True,
        awarded_eur=AWARD[code] - 1000,
        reason="productive first term",
    )
    life.report_on_time(first.ends_at)
    second = life.state.term
    assert second.number == 2 and second.starts_at == first.ends_at
    assert second.ends_at == add_years(first.ends_at, 5)
    finish(life)
    assert life.state.phase is Phase.CLOSED and life.state.renewals_granted == 1
    assert sum(e.data.amount_eur for e in life.of_type("TrancheReleased")) == 2 * AWARD[code] - 1000
    assert life.of_type("ProjectClosed")[0].occurred_at == add_years(utc(2026, 6, 1), 10)
    last_term = [e.data for e in life.of_type("ReminderSent") if "term2" in e.data.key]
    ending = {r.kind: r.subject for r in last_term if r.kind is not ReminderKind.REPORT_DUE}
    if code == "IRL":  # two renewals allowed: the second term may be renewed again
        assert ReminderKind.RENEWAL_WINDOW in ending
    else:  # its one renewal used: the coordinator is told why no renewal is offered
        assert ending[ReminderKind.TERM_ENDING] == (
            f"P-1 ends on {second.ends_at.date()} and has had its 1 renewal "
            f"(the most an {code} may have)"
        )


def test_iea_is_refused_renewal_and_is_followed_by_an_irp():
    life = funded("IEA")
    life.report_on_time(utc(2028, 6, 1))
    with pytest.raises(
        RuleViolation,
        match="IEA is not renewable; at its end it may be followed by a successor IRP",
    ):
        life.do(RequestRenewal, utc(2028, 6, 1), pi_actor(), requested_eur=12_000)
    with pytest.raises(RuleViolation, match="an IEA is followed up by an IRP; got IRL"):
        life.do(
            LinkSuccessor,
            utc(2028, 9, 1),
            DERCI,
            successor_project_id="P-2",
            successor_instrument=InstrumentCode.IRL,
        )
    life.do(
        LinkSuccessor,
        utc(2028, 9, 1),
        DERCI,
        successor_project_id="P-2",
        successor_instrument=InstrumentCode.IRP,
    )
    finish(life)
    assert life.state.successor_project_id == "P-2"


def test_late_report_withholds_the_tranche_until_the_report_is_accepted():
    life = funded("IRP")
    start = life.state.term.starts_at
    late = "term1-year1"
    life.report_on_time(add_years(start, 1) + timedelta(days=45), skip=frozenset({late}))
    tranche2 = life.state.tranche(2)
    assert tranche2.status is TrancheStatus.WITHHELD
    withheld = life.of_type("TrancheWithheld")[0]
    assert withheld.occurred_at == add_years(start, 1) and withheld.data.awaiting_report_id == late
    overdue = [
        e for e in life.of_type("ReminderSent") if e.data.kind is ReminderKind.REPORT_OVERDUE
    ]
    assert [e.occurred_at for e in overdue] == [
        add_years(start, 1),
        add_years(start, 1) + timedelta(days=30),
    ]

    life.do(
        SubmitReport,
        add_years(start, 1) + timedelta(days=50),
        pi_actor(),
        report_id=late,
        summary="late",
    )
    life.run_until(add_years(start, 1) + timedelta(days=55))
    assert life.state.tranche(2).status is TrancheStatus.WITHHELD  # submitted is not accepted
    accepted_at = add_years(start, 1) + timedelta(days=60)
    life.do(ReviewReport, accepted_at, DERCI, report_id=late, accept=True, reason="complete")
    life.run_until(accepted_at)
    released = [e for e in life.of_type("TrancheReleased") if e.data.year == 2]
    assert released[0].occurred_at == accepted_at
    assert life.state.tranche(2).status is TrancheStatus.RELEASED


def test_terminated_early_by_derci_with_a_reason():
    life = funded("IRL")
    with pytest.raises(ValidationError, match="reason\n  Field required"):
        life.do(TerminateProject, utc(2027, 2, 1), DERCI)  # the command cannot be made
    with pytest.raises(RuleViolation, match="reason: a reason is required"):
        life.do(TerminateProject, utc(2027, 2, 1), DERCI, reason=" ")
    life.do(TerminateProject, utc(2027, 2, 1), DERCI, reason="partner institution withdrew")
    assert life.state.phase is Phase.TERMINATED and life.state.lifecycle_complete
    assert life.events[-1].reason == "partner institution withdrew"
    assert life.events[-1].actor == DERCI
    life.run_until(utc(2040, 1, 1))
    assert life.events[-1].type == "ProjectTerminated"  # nothing happens after termination


def test_open_deadlines_follow_the_life():
    from domain.deadlines import DeadlineKind, open_deadlines
    from domain.policy import DEFAULT_POLICY

    life = Life("P-3")
    life.submit("IRP", utc(2026, 3, 2))
    kinds = [d.kind for d in open_deadlines(life.state, DEFAULT_POLICY)]
    assert kinds == [DeadlineKind.EVALUATION]
    life.evaluate(utc(2026, 3, 10))
    life.approve(utc(2026, 4, 15), 60_000, starts=utc(2026, 6, 1))
    assert [d.kind for d in open_deadlines(life.state, DEFAULT_POLICY)] == [DeadlineKind.TERM_START]
    life.run_until(utc(2026, 6, 1))
    active = open_deadlines(life.state, DEFAULT_POLICY)
    tranches = [d for d in active if d.kind is DeadlineKind.TRANCHE]
    assert [d.due_at for d in tranches] == [utc(y, 6, 1) for y in range(2027, 2031)]
    assert active[0].kind is DeadlineKind.REPORT and active[0].ref == "term1-year1"
    assert active[0].due_at == utc(2027, 6, 1) - timedelta(days=30)
    renewal = next(d for d in active if d.kind is DeadlineKind.RENEWAL)
    assert renewal.label == "renewal request window 1 June 2030 to 1 June 2031"
    finish(life)
    assert open_deadlines(life.state, DEFAULT_POLICY) == []


def test_a_tranche_still_withheld_at_term_end_is_forfeited_on_record():
    life = funded("IEA")
    start = life.state.term.starts_at
    life.report_on_time(life.state.term.ends_at, skip=frozenset({"term1-year1"}))
    forfeited = life.of_type("TrancheForfeited")
    assert [(e.data.year, e.data.amount_eur) for e in forfeited] == [(2, 6_500)]
    assert forfeited[0].occurred_at == add_years(start, 2)
    assert life.types().index("TrancheForfeited") == life.types().index("ProjectClosed") - 1
    assert life.state.released_eur == 6_500 and life.state.tranche(2).status.value == "forfeited"
    # a report accepted after the term's end no longer pays it
    life.do(
        SubmitReport,
        add_years(start, 2) + timedelta(days=3),
        pi_actor(),
        report_id="term1-year1",
        summary="late",
    )
    life.do(
        ReviewReport,
        add_years(start, 2) + timedelta(days=4),
        DERCI,
        report_id="term1-year1",
        accept=True,
        reason="ok",
    )
    life.run_until(add_years(start, 3))
    assert life.state.released_eur == 6_500


def test_a_renewal_requested_in_time_is_decided_even_after_the_term_ends():
    life = funded("IRP")
    term = life.state.term
    life.report_on_time(term.ends_at - timedelta(days=10))
    life.do(RequestRenewal, term.ends_at - timedelta(days=10), pi_actor(), requested_eur=70_000)
    life.report_on_time(term.ends_at + timedelta(days=40))
    assert life.state.phase is Phase.ACTIVE and not life.of_type("ProjectClosed")
    life.do(
        DecideRenewal,
        term.ends_at + timedelta(days=45),
        INSTITUTE,
        grant=True,
        awarded_eur=65_000,
        reason="late committee",
    )
    life.run_until(term.ends_at + timedelta(days=46))
    assert life.state.term.number == 2 and life.state.term.starts_at == term.ends_at

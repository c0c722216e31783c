"""A page offers each person the steps their role could take now, and no other; every
offered step, filled in sensibly, is accepted by the decider."""

from datetime import timedelta

from domain.calendar import add_months
from domain.commands import AssignReviewer, SubmitReport, SubmitReview
from domain.events import Recommendation
from domain.open_steps import open_steps
from domain.policy import DEFAULT_POLICY
from tests.builders import (
    AUDITOR,
    DERCI,
    INSTITUTE,
    pi_actor,
    reviewer,
    reviewer_actor,
    utc,
)
from tests.domain.test_lifecycle import funded
from tests.domain.test_rules import in_evaluation


def offered(life, actor, now) -> list[tuple[str, str | None]]:
    return [(s.command, s.report_id) for s in open_steps(life.state, actor, now, DEFAULT_POLICY)]


def test_during_evaluation_officers_assign_and_decide_and_only_derci_terminates():
    life = in_evaluation()
    now = utc(2026, 3, 4)
    assert offered(life, INSTITUTE, now) == [
        ("AssignReviewer", None),
        ("DecideApplication", None),
    ]
    assert offered(life, DERCI, now) == [
        ("AssignReviewer", None),
        ("DecideApplication", None),
        ("TerminateProject", None),
    ]
    assert offered(life, pi_actor(), now) == []
    assert offered(life, AUDITOR, now) == []


def test_a_reviewer_is_offered_the_review_only_while_assigned_and_not_yet_reviewed():
    life = in_evaluation()
    now = utc(2026, 3, 4)
    assert offered(life, reviewer_actor(), now) == []
    life.do(AssignReviewer, now, INSTITUTE, reviewer=reviewer())
    assert offered(life, reviewer_actor(), now) == [("SubmitReview", None)]
    assert offered(life, reviewer_actor("rev-other"), now) == []
    life.do(
        SubmitReview,
        now,
        reviewer_actor(),
        scores={"science": 4},
        recommendation=Recommendation.FUND,
    )
    assert offered(life, reviewer_actor(), now) == []


def test_a_coordinator_is_offered_the_reports_of_the_year_that_has_begun_and_only_their_own():
    life = funded("IRP")  # term starts 2026-06-01
    first = life.state.reports[0]
    # an active project's coordinator may always ask for an amendment
    assert offered(life, pi_actor(), first.opens_at - timedelta(days=1)) == [
        ("RequestAmendment", None)
    ]
    at = first.opens_at + timedelta(days=1)
    assert ("SubmitReport", first.report_id) in offered(life, pi_actor(), at)
    assert offered(life, pi_actor("pi-other"), at) == []
    life.run_until(at)
    life.do(SubmitReport, at, pi_actor(), report_id=first.report_id, summary="year one")
    assert ("SubmitReport", first.report_id) not in offered(life, pi_actor(), at)
    assert ("ReviewReport", first.report_id) in offered(life, INSTITUTE, at)


def test_assignment_and_review_are_offered_only_until_the_evaluation_deadline():
    life = in_evaluation()
    deadline = life.state.evaluation_deadline
    assert ("AssignReviewer", None) in offered(life, INSTITUTE, deadline - timedelta(days=1))
    assert ("AssignReviewer", None) not in offered(life, INSTITUTE, deadline + timedelta(days=1))


def test_renewal_is_offered_in_its_window_only():
    life = funded("IRP")
    ends = life.state.term.ends_at
    life.report_on_time(ends - timedelta(days=200))
    window_opens = add_months(ends, -DEFAULT_POLICY.renewal_window_months_before_end)
    assert ("RequestRenewal", None) not in offered(
        life, pi_actor(), window_opens - timedelta(days=1)
    )
    assert ("RequestRenewal", None) in offered(life, pi_actor(), window_opens + timedelta(days=1))
    assert ("RequestRenewal", None) not in offered(
        life, INSTITUTE, window_opens + timedelta(days=1)
    )

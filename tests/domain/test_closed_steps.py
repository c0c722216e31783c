"""A page says why a step of the person's role and phase cannot succeed now, instead of
offering a form that could only be refused; steps of another role or phase are not
mentioned at all."""

from __future__ import annotations

from datetime import timedelta

from domain.commands import AssignReviewer, SubmitReview
from domain.events import Recommendation
from domain.open_steps import closed_steps
from domain.policy import DEFAULT_POLICY
from tests.builders import AUDITOR, DERCI, INSTITUTE, pi_actor, reviewer, reviewer_actor, utc
from tests.domain.test_lifecycle import funded
from tests.domain.test_rules import in_evaluation


def held(life, actor, now) -> dict[tuple[str, str | None], tuple[str, str | None]]:
    return {
        (c.command, c.verdict): (c.rule, c.report_id)
        for c in closed_steps(life.state, actor, now, DEFAULT_POLICY)
    }


def test_approval_waits_for_a_review_while_a_rejection_is_offered():
    life = in_evaluation()
    now = utc(2026, 3, 4)
    assert held(life, INSTITUTE, now) == {
        ("DecideApplication", "approve"): ("evaluation.reviews", None)
    }
    # the assigned reviewer's review lets approval through: nothing is held any more
    life.do(AssignReviewer, now, INSTITUTE, reviewer=reviewer())
    life.do(
        SubmitReview,
        now,
        reviewer_actor(),
        scores={"science": 4},
        recommendation=Recommendation.FUND,
    )
    assert held(life, DERCI, now) == {}


def test_steps_of_another_role_or_phase_are_never_mentioned():
    life = in_evaluation()
    now = utc(2026, 3, 4)
    assert held(life, pi_actor(), now) == {}  # a coordinator has no step in evaluation
    assert held(life, AUDITOR, now) == {}
    assert held(life, reviewer_actor("rev-other"), now) == {}  # not assigned: not theirs


def test_a_coordinator_learns_when_the_report_and_the_renewal_open():
    life = funded("IRP")
    first = life.state.reports[0]
    before = first.opens_at - timedelta(days=1)
    shown = held(life, pi_actor(), before)
    assert shown[("SubmitReport", None)] == ("report.too_early", first.report_id)
    assert shown[("RequestRenewal", None)][0] == "renewal.window"
    # once the year begins, its report is offered, no longer held
    after = first.opens_at + timedelta(days=1)
    assert ("SubmitReport", None) not in held(life, pi_actor(), after)


def test_an_officer_sees_what_an_active_project_waits_for():
    life = funded("IRP")
    at = life.state.reports[0].opens_at - timedelta(days=1)
    shown = held(life, INSTITUTE, at)
    assert shown[("ReviewReport", None)][0] == "report.not_submitted"
    assert shown[("DecideRenewal", None)] == ("renewal.not_requested", None)
    assert shown[("ResumeProject", None)] == ("suspension.none", None)
    assert ("TerminateProject", None) not in shown  # not an institute officer's step

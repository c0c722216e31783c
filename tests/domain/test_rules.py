"""Each rule refuses with a message naming it, and a refused command changes nothing."""

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.actors import Actor, Role
from domain.calendar import add_months, add_years
from domain.commands import (
    AssignReviewer,
    CloseProject,
    DecideApplication,
    DecideRenewal,
    LinkSuccessor,
    ReleaseTranche,
    RequestRenewal,
    SubmitApplication,
    SubmitReport,
    SubmitReview,
    TerminateProject,
    WithholdTranche,
)
from domain.decider import decide
from domain.errors import IllegalTransition, NotPermitted, RuleViolation
from domain.events import EVENT_LIST_ADAPTER, Recommendation
from domain.evolve import fold
from domain.instruments import InstrumentCode
from domain.policy import DEFAULT_POLICY, Policy, iea_call_window
from domain.term_plan import plan_tranches, split_award
from tests.builders import (
    AUDITOR,
    DERCI,
    INSTITUTE,
    application,
    cid,
    pi_actor,
    reviewer,
    reviewer_actor,
    utc,
)
from tests.domain.life import Life
from tests.domain.test_lifecycle import funded


def in_evaluation(code: str = "IRP") -> Life:
    life = Life("P-9")
    life.submit(code, utc(2026, 3, 2))
    life.run_until(utc(2026, 3, 3))
    return life


def refused(life: Life, error: type[Exception], match: str, cls, at, actor, **fields):
    before = life.state
    with pytest.raises(error, match=re.escape(match)):
        life.do(cls, at, actor, **fields)
    assert life.state == before  # nothing recorded


def refused_exactly(life: Life, error: type[Exception], message: str, cls, at, actor, **fields):
    """Like `refused`, but the whole message is the rule's text, nothing more."""
    before, recorded = life.state, len(life.events)
    with pytest.raises(error) as err:
        life.do(cls, at, actor, **fields)
    assert type(err.value) is error
    assert str(err.value) == message
    assert life.state == before and len(life.events) == recorded  # nothing recorded


def test_iea_outside_an_open_call_is_refused():
    app = application("IEA")
    base = dict(actor=pi_actor(), project_id="P-1", application=app)
    with pytest.raises(RuleViolation, match="accepted only during DERCI's annual call"):
        decide(SubmitApplication(command_id=cid(1), at=utc(2026, 7, 1), **base), fold([]))
    late = SubmitApplication(
        command_id=cid(2), at=utc(2026, 10, 1), call=iea_call_window(2026, DEFAULT_POLICY), **base
    )
    with pytest.raises(
        RuleViolation,
        match="call IEA-2026 closed on 15 September 2026; the next call opens on 1 June 2027",
    ):
        decide(late, fold([]))


def test_direct_contact_instrument_cannot_come_through_a_call():
    cmd = SubmitApplication(
        command_id=cid(3),
        at=utc(2026, 7, 1),
        actor=pi_actor(),
        project_id="P-1",
        application=application("IRL"),
        call=iea_call_window(2026, DEFAULT_POLICY),
    )
    with pytest.raises(RuleViolation, match="IRL starts by direct contact with DERCI"):
        decide(cmd, fold([]))


def test_submission_breaking_a_partner_rule_or_range_is_refused():
    from tests.builders import LIG, TOKYO, USP

    with pytest.raises(
        RuleViolation, match="IEA requires exactly one foreign country; got 2: BR, JP"
    ):
        Life("P-1").submit("IEA", utc(2026, 7, 1), labs=(LIG, USP, TOKYO))
    with pytest.raises(
        RuleViolation, match="requested amount 120000 EUR outside IRP range 50000–75000"
    ):
        Life("P-1").submit("IRP", utc(2026, 7, 1), requested_eur=120_000)


@pytest.mark.parametrize(
    ("code", "fields", "message"),
    [
        ("IRP", {"location": "Manaus"}, "IRP has no identified location: location must be empty"),
        ("IEA", {"location": "Grenoble"}, "IEA has no identified location: location must be empty"),
        (
            "IRN",
            {"predecessor_project_id": "IEA-2025-3"},
            "only an IRP may follow up an IEA; IRN cannot name a predecessor",
        ),
        (
            "IRL",
            {"predecessor_project_id": "IEA-2025-3"},
            "only an IRP may follow up an IEA; IRL cannot name a predecessor",
        ),
    ],
)
def test_location_and_predecessor_belong_to_their_instrument_only(code, fields, message):
    at = utc(2026, 7, 1)  # inside the IEA call, so only the field at stake is refused
    call = iea_call_window(2026, DEFAULT_POLICY) if code == "IEA" else None
    cmd = SubmitApplication(
        command_id=cid("loc", code),
        at=at,
        actor=pi_actor(),
        project_id="P-1",
        application=application(code, **fields),
        call=call,
    )
    with pytest.raises(RuleViolation) as err:
        decide(cmd, fold([]))
    assert str(err.value) == message
    assert err.value.rule == "partners"
    # the same application without the field is accepted: the field alone was refused
    plain = cmd.model_copy(update={"application": application(code)})
    assert [e.type for e in decide(plain, fold([]))] == ["ApplicationSubmitted"]


def test_an_irp_may_name_the_iea_it_follows_up():
    cmd = SubmitApplication(
        command_id=cid("pred"),
        at=utc(2026, 3, 2),
        actor=pi_actor(),
        project_id="P-2",
        application=application("IRP", predecessor_project_id="IEA-2025-3"),
    )
    [event] = decide(cmd, fold([]))
    assert event.data.application.predecessor_project_id == "IEA-2025-3"


def test_award_out_of_range_and_missing_reason_are_refused():
    life = in_evaluation()
    life.evaluate(utc(2026, 3, 10))
    refused(
        life,
        RuleViolation,
        "awarded amount 120000 EUR outside IRP range 50000–75000",
        DecideApplication,
        utc(2026, 4, 1),
        INSTITUTE,
        approve=True,
        awarded_eur=120_000,
        reason="good",
    )
    refused(
        life,
        RuleViolation,
        "reason: a reason is required to approve the application",
        DecideApplication,
        utc(2026, 4, 1),
        INSTITUTE,
        approve=True,
        awarded_eur=60_000,
        reason="   ",
    )
    refused(
        life,
        RuleViolation,
        "term_starts_at: 2026-03-01 is before the decision",
        DecideApplication,
        utc(2026, 4, 1),
        INSTITUTE,
        approve=True,
        awarded_eur=60_000,
        reason="good",
        term_starts_at=utc(2026, 3, 1),
    )
    refused(  # on the same day the message shows the times that tell the two apart
        life,
        RuleViolation,
        "term_starts_at: 2026-04-01T09:00:00+00:00 is before the decision "
        "(2026-04-01T10:30:00+00:00)",
        DecideApplication,
        utc(2026, 4, 1, 10, 30),
        INSTITUTE,
        approve=True,
        awarded_eur=60_000,
        reason="good",
        term_starts_at=utc(2026, 4, 1, 9),
    )


def test_approval_needs_a_review_and_reviews_come_from_assigned_reviewers_before_deadline():
    life = in_evaluation()
    refused(
        life,
        RuleViolation,
        "approval needs at least one review; none has been submitted",
        DecideApplication,
        utc(2026, 4, 1),
        INSTITUTE,
        approve=True,
        awarded_eur=60_000,
        reason="good",
    )
    review = dict(scores={"science": 4}, recommendation=Recommendation.FUND)
    refused(
        life,
        NotPermitted,
        "reviewer rev-1 is not assigned to project P-9",
        SubmitReview,
        utc(2026, 3, 20),
        reviewer_actor(),
        **review,
    )
    life.do(AssignReviewer, utc(2026, 3, 5), INSTITUTE, reviewer=reviewer())
    refused(
        life,
        RuleViolation,
        "reviewer rev-2 belongs to partner lab 'LIG Grenoble'",
        AssignReviewer,
        utc(2026, 3, 5),
        INSTITUTE,
        reviewer=reviewer("rev-2", lab="LIG Grenoble", country="FR"),
    )
    refused(
        life,
        RuleViolation,
        "the evaluation deadline 2026-05-01 has passed; review refused",
        SubmitReview,
        utc(2026, 5, 2),
        reviewer_actor(),
        **review,
    )
    life.do(SubmitReview, utc(2026, 4, 1), reviewer_actor(), **review)
    refused(
        life,
        IllegalTransition,
        "reviewer rev-1 has already reviewed P-9",
        SubmitReview,
        utc(2026, 4, 2),
        reviewer_actor(),
        **review,
    )


@pytest.mark.parametrize(
    ("actor", "match"),
    [
        (AUDITOR, "auditor audit-leroy may not decide the application; only a DERCI officer or"),
        (pi_actor(), "coordinator pi-durand may not decide the application"),
        (reviewer_actor(), "reviewer rev-1 may not decide the application"),
    ],
)
def test_only_officers_decide(actor: Actor, match: str):
    life = in_evaluation()
    life.evaluate(utc(2026, 3, 10))
    refused(
        life,
        NotPermitted,
        match,
        DecideApplication,
        utc(2026, 4, 1),
        actor,
        approve=False,
        reason="no",
    )


def test_only_the_projects_coordinator_reports_and_only_derci_terminates():
    life = funded("IRP")
    other_pi = Actor(id="pi-other", role=Role.COORDINATOR)
    refused(
        life,
        NotPermitted,
        "pi-other is not the coordinator of this project",
        SubmitReport,
        utc(2027, 3, 1),
        other_pi,
        report_id="term1-year1",
        summary="x",
    )
    refused(
        life,
        NotPermitted,
        "institute officer insu-dupont may not terminate the project",
        TerminateProject,
        utc(2027, 3, 1),
        INSTITUTE,
        reason="x",
    )
    refused(
        life,
        RuleViolation,
        "report term1-year2 covers a year that starts on 2027-06-01",
        SubmitReport,
        utc(2027, 3, 1),
        pi_actor(),
        report_id="term1-year2",
        summary="x",
    )
    refused(
        life,
        RuleViolation,
        "report_id: unknown report 'year9'",
        SubmitReport,
        utc(2027, 3, 1),
        pi_actor(),
        report_id="year9",
        summary="x",
    )


def test_tranche_needs_the_previous_report_and_is_never_paid_twice():
    life = funded("IRP")
    refused(
        life,
        IllegalTransition,
        "tranche 1 of term 1 is already released",
        ReleaseTranche,
        utc(2026, 7, 1),
        DERCI,
        year=1,
    )
    refused(
        life,
        RuleViolation,
        "tranche 2 falls due on 2027-06-01",
        ReleaseTranche,
        utc(2027, 3, 1),
        DERCI,
        year=2,
    )
    refused(
        life,
        RuleViolation,
        "tranche 2 is released only after report term1-year1 is accepted (it is due)",
        ReleaseTranche,
        utc(2027, 6, 2),
        DERCI,
        year=2,
    )


def test_renewal_window_limit_and_decision():
    life = funded("IRP")
    refused(
        life,
        RuleViolation,
        "renewal requests for term 1 are accepted from 2030-06-01 until the term ends on 2031-06-01",
        RequestRenewal,
        utc(2029, 1, 1),
        pi_actor(),
        requested_eur=60_000,
    )
    life.report_on_time(utc(2030, 7, 1))
    life.do(RequestRenewal, utc(2030, 7, 1), pi_actor(), requested_eur=60_000)
    refused(
        life,
        IllegalTransition,
        "renewal of term 1 is already requested",
        RequestRenewal,
        utc(2030, 7, 2),
        pi_actor(),
        requested_eur=60_000,
    )
    life.do(DecideRenewal, utc(2030, 8, 1), DERCI, grant=True, awarded_eur=60_000, reason="ok")
    life.report_on_time(utc(2035, 7, 1))
    assert life.state.term.number == 2
    refused(
        life,
        RuleViolation,
        "an IRP may be renewed at most once; it has already been renewed once",
        RequestRenewal,
        utc(2035, 7, 1),
        pi_actor(),
        requested_eur=60_000,
    )


def test_closing_while_a_renewal_awaits_its_decision_is_refused():
    life = funded("IRP")
    ends = life.state.term.ends_at
    life.report_on_time(ends - timedelta(days=10))
    life.do(RequestRenewal, ends - timedelta(days=10), pi_actor(), requested_eur=60_000)
    refused_exactly(
        life,
        IllegalTransition,
        "the renewal requested for term 1 awaits a decision",
        CloseProject,
        ends + timedelta(days=1),
        DERCI,
        reason="term over",
    )
    life.do(DecideRenewal, ends + timedelta(days=2), DERCI, grant=False, reason="no budget")
    life.do(CloseProject, ends + timedelta(days=3), DERCI, reason="term over")
    assert life.state.phase.value == "closed"


def test_a_withheld_tranche_is_not_withheld_twice():
    life = funded("IRP")
    start = life.state.term.starts_at
    life.report_on_time(add_years(start, 1) + timedelta(days=1), skip=frozenset({"term1-year1"}))
    assert life.state.tranche(2).status.value == "withheld"
    refused_exactly(
        life,
        IllegalTransition,
        "tranche 2 of term 1 is already withheld",
        WithholdTranche,
        add_years(start, 1) + timedelta(days=2),
        DERCI,
        year=2,
        reason="report missing",
    )


def test_an_iea_links_one_successor_and_never_itself():
    life = funded("IEA")
    life.report_on_time(utc(2028, 6, 1))
    link = dict(successor_instrument=InstrumentCode.IRP)
    refused_exactly(
        life,
        RuleViolation,
        "a project cannot succeed itself",
        LinkSuccessor,
        utc(2028, 9, 1),
        DERCI,
        successor_project_id="P-1",
        **link,
    )
    life.do(LinkSuccessor, utc(2028, 9, 1), DERCI, successor_project_id="IRP-9", **link)
    refused_exactly(
        life,
        IllegalTransition,
        "successor IRP-9 is already linked",
        LinkSuccessor,
        utc(2028, 9, 2),
        DERCI,
        successor_project_id="IRP-10",
        **link,
    )
    assert life.state.successor_project_id == "IRP-9"


def test_policy_values_are_data():
    policy = Policy(renewal_reminder_months_before_end=(9,), evaluation_period_days=30)
    life = Life("P-7", policy=policy)
    life.submit("IRN", utc(2026, 3, 2))
    assert life.state.evaluation_deadline == utc(2026, 3, 2) + timedelta(days=30)
    life.evaluate(utc(2026, 3, 5))
    life.approve(utc(2026, 3, 30), 60_000, starts=utc(2026, 4, 1))
    life.report_on_time(utc(2031, 4, 1))
    renewal = [e for e in life.of_type("ReminderSent") if e.data.kind == "renewal_window"]
    assert [e.occurred_at for e in renewal] == [add_months(utc(2031, 4, 1), -9)]


def test_event_ids_derive_from_the_command_id():
    life = in_evaluation()
    cmd = AssignReviewer(
        command_id=cid("x"), actor=INSTITUTE, at=utc(2026, 3, 5), reviewer=reviewer()
    )
    other = cmd.model_copy(update={"command_id": cid("y")})
    first, retried, fresh = (decide(c, life.state) for c in (cmd, cmd, other))
    assert [e.event_id for e in retried] == [e.event_id for e in first]  # the store dedups
    assert {e.event_id for e in fresh}.isdisjoint({e.event_id for e in first})


def test_events_round_trip_through_json_without_loss():
    life = funded("IRL")
    life.report_on_time(add_years(life.state.term.starts_at, 2))
    raw = EVENT_LIST_ADAPTER.dump_json(life.events)
    again = EVENT_LIST_ADAPTER.validate_json(raw)
    assert again == life.events
    assert fold(again) == life.state


@given(
    amount=st.integers(min_value=1, max_value=10_000_000),
    years=st.integers(min_value=1, max_value=10),
)
def test_tranches_always_add_up_to_the_award(amount, years):
    parts = split_award(amount, years)
    assert sum(parts) == amount and len(parts) == years
    assert max(parts) - min(parts) <= 1
    plan = plan_tranches(utc(2024, 2, 29), years, amount)
    assert plan[0].due_at == utc(2024, 2, 29)
    if years > 1:
        assert plan[1].due_at == utc(2025, 2, 28)  # no 29 February in 2025
    if years > 4:
        assert plan[4].due_at == utc(2028, 2, 29)

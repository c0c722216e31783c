"""A project keeps the policy it was submitted under, and what the read side shows of it
(its deadlines) follows that policy, not the code's DEFAULT_POLICY: a change of policy
shows only in the projects started under it, as only their workflows decide with it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from domain import wording
from domain.calendar import add_months
from domain.commands import RequestRenewal
from domain.deadlines import DeadlineKind, open_deadlines
from domain.decider import decide
from domain.errors import RuleViolation
from domain.events import EVENT_LIST_ADAPTER, ApplicationSubmitted, DomainEvent, event_from_record
from domain.evolve import evolve, fold
from domain.instruments import InstrumentCode
from domain.policy import DEFAULT_POLICY, Policy
from domain.state import ProjectState, policy_of
from eventstore.event_records import to_record
from tests.builders import cid, pi_actor, utc
from tests.domain.life import Life

# renewal requests open 6 months before the term ends (default 12), reports are due 60
# days before each anniversary (default 30)
SHORT_WINDOW = Policy(renewal_window_months_before_end=6, report_due_days_before_anniversary=60)
# an IRP may not be renewed at all
NO_IRP_RENEWAL = Policy(
    funding={
        **DEFAULT_POLICY.funding,
        InstrumentCode.IRP: DEFAULT_POLICY.funding[InstrumentCode.IRP].model_copy(
            update={"max_renewals": 0}
        ),
    }
)
TERM_ENDS = utc(2031, 6, 1)


def active_irp(pid: str, policy: Policy = DEFAULT_POLICY) -> Life:
    life = Life(pid, policy=policy)
    life.submit("IRP", utc(2026, 3, 2))
    life.evaluate(utc(2026, 3, 10))
    life.approve(utc(2026, 4, 15), 60_000, starts=utc(2026, 6, 1))
    life.run_until(utc(2026, 6, 1))
    assert life.state.term is not None and life.state.term.ends_at == TERM_ENDS
    return life


def renewal_label(state: ProjectState, policy: Policy | None = None) -> str | None:
    found = [d for d in open_deadlines(state, policy) if d.kind is DeadlineKind.RENEWAL]
    return found[0].label if found else None


def test_the_submission_records_the_policy_the_project_runs_with():
    life = Life("P-1", policy=SHORT_WINDOW)
    life.submit("IRP", utc(2026, 3, 2))
    [submitted] = life.of_type("ApplicationSubmitted")
    assert isinstance(submitted, ApplicationSubmitted)
    assert submitted.data.policy == SHORT_WINDOW
    # it is stored, and read back, with the event
    [again] = EVENT_LIST_ADAPTER.validate_json(EVENT_LIST_ADAPTER.dump_json([submitted]))
    assert again == submitted
    assert read_back(submitted) == submitted
    assert life.state.policy == SHORT_WINDOW and policy_of(life.state) == SHORT_WINDOW


def test_the_policy_stays_with_the_project_through_evolve_and_fold():
    life = active_irp("P-2", SHORT_WINDOW)
    life.report_on_time(utc(2029, 6, 1))
    assert policy_of(life.state) == SHORT_WINDOW
    events = life.events
    assert fold(events) == life.state  # the projector's batch fold
    assert policy_of(fold(events)) == SHORT_WINDOW
    for cut in (1, 2, len(events) // 2, len(events) - 1):  # across batches
        assert policy_of(fold(events[cut:], fold(events[:cut]))) == SHORT_WINDOW
    state = ProjectState()
    for event in events:
        state = evolve(state, event)
    assert state == life.state
    # and through the JSON a state is stored in (read models) or carried in (the input of
    # a workflow run continued as new)
    again = ProjectState.model_validate_json(life.state.model_dump_json())
    assert again == life.state and policy_of(again) == SHORT_WINDOW


def test_deadlines_follow_the_projects_own_policy():
    default = active_irp("P-3")
    short = active_irp("P-4", SHORT_WINDOW)
    # the renewal window its workflow applies, not DEFAULT_POLICY's
    assert renewal_label(default.state) == "renewal request window 1 June 2030 to 1 June 2031"
    assert renewal_label(short.state) == "renewal request window 1 December 2030 to 1 June 2031"
    assert renewal_label(short.state, DEFAULT_POLICY) != renewal_label(short.state)
    # reports due as its policy set them when the term started
    [report] = [d for d in open_deadlines(short.state) if d.ref == "term1-year1"]
    assert report.due_at == utc(2027, 6, 1) - timedelta(days=60)
    # a policy that allows no renewal shows none
    capped = active_irp("P-5", NO_IRP_RENEWAL)
    assert renewal_label(capped.state) is None
    assert renewal_label(capped.state, DEFAULT_POLICY) is not None
    # as folded by the projector, too
    assert renewal_label(fold(short.events)) == renewal_label(short.state)
    assert renewal_label(fold(capped.events)) is None


def test_the_window_shown_is_the_one_the_workflow_accepts():
    """Before, the deadlines showed DEFAULT_POLICY's window: a request made in it, before
    the project's own window opened, was refused."""
    life = active_irp("P-6", SHORT_WINDOW)
    life.report_on_time(utc(2030, 11, 1))
    opens = add_months(TERM_ENDS, -SHORT_WINDOW.renewal_window_months_before_end)
    assert (
        renewal_label(life.state) == f"renewal request window {wording.day(opens)} to 1 June 2031"
    )

    def request(at):  # as the workflow decides it: with the policy it was started with
        command = RequestRenewal(
            command_id=cid("renew", at), actor=pi_actor(), at=at, requested_eur=60_000
        )
        return decide(command, life.state, life.policy)

    with pytest.raises(RuleViolation, match="renewal requests"):
        request(opens - timedelta(days=1))
    assert [e.type for e in request(opens)] == ["RenewalRequested"]


def test_an_event_recorded_before_policies_were_recorded_reads_as_the_default():
    life = active_irp("P-7")
    old = read_back(life.events[0], drop="policy")  # the payload as stored before
    assert isinstance(old, ApplicationSubmitted) and old.data.policy is None
    state = fold([old, *life.events[1:]])
    assert state.policy is None and policy_of(state) is DEFAULT_POLICY
    assert open_deadlines(state) == open_deadlines(life.state)
    assert renewal_label(state) == "renewal request window 1 June 2030 to 1 June 2031"
    # a state stored before (read models, a workflow input) has no policy key either
    stored = state.model_dump(mode="json")
    stored.pop("policy")
    assert policy_of(ProjectState.model_validate(stored)) is DEFAULT_POLICY


def test_projects_under_one_policy_share_one_instance():
    """Each state holds its policy; thousands of projects hold one instance, not a copy
    each (the projector keeps tens of thousands of states in memory)."""
    a = active_irp("P-8", SHORT_WINDOW)
    b = active_irp("P-9", Policy.model_validate_json(SHORT_WINDOW.model_dump_json()))
    c = active_irp("P-10")
    states = [fold([read_back(e) for e in x.events]) for x in (a, b, c)]
    assert states[0].policy == SHORT_WINDOW
    assert states[1].policy is states[0].policy
    assert ProjectState.model_validate_json(a.state.model_dump_json()).policy is a.state.policy
    assert states[2].policy is DEFAULT_POLICY


def read_back(event: DomainEvent, drop: str | None = None) -> DomainEvent:
    """`event` as the store's columns give it back (its payload as JSON), less `drop`."""
    record = to_record(event)
    data = {k: v for k, v in record.data.items() if k != drop}
    return event_from_record(
        event_id=record.event_id,
        project_id=record.stream_id,
        version=record.version,
        type=record.type,
        schema_version=record.schema_version,
        occurred_at=record.occurred_at,
        actor_id=record.actor_id,
        actor_role=record.actor_role,
        reason=record.reason,
        data=json.loads(json.dumps(data)),
    )


# what DERCI set meanwhile: IRPs 40,000–60,000 EUR, reports due 60 days before anniversaries
LATER = Policy(
    funding={
        **DEFAULT_POLICY.funding,
        InstrumentCode.IRP: DEFAULT_POLICY.funding[InstrumentCode.IRP].model_copy(
            update={"funding_min_eur": 40_000, "funding_max_eur": 60_000}
        ),
    },
    report_due_days_before_anniversary=60,
)


def test_a_renewed_term_runs_under_the_policy_in_force_when_it_starts_the_running_one_keeps_its():
    from domain.commands import DecideRenewal
    from domain.state import governing
    from tests.builders import DERCI

    life = active_irp("P-next")
    life.report_on_time(utc(2030, 9, 1))
    life.do(RequestRenewal, utc(2030, 9, 1), pi_actor(), requested_eur=60_000, reason="go on")
    # the award is checked against the next term's policy, which the application found
    with pytest.raises(RuleViolation, match="outside IRP range 40000–60000"):
        life.do(
            DecideRenewal, utc(2030, 10, 1), DERCI, grant=True, awarded_eur=65_000,
            reason="x", policy=LATER,
        )  # fmt: skip
    life.do(
        DecideRenewal, utc(2030, 10, 1), DERCI, grant=True, awarded_eur=55_000,
        reason="renewed", policy=LATER,
    )  # fmt: skip
    granted = life.events[-1]
    assert granted.type == "RenewalGranted" and granted.data.policy == LATER
    # the running term keeps its policy until it ends
    assert policy_of(life.state) == DEFAULT_POLICY
    assert governing(life.state, DEFAULT_POLICY) == DEFAULT_POLICY
    life.run_until(TERM_ENDS + timedelta(hours=1))
    term = life.state.term
    assert term is not None and term.number == 2
    # the new term's reports are due as the later policy says, and it governs from now
    [report] = [d for d in open_deadlines(life.state) if d.ref == "term2-year1"]
    assert report.due_at == add_months(TERM_ENDS, 12) - timedelta(days=60)
    assert policy_of(life.state) == LATER == governing(life.state, DEFAULT_POLICY)
    # folded by the projector, the same
    assert policy_of(fold(life.events)) == LATER
    # and the record reads back, the state with it
    assert [read_back(e) for e in life.events] == life.events
    assert ProjectState.model_validate_json(life.state.model_dump_json()) == life.state

"""Whole project lives on the time-skipping server, asserted on what PostgreSQL holds."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.calendar import add_months, add_years
from domain.commands import (
    DecideApplication,
    DecideRenewal,
    LinkSuccessor,
    RequestRenewal,
    TerminateProject,
)
from domain.events import ReminderKind
from domain.state import Phase, TrancheStatus
from eventstore.event_records import from_record
from tests.builders import DERCI, INSTITUTE, pi_actor
from tests.workflows.driver import ProjectDriver
from workflows.project import RUN_HISTORY_BOUND

AWARD = {"IEA": 13_000, "IRN": 70_000, "IRP": 72_001, "IRL": 99_000}
TERM_YEARS = {"IEA": 2, "IRN": 5, "IRP": 5, "IRL": 5}


async def stored(event_store, project_id):
    return [from_record(e) for e in await event_store.read_stream(project_id)]


async def funded(ts_env, service, code: str) -> ProjectDriver:
    """A project of `code` submitted, evaluated, approved and in its first term."""
    driver = ProjectDriver(ts_env, service, f"{code}-{uuid.uuid4().hex[:8]}")
    if code == "IEA":
        await driver.enter_next_iea_call()
    await driver.submit(code)
    await driver.evaluate()
    await driver.approve(AWARD[code], None if code == "IEA" else timedelta(days=30))
    await driver.sleep_until((await driver.state()).next_term_starts_at + timedelta(hours=1))
    await driver.wait_for(lambda s: s.phase is Phase.ACTIVE, "term start")
    return driver


def check_term(events, code: str) -> None:
    """Versions contiguous; tranches sum to each award and fall on the anniversaries."""
    assert [e.version for e in events] == list(range(1, len(events) + 1))
    assert len({e.event_id for e in events}) == len(events)
    for term in (e for e in events if e.type == "TermStarted"):
        assert term.data.ends_at == add_years(term.data.starts_at, TERM_YEARS[code])
        paid = [
            e
            for e in events
            if e.type == "TrancheReleased" and e.data.term_number == term.data.term_number
        ]
        assert sum(e.data.amount_eur for e in paid) == term.data.awarded_eur
        for e in paid:
            assert e.occurred_at - add_years(term.data.starts_at, e.data.year - 1) < timedelta(
                minutes=1
            )


@pytest.mark.parametrize("code", ["IEA", "IRN", "IRP", "IRL"])
async def test_approved_project_runs_to_closure(ts_env, service, event_store, notifier, code):
    driver = await funded(ts_env, service, code)
    await driver.run_to_closure()
    if code == "IEA":  # a closed IEA may still be linked to its successor for two years
        await ts_env.sleep(timedelta(days=2 * 366))
    outcome = await service.handle(driver.project_id).result()
    assert outcome.phase is Phase.CLOSED and outcome.released_eur == AWARD[code]

    events = await stored(event_store, driver.project_id)
    check_term(events, code)
    types = [e.type for e in events]
    assert types[:5] == [
        "ApplicationSubmitted",
        "EligibilityConfirmed",
        "ReviewerAssigned",
        "ReviewSubmitted",
        "ApplicationApproved",
    ]
    assert types.count("TrancheReleased") == TERM_YEARS[code]
    assert types[-2:] == ["ReportSubmitted", "ReportAccepted"]  # the final report
    term = next(e for e in events if e.type == "TermStarted")
    closed = next(e for e in events if e.type == "ProjectClosed")
    assert abs(closed.occurred_at - term.data.ends_at) < timedelta(minutes=1)
    assert closed.actor.id == "system" and closed.reason
    if code == "IEA":
        assert term.data.starts_at.month == 1 and term.data.starts_at.day == 1
    reminders = {e.data.kind for e in events if e.type == "ReminderSent"}
    end_kind = ReminderKind.TERM_ENDING if code == "IEA" else ReminderKind.RENEWAL_WINDOW
    assert {ReminderKind.REPORT_DUE, ReminderKind.FINAL_REPORT_DUE, end_kind} <= reminders
    # every recorded reminder was handed to the notifier, once
    assert sorted(n.key for n in notifier.sent) == sorted(
        e.data.key for e in events if e.type == "ReminderSent"
    )


@pytest.mark.parametrize("code", ["IEA", "IRN", "IRP", "IRL"])
async def test_rejected_application(ts_env, service, event_store, code):
    driver = await funded_until_decision(ts_env, service, code)
    result = await driver.act(DecideApplication, INSTITUTE, approve=False, reason="weak plan")
    assert result.phase is Phase.REJECTED
    outcome = await service.handle(driver.project_id).result()
    assert outcome.phase is Phase.REJECTED and outcome.released_eur == 0
    events = await stored(event_store, driver.project_id)
    assert events[-1].type == "ApplicationRejected" and events[-1].reason == "weak plan"
    assert events[-1].actor == INSTITUTE


async def funded_until_decision(ts_env, service, code: str) -> ProjectDriver:
    driver = ProjectDriver(ts_env, service, f"{code}-{uuid.uuid4().hex[:8]}")
    if code == "IEA":
        await driver.enter_next_iea_call()
    await driver.submit(code)
    await driver.evaluate()
    return driver


@pytest.mark.parametrize("code", ["IRN", "IRP", "IRL"])
async def test_renewed_then_closed(ts_env, service, event_store, code):
    driver = await funded(ts_env, service, code)
    first = (await driver.state()).term
    window = first.ends_at - timedelta(days=240)
    await driver.report_on_time(window)
    await driver.act(RequestRenewal, pi_actor(), requested_eur=AWARD[code])
    await driver.act(
        DecideRenewal, DERCI, grant=True, awarded_eur=AWARD[code] - 1000, reason="productive"
    )
    await driver.report_on_time(first.ends_at + timedelta(hours=1))
    state = await driver.wait_for(lambda s: s.term.number == 2, "second term")
    assert state.term.starts_at == first.ends_at
    await driver.run_to_closure()
    outcome = await service.handle(driver.project_id).result()
    assert outcome.terms == 2 and outcome.released_eur == 2 * AWARD[code] - 1000

    events = await stored(event_store, driver.project_id)
    check_term(events, code)
    starts = [e for e in events if e.type == "TermStarted"]
    assert [e.data.term_number for e in starts] == [1, 2]
    closed = next(e for e in events if e.type == "ProjectClosed")
    assert abs(closed.occurred_at - add_years(first.starts_at, 10)) < timedelta(minutes=1)


async def test_iea_renewal_is_refused_before_history(ts_env, service, event_store):
    driver = await funded(ts_env, service, "IEA")
    state = await driver.state()
    await driver.report_on_time(state.term.ends_at - timedelta(days=100))
    before = len(await stored(event_store, driver.project_id))
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await driver.act(RequestRenewal, pi_actor(), requested_eur=12_000)
    assert "IEA is not renewable" in str(err.value.cause)
    assert len(await stored(event_store, driver.project_id)) == before


@pytest.mark.parametrize("code", ["IEA", "IRN", "IRP", "IRL"])
async def test_late_report_withholds_then_releases_the_tranche(ts_env, service, event_store, code):
    driver = await funded(ts_env, service, code)
    start = (await driver.state()).term.starts_at
    late = "term1-year1"
    await driver.report_on_time(add_years(start, 1) + timedelta(days=40), skip=frozenset({late}))
    state = await driver.wait_for(
        lambda s: s.tranche(2).status is TrancheStatus.WITHHELD, "tranche withheld"
    )
    from domain.commands import ReviewReport, SubmitReport

    await driver.act(SubmitReport, pi_actor(), report_id=late, summary="late but complete")
    await driver.act(ReviewReport, DERCI, report_id=late, accept=True, reason="complete")
    accepted_at = await driver.now()
    state = await driver.wait_for(
        lambda s: s.tranche(2).status is TrancheStatus.RELEASED, "tranche released"
    )
    events = await stored(event_store, driver.project_id)
    withheld = next(e for e in events if e.type == "TrancheWithheld")
    assert abs(withheld.occurred_at - add_years(start, 1)) < timedelta(minutes=1)
    assert withheld.data.awaiting_report_id == late
    released = next(e for e in events if e.type == "TrancheReleased" and e.data.year == 2)
    assert released.version > withheld.version
    assert released.occurred_at - accepted_at < timedelta(minutes=1)
    overdue = [
        e for e in events if e.type == "ReminderSent" and e.data.kind is ReminderKind.REPORT_OVERDUE
    ]
    assert overdue and all(e.data.recipients == ("pi-durand",) for e in overdue)
    assert state.released_eur == sum(
        e.data.amount_eur for e in events if e.type == "TrancheReleased"
    )


@pytest.mark.parametrize("code", ["IEA", "IRN", "IRP", "IRL"])
async def test_terminated_early(ts_env, service, event_store, code):
    driver = await funded(ts_env, service, code)
    await driver.env.sleep(timedelta(days=100))
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await driver.act(TerminateProject, INSTITUTE, reason="partner withdrew")
    assert "may not terminate the project" in str(err.value.cause)
    await driver.act(TerminateProject, DERCI, reason="partner withdrew")
    outcome = await service.handle(driver.project_id).result()
    assert outcome.phase is Phase.TERMINATED
    events = await stored(event_store, driver.project_id)
    assert events[-1].type == "ProjectTerminated"
    assert events[-1].actor == DERCI and events[-1].reason == "partner withdrew"
    assert [e.type for e in events].count("ProjectTerminated") == 1


def continued_when_a_timer_fired(events: Any) -> bool:
    """Whether the workflow task that continued the run as new was woken by a timer."""
    tasks = [
        i for i, e in enumerate(events) if e.HasField("workflow_task_scheduled_event_attributes")
    ]
    before = events[tasks[-1] - 1]
    return before.HasField("timer_fired_event_attributes")


async def test_irl_renewed_twice_keeps_each_run_history_bounded(ts_env, service, event_store):
    """Fifteen years: each term starts a new workflow run (continue-as-new), and so does a
    run whose history passes the bound."""
    driver = await funded(ts_env, service, "IRL")
    for _ in range(2):
        term = (await driver.state()).term
        await driver.report_on_time(term.ends_at - timedelta(days=200))
        await driver.act(RequestRenewal, pi_actor(), requested_eur=90_000)
        await driver.act(DecideRenewal, DERCI, grant=True, awarded_eur=90_000, reason="renew")
        await driver.report_on_time(term.ends_at + timedelta(hours=1))
        await driver.wait_for(lambda s, n=term.number: s.term.number == n + 1, "next term")
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await driver.act(RequestRenewal, pi_actor(), requested_eur=90_000)
    assert "an IRL may be renewed at most twice; it has already been renewed twice" in str(
        err.value.cause
    )
    await driver.run_to_closure()
    outcome = await service.handle(driver.project_id).result()
    assert outcome.terms == 3 and outcome.released_eur == 3 * 90_000 + AWARD["IRL"] - 90_000

    handle = service.handle(driver.project_id)
    latest = await handle.fetch_history()
    run_id = latest.events[0].workflow_execution_started_event_attributes.first_execution_run_id
    lengths, woken = [], []
    while run_id:
        history = await ts_env.client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        lengths.append(len(history.events))
        attrs = history.events[-1].workflow_execution_continued_as_new_event_attributes
        run_id = attrs.new_execution_run_id or None
        if run_id:
            woken.append(continued_when_a_timer_fired(history.events))
    assert len(lengths) >= 3  # at least one run per term
    # a new project's runs continue within RUN_HISTORY_BOUND, checked between steps: the
    # steps due at once may pass it by a little (more so when a loaded worker spreads them
    # over more workflow tasks), never by a run's worth (73 before quiet moments)
    assert max(lengths) <= RUN_HISTORY_BOUND + 5
    # and at quiet moments: after a step, before a wait, never as a timer fires (when
    # every project's term starts at one instant, that would double the server's work)
    assert not any(woken), woken
    events = await stored(event_store, driver.project_id)
    check_term(events, "IRL")
    assert [e.data.term_number for e in events if e.type == "TermStarted"] == [1, 2, 3]


async def test_a_closed_iea_is_linked_to_its_successor_until_the_window_closes(
    ts_env, service, event_store
):
    linked = await funded(ts_env, service, "IEA")
    await linked.run_to_closure()  # final report accepted: nothing left but a successor
    await ts_env.sleep(timedelta(days=200))  # the IRP that follows it up came later
    result = await linked.act(
        LinkSuccessor,
        DERCI,
        successor_project_id=f"IRP-{uuid.uuid4().hex[:6]}",
        successor_instrument="IRP",
    )
    assert result.events == ("SuccessorLinked",)
    assert (await service.handle(linked.project_id).result()).phase is Phase.CLOSED

    unlinked = await funded(ts_env, service, "IEA")
    await unlinked.run_to_closure()
    term_end = (await unlinked.state()).term.ends_at
    await ts_env.sleep(timedelta(days=2 * 366))
    outcome = await service.handle(unlinked.project_id).result()  # the window ran out
    assert outcome.phase is Phase.CLOSED
    assert await ts_env.get_current_time() >= add_months(term_end, 24)
    assert "SuccessorLinked" not in [e.type for e in await stored(event_store, unlinked.project_id)]

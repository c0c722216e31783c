"""Amendments on a running project's workflow (time-skipping server, asserted on what
PostgreSQL holds): the timers are computed from the state, so an amendment moves them."""

from __future__ import annotations

from datetime import timedelta

from domain.calendar import add_months, add_years
from domain.commands import ExtendTerm, ResumeProject, SuspendProject
from domain.events import ReminderKind
from domain.policy import DEFAULT_POLICY
from domain.state import Phase, TrancheStatus
from tests.builders import DERCI, INSTITUTE
from tests.workflows.test_project_lives import funded, stored

CLOSE = timedelta(minutes=1)


async def test_an_extension_moves_the_term_end_the_reminders_and_the_final_report(
    ts_env, service, event_store
):
    driver = await funded(ts_env, service, "IRP")
    term = (await driver.state()).term
    await driver.report_on_time(add_years(term.starts_at, 4))
    result = await driver.act(ExtendTerm, INSTITUTE, months=6, reason="equipment delivered late")
    assert result.events == ("TermExtended",)
    new_end = add_months(term.ends_at, 6)
    assert (await driver.state()).term.ends_at == new_end
    await driver.run_to_closure()
    outcome = await service.handle(driver.project_id).result()
    assert outcome.phase is Phase.CLOSED

    events = await stored(event_store, driver.project_id)
    extended = next(e for e in events if e.type == "TermExtended")
    assert extended.actor == INSTITUTE and extended.reason == "equipment delivered late"
    assert (extended.data.previous_ends_at, extended.data.ends_at) == (term.ends_at, new_end)
    renewal = [
        e for e in events if e.type == "ReminderSent" and e.data.kind is ReminderKind.RENEWAL_WINDOW
    ]
    assert [e.data.key for e in renewal] == ["renewal:term1+ext1:6m", "renewal:term1+ext1:3m"]
    for e, months in zip(renewal, DEFAULT_POLICY.renewal_reminder_months_before_end, strict=True):
        assert e.data.due_at == new_end
        assert abs(e.occurred_at - add_months(new_end, -months)) < CLOSE
    closed = next(e for e in events if e.type == "ProjectClosed")
    assert abs(closed.occurred_at - new_end) < CLOSE  # not at the approved end
    assert closed.data.final_report_due_at == add_months(
        new_end, DEFAULT_POLICY.final_report_due_months_after_end
    )
    final = [
        e
        for e in events
        if e.type == "ReminderSent" and e.data.kind is ReminderKind.FINAL_REPORT_DUE
    ]
    assert final and all(e.data.due_at == closed.data.final_report_due_at for e in final)


async def test_a_suspended_project_pays_no_tranche_until_resumed(ts_env, service, event_store):
    driver = await funded(ts_env, service, "IRP")
    start = (await driver.state()).term.starts_at
    tranche_2_due = add_years(start, 1)
    await driver.report_on_time(tranche_2_due - timedelta(days=10))  # report year 1 accepted
    result = await driver.act(SuspendProject, DERCI, reason="audit of the partner's accounts")
    suspended_at = result.version  # the ProjectSuspended event's
    await driver.sleep_until(tranche_2_due + timedelta(days=60))
    state = await driver.state()
    assert state.suspended_since is not None and state.phase is Phase.ACTIVE
    assert state.tranche(2).status is TrancheStatus.PLANNED
    assert len(await stored(event_store, driver.project_id)) == suspended_at  # nothing ran

    result = await driver.act(ResumeProject, DERCI, reason="audit cleared")
    resumed = await driver.now()
    assert result.events == ("ProjectResumed",)
    await driver.wait_for(lambda s: s.tranche(2).status is TrancheStatus.RELEASED, "tranche 2")
    events = await stored(event_store, driver.project_id)
    assert [e.type for e in events[suspended_at - 1 :]][:3] == [
        "ProjectSuspended",
        "ProjectResumed",
        "TrancheReleased",
    ]
    paid = events[suspended_at + 1]
    assert paid.data.year == 2 and paid.actor.id == "system"
    assert abs(paid.occurred_at - resumed) < CLOSE  # paid on resumption, not on its due date
    suspension = events[suspended_at - 1]
    assert suspension.actor == DERCI and suspension.reason == "audit of the partner's accounts"

"""Recovery from the record: a project whose workflow Temporal lost (here: terminated, as
an operator or a lost database would leave it) is started again from its events by
`Recovery.recover`; its timers are the domain's and its next events continue its stream,
nothing appended twice; `reconcile` finds no difference afterwards."""

from __future__ import annotations

import json
from datetime import timedelta

from application.imports import Imports
from application.recovery import Recovery
from domain.calendar import add_months, add_years
from domain.commands import ReviewReport, SubmitReport
from domain.state import Phase, TrancheStatus
from tests.builders import DERCI, pi_actor
from tests.workflows.driver import ProjectDriver
from tests.workflows.test_imports import OFFICER, entry
from tests.workflows.test_project_lives import stored


async def test_a_lost_life_comes_back_from_its_events_and_goes_on(ts_env, service, event_store):
    now = await ts_env.get_current_time()
    starts = add_months(now, -27)  # an IRL in its third year, tranches 1-3 paid
    irl = entry(
        "REC-IRL", "IRL", starts, tranches_released=3,
        reports_accepted=["term1-year1", "term1-year2"],
    )  # fmt: skip
    report = await Imports(event_store, service).run(
        OFFICER, "irl.json", json.dumps([irl]).encode()
    )
    assert report.created == ["REC-IRL"], report.refused
    driver = ProjectDriver(ts_env, service, "REC-IRL")
    driver.follow()
    await driver.act(SubmitReport, pi_actor(), report_id="term1-year3", summary="year three")
    before = await stored(event_store, "REC-IRL")

    # the workflow is lost: Temporal no longer runs it
    await service.handle("REC-IRL").terminate(reason="Temporal's store lost (drill)")
    recovery = Recovery(event_store, service)
    [missing] = await recovery.reconcile()
    assert (missing.project_id, missing.running) == ("REC-IRL", "no running workflow")
    listed = await recovery.recover(dry_run=True)
    assert [(r.project_id, r.phase, r.version, r.started) for r in listed] == [
        ("REC-IRL", "active", len(before), False)
    ]
    assert not await service.running("REC-IRL")  # a dry run starts nothing
    [done] = await recovery.recover()
    assert done.started and await service.running("REC-IRL")
    assert await recovery.reconcile() == []
    assert await recovery.recover() == []  # running again: nothing more to start
    assert await stored(event_store, "REC-IRL") == before  # nothing appended by recovering

    # the life goes on from where its events left it
    state = await driver.state()
    assert state.phase is Phase.ACTIVE and state.version == len(before)
    await driver.act(ReviewReport, DERCI, report_id="term1-year3", accept=True, reason="ok")
    await driver.sleep_until(add_years(starts, 3) + timedelta(hours=1))
    await driver.wait_for(lambda s: s.tranche(4).status is TrancheStatus.RELEASED, "released")
    after = await stored(event_store, "REC-IRL")
    assert after[: len(before)] == before
    assert [e.version for e in after] == list(range(1, len(after) + 1))
    paid = [e.data.year for e in after if e.type == "TrancheReleased"]
    assert paid == [4]  # once, by the recovered workflow

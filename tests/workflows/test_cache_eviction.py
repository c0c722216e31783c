"""More running projects than the worker caches (COLLAB_WORKER_MAX_CACHED_WORKFLOWS): a
project evicted to make room replays its history at its next task and lives on as if it
had stayed in memory."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.bridge.proto.workflow_activation import RemoveFromCache
from temporalio.worker import _workflow

from application.projects import ProjectService
from collab.worker_build import build_worker
from domain.commands import DecideApplication, ReviewReport, SubmitReport
from domain.state import FINAL_REPORT_ID, Phase
from eventstore.event_records import from_record
from tests.builders import DERCI, INSTITUTE
from tests.workflows.driver import ProjectDriver

AWARD = 72_001


async def test_two_projects_sharing_one_cache_slot_live_their_whole_lives(
    ts_env, event_store, monkeypatch
):
    """Every task of one project evicts the other, whose next task (a timer, an activity
    result, an Update) replays its history first: both reach closure with every fact
    recorded once, in order."""
    evictions: list[int] = []  # why the worker dropped a workflow (RemoveFromCache reasons)
    evict = _workflow._WorkflowWorker._handle_cache_eviction

    async def counted(self, act, job):
        evictions.append(job.reason)
        await evict(self, act, job)

    monkeypatch.setattr(_workflow._WorkflowWorker, "_handle_cache_eviction", counted)
    queue = f"tq-{uuid.uuid4()}"
    async with build_worker(ts_env.client, event_store, queue, max_cached_workflows=1):
        service = ProjectService(ts_env.client, queue)
        projects = [ProjectDriver(ts_env, service, f"IRP-{uuid.uuid4().hex[:8]}") for _ in "ab"]
        for p in projects:
            await p.submit("IRP")
        for p in projects:
            await p.evaluate()
        starts = (await projects[0].now()) + timedelta(days=30)
        for p in projects:
            await p.act(
                DecideApplication,
                INSTITUTE,
                approve=True,
                awarded_eur=AWARD,
                term_starts_at=starts,
                reason="strong reviews",
            )
        await projects[0].sleep_until(starts + timedelta(hours=1))
        state = await projects[0].wait_for(lambda s: s.phase is Phase.ACTIVE, "term start")
        await projects[1].wait_for(lambda s: s.phase is Phase.ACTIVE, "term start")
        assert state.term is not None
        reports = sorted((r.due_at, r.report_id) for r in state.reports)
        for due, report_id in reports:
            if report_id == FINAL_REPORT_ID:
                continue
            await projects[0].sleep_until(due - timedelta(days=20))
            for p in projects:  # each step of one evicts the other
                await p.act(SubmitReport, p.pi, report_id=report_id, summary="on track")
                await p.act(ReviewReport, DERCI, report_id=report_id, accept=True, reason="ok")
        await projects[0].sleep_until(state.term.ends_at + timedelta(hours=1))
        closed = [await p.wait_for(lambda s: s.phase is Phase.CLOSED, "closure") for p in projects]
        assert closed[0].final_report_due_at is not None
        await projects[0].sleep_until(closed[0].final_report_due_at - timedelta(days=5))
        for p in projects:
            await p.act(SubmitReport, p.pi, report_id=FINAL_REPORT_ID, summary="final")
            await p.act(ReviewReport, DERCI, report_id=FINAL_REPORT_ID, accept=True, reason="ok")

        # the premise: the cache was full again and again, and no replay diverged
        assert evictions.count(RemoveFromCache.CACHE_FULL) > 20
        assert RemoveFromCache.NONDETERMINISM not in evictions
        for p in projects:
            outcome = await service.handle(p.project_id).result()
            assert outcome.phase is Phase.CLOSED and outcome.released_eur == AWARD
            events = [from_record(e) for e in await event_store.read_stream(p.project_id)]
            assert [e.version for e in events] == list(range(1, len(events) + 1))
            assert len({e.event_id for e in events}) == len(events)
            types = [e.type for e in events]
            assert types.count("TermStarted") == 1 and types.count("TrancheReleased") == 5
            assert "TrancheWithheld" not in types
            assert "ProjectClosed" in types
            assert types[-2:] == ["ReportSubmitted", "ReportAccepted"]  # the final report

"""Record workflow histories for the replay test.

    python -m tests.workflows.record_histories RELEASE

Run it when a release is deployed: the saved histories stand for projects running in
production, and `test_replay.py` fails when a code change would break them. Each release's
histories are kept beside the earlier ones (`RELEASE-<scenario>-runN.json`; the first
release's have no prefix): projects started under any of them may still be running. Never
re-record to make the replay test pass: guard the change with `workflow.patched` instead.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from application.projects import ProjectService
from collab.embedded_temporal import time_skipping_server_binary
from collab.worker_build import build_worker
from domain.commands import DecideRenewal, LinkSuccessor, RequestRenewal, TerminateProject
from eventstore.embedded import start_embedded_postgres, with_database
from eventstore.postgres import PostgresEventStore
from tests.builders import DERCI, pi_actor
from tests.conftest import RecordingNotifier
from tests.workflows.driver import ProjectDriver

OUT = Path(__file__).parent / "histories"


async def save_all_runs(handle: WorkflowHandle, name: str) -> None:
    """Every run of a workflow (continue-as-new makes several), oldest first."""
    latest = await handle.fetch_history()
    started = latest.events[0].workflow_execution_started_event_attributes
    run_id: str | None = started.first_execution_run_id
    index = 1
    while run_id:
        run = handle._client.get_workflow_handle(handle.id, run_id=run_id)
        history = await run.fetch_history()
        (OUT / f"{name}-run{index}.json").write_text(history.to_json())
        last = history.events[-1]
        continued = last.workflow_execution_continued_as_new_event_attributes
        run_id = continued.new_execution_run_id or None
        index += 1


async def scenarios(env: WorkflowEnvironment, service: ProjectService, release: str) -> None:
    # an IEA through the call, with a late report, closed and reported
    iea = ProjectDriver(env, service, "IEA-history")
    await iea.enter_next_iea_call()
    await iea.submit("IEA")
    await iea.evaluate()
    await iea.approve(13_000)
    start = (await iea.state()).next_term_starts_at
    await iea.report_on_time(start + timedelta(days=400), skip=frozenset({"term1-year1"}))
    from domain.commands import ReviewReport, SubmitReport

    await iea.act(SubmitReport, pi_actor(), report_id="term1-year1", summary="late")
    await iea.act(ReviewReport, DERCI, report_id="term1-year1", accept=True, reason="ok")
    await iea.run_to_closure()
    # a closed IEA waits for its successor (patched "successor-window"): it comes 200 days on
    await env.sleep(timedelta(days=200))
    await iea.act(
        LinkSuccessor, DERCI, successor_project_id="IRP-successor", successor_instrument="IRP"
    )
    await service.handle(iea.project_id).result()
    await save_all_runs(service.handle(iea.project_id), f"{release}-iea-late-report")

    # an IRP renewed once: the second term starts in a new run (continue-as-new)
    irp = ProjectDriver(env, service, "IRP-history")
    await irp.submit("IRP")
    await irp.evaluate()
    await irp.approve(72_000, timedelta(days=30))
    first = None
    while first is None:
        await env.sleep(timedelta(days=31))
        first = (await irp.state()).term
    await irp.report_on_time(first.ends_at - timedelta(days=240))
    await irp.act(RequestRenewal, pi_actor(), requested_eur=70_000)
    await irp.act(DecideRenewal, DERCI, grant=True, awarded_eur=70_000, reason="productive")
    await irp.report_on_time(first.ends_at + timedelta(days=1))
    await irp.run_to_closure()
    await service.handle(irp.project_id).result()
    await save_all_runs(service.handle(irp.project_id), f"{release}-irp-renewed")

    # an IRL terminated in its second year
    irl = ProjectDriver(env, service, "IRL-history")
    await irl.submit("IRL")
    await irl.evaluate()
    await irl.approve(90_000, timedelta(days=30))
    await env.sleep(timedelta(days=400))
    await irl.act(TerminateProject, DERCI, reason="partner withdrew")
    await service.handle(irl.project_id).result()
    await save_all_runs(service.handle(irl.project_id), f"{release}-irl-terminated")


async def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m tests.workflows.record_histories RELEASE")
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url, _server = start_embedded_postgres(Path(tmp), cleanup_mode="delete")
        admin = await asyncpg.connect(url)
        await admin.execute("CREATE DATABASE histories")
        await admin.close()
        store = await PostgresEventStore.connect(with_database(url, "histories"))
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=time_skipping_server_binary(),
            data_converter=pydantic_data_converter,
        )
        try:
            queue = f"record-{uuid.uuid4()}"
            async with build_worker(env.client, store, queue, RecordingNotifier()):
                await scenarios(env, ProjectService(env.client, queue), sys.argv[1])
        finally:
            await env.shutdown()
            await store.close()
    print(f"histories written to {OUT}")
    os._exit(0)  # the time-skipping server's runtime can abort at interpreter exit


if __name__ == "__main__":
    asyncio.run(main())

"""Record workflow histories for the replay test.

    python -m tests.workflows.record_histories RELEASE [SCENARIO ...]

Run it when a release is deployed: the saved histories stand for projects running in
production, and `test_replay.py` fails when a code change would break them. Each release's
histories are kept beside the earlier ones (`RELEASE-<scenario>-runN.json`; the first
release's have no prefix): projects started under any of them may still be running. Never
re-record to make the replay test pass: guard the change with `workflow.patched` instead.

With no SCENARIO every scenario is recorded; otherwise only those named (a scenario's name,
such as `irp-amended`, or one word of it that no other has, such as `amended`), so that a
release adding a feature records its new lives alone. A history file is never overwritten.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from application.imports import Imports
from application.projects import ProjectService
from collab.embedded_temporal import time_skipping_server_binary
from collab.worker_build import build_worker
from domain.actors import Role
from domain.calendar import add_months, add_years
from domain.commands import (
    AddPartnerLab,
    AmendBudget,
    AssignReviewer,
    DecideApplication,
    DecideRenewal,
    ExtendTerm,
    LinkSuccessor,
    RequestAmendment,
    RequestRenewal,
    ResumeProject,
    ReviewReport,
    SubmitReport,
    SuspendProject,
    TerminateProject,
)
from domain.events import AmendmentKind
from domain.policy import Policy
from domain.state import Phase, ProjectState, TrancheStatus
from eventstore.embedded import start_embedded_postgres, with_database
from eventstore.postgres import PostgresEventStore
from identity.people import Person
from tests.builders import DERCI, INSTITUTE, application, pi_actor, reviewer
from tests.conftest import RecordingNotifier
from tests.workflows.driver import ProjectDriver

OUT = Path(__file__).parent / "histories"
# the DERCI officer who brings running projects in (DERCI's person in the directory)
IMPORTER = Person(
    person_id=DERCI.id, name="Élise Martin", email="e.martin@cnrs.example.fr",
    lab="DERCI", country="FR", role=Role.DERCI_OFFICER,
)  # fmt: skip


@dataclass(frozen=True)
class Recording:
    env: WorkflowEnvironment
    service: ProjectService
    store: PostgresEventStore
    release: str

    async def save(self, project_id: str, scenario: str) -> None:
        """Once the project's workflow has ended, every run of it as `scenario`."""
        handle = self.service.handle(project_id)
        await handle.result()
        await save_all_runs(handle, f"{self.release}-{scenario}")


async def save_all_runs(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Every run of a workflow (continue-as-new makes several), oldest first; refuses to
    overwrite a saved history."""
    latest = await handle.fetch_history()
    started = latest.events[0].workflow_execution_started_event_attributes
    run_id: str | None = started.first_execution_run_id
    runs: list[str] = []
    while run_id:
        run = handle._client.get_workflow_handle(handle.id, run_id=run_id)
        history = await run.fetch_history()
        runs.append(history.to_json())
        last = history.events[-1]
        continued = last.workflow_execution_continued_as_new_event_attributes
        run_id = continued.new_execution_run_id or None
    for index, text in enumerate(runs, start=1):
        with (OUT / f"{name}-run{index}.json").open("x") as saved:  # "x": never overwrite
            saved.write(text)


def tranche_is(year: int, status: TrancheStatus) -> Callable[[ProjectState], bool]:
    def check(state: ProjectState) -> bool:
        tranche = state.tranche(year)
        return tranche is not None and tranche.status is status

    return check


async def iea_late_report(rec: Recording) -> None:
    """An IEA through the call, with a late report, closed and reported."""
    env, service = rec.env, rec.service
    iea = ProjectDriver(env, service, "IEA-history")
    await iea.enter_next_iea_call()
    await iea.submit("IEA")
    await iea.evaluate()
    await iea.approve(13_000)
    start = (await iea.state()).next_term_starts_at
    assert start is not None
    await iea.report_on_time(start + timedelta(days=400), skip=frozenset({"term1-year1"}))
    await iea.act(SubmitReport, pi_actor(), report_id="term1-year1", summary="late")
    await iea.act(ReviewReport, DERCI, report_id="term1-year1", accept=True, reason="ok")
    await iea.run_to_closure()
    # a closed IEA waits for its successor (patched "successor-window"): it comes 200 days on
    await env.sleep(timedelta(days=200))
    await iea.act(
        LinkSuccessor, DERCI, successor_project_id="IRP-successor", successor_instrument="IRP"
    )
    await rec.save(iea.project_id, "iea-late-report")


async def irp_renewed(rec: Recording) -> None:
    """An IRP renewed once: the second term starts in a new run (continue-as-new)."""
    env, service = rec.env, rec.service
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
    await rec.save(irp.project_id, "irp-renewed")


async def irl_terminated(rec: Recording) -> None:
    """An IRL terminated in its second year."""
    env, service = rec.env, rec.service
    irl = ProjectDriver(env, service, "IRL-history")
    await irl.submit("IRL")
    await irl.evaluate()
    await irl.approve(90_000, timedelta(days=30))
    await env.sleep(timedelta(days=400))
    await irl.act(TerminateProject, DERCI, reason="partner withdrew")
    await rec.save(irl.project_id, "irl-terminated")


async def irp_amended(rec: Recording) -> None:
    """An IRP amended while active (issue 16): its budget raised and a partner lab added in
    year 1; suspended just before its second tranche falls due and resumed two months on
    (the tranche is paid then); asked for and given a six-month extension in year 4 (the
    renewal reminders, the term end and the final report move); closed at the new end."""
    irp = ProjectDriver(rec.env, rec.service, "IRP-amended-history")
    await irp.submit("IRP")
    await irp.evaluate()
    await irp.approve(60_000, timedelta(days=30))
    starts = (await irp.state()).next_term_starts_at
    assert starts is not None
    await irp.sleep_until(starts + timedelta(hours=1))
    term = (await irp.wait_for(lambda s: s.phase is Phase.ACTIVE, "term start")).term
    assert term is not None
    start = term.starts_at
    await irp.report_on_time(start + timedelta(days=120))
    await irp.act(AmendBudget, INSTITUTE, awarded_eur=72_000, reason="a second field campaign")
    await irp.report_on_time(start + timedelta(days=200))
    await irp.act(
        AddPartnerLab, INSTITUTE, lab_name="Universidade Federal do Amazonas ICB",
        lab_country="BR", reason="sampling sites on the Rio Negro",
    )  # fmt: skip
    second_tranche = add_years(start, 1)
    await irp.report_on_time(second_tranche - timedelta(days=10))  # report year 1 accepted
    await irp.act(SuspendProject, DERCI, reason="audit of the partner's accounts")
    await irp.sleep_until(second_tranche + timedelta(days=60))
    await irp.act(ResumeProject, DERCI, reason="audit cleared")
    await irp.wait_for(tranche_is(2, TrancheStatus.RELEASED), "tranche 2")
    await irp.report_on_time(add_years(start, 4))
    await irp.act(
        RequestAmendment, pi_actor(), amendment=AmendmentKind.EXTEND,
        details="six more months", reason="equipment delivered late",
    )  # fmt: skip
    await irp.act(ExtendTerm, INSTITUTE, months=6, reason="equipment delivered late")
    await irp.run_to_closure()
    await rec.save(irp.project_id, "irp-amended")


async def irl_imported(rec: Recording) -> None:
    """An IRL brought in by an import (issue 16) in year 3 of its term, three tranches paid
    and two reports accepted: its third report comes late, the fourth tranche is withheld
    until it is accepted, then it runs on to its term end and final report."""
    pid = "IRL-imported-history"
    starts = add_months(await rec.env.get_current_time(), -27)
    entry = {
        "project_id": pid,
        **application("IRL").model_dump(mode="json", exclude_none=True),
        "imported": {
            "awarded_eur": 90_000,
            "term_starts_at": starts.isoformat(),
            "term_number": 1,
            "renewals": 0,
            "tranches_released": 3,
            "reports_accepted": ["term1-year1", "term1-year2"],
            "decided_by": {"id": DERCI.id, "role": DERCI.role.value},
            "reason": "running since before the service",
        },
    }
    imports = Imports(rec.store, rec.service)
    report = await imports.run(IMPORTER, "irl.json", json.dumps([entry]).encode())
    assert report.created == [pid], report.refused
    irl = ProjectDriver(rec.env, rec.service, pid)
    irl.follow()
    anniversary = add_years(starts, 3)
    await irl.sleep_until(anniversary + timedelta(hours=1))
    await irl.wait_for(tranche_is(4, TrancheStatus.WITHHELD), "withheld")
    await irl.act(SubmitReport, pi_actor(), report_id="term1-year3", summary="year three")
    await irl.act(ReviewReport, DERCI, report_id="term1-year3", accept=True, reason="ok")
    await irl.wait_for(tranche_is(4, TrancheStatus.RELEASED), "tranche 4")
    await irl.run_to_closure()
    await rec.save(irl.project_id, "irl-imported")


async def irp_later_policy(rec: Recording) -> None:
    """An IRP renewed under a policy DERCI set during its first term (issue 18): the
    renewal names the version in force on the second term's first day, whose report dates
    the second term follows; the first term keeps its own."""
    later = Policy(report_due_days_before_anniversary=60, overdue_reminder_every_days=20)
    irp = ProjectDriver(rec.env, rec.service, "IRP-later-policy-history")
    await irp.submit("IRP")
    await irp.evaluate()
    await irp.approve(72_000, timedelta(days=30))
    first = None
    while first is None:
        await rec.env.sleep(timedelta(days=31))
        first = (await irp.state()).term
    await irp.report_on_time(first.ends_at - timedelta(days=240))
    await irp.act(RequestRenewal, pi_actor(), requested_eur=70_000)
    await irp.act(
        DecideRenewal, DERCI, grant=True, awarded_eur=70_000, reason="productive", policy=later
    )
    await irp.report_on_time(first.ends_at + timedelta(days=1))
    await irp.run_to_closure()
    await rec.save(irp.project_id, "irp-later-policy")


async def irp_forgotten(rec: Recording) -> None:
    """An IRP whose reviewer is erased after reviewing (issue 21): the workflow is told to
    forget them (signal `forget`), and the project goes on to its decision."""
    irp = ProjectDriver(rec.env, rec.service, "IRP-forgotten-history")
    await irp.submit("IRP")
    await irp.evaluate()
    assert await rec.service.forget(irp.project_id, "rev-1")
    await irp.approve(60_000, timedelta(days=30))
    await irp.act(TerminateProject, DERCI, reason="partner withdrew")
    await rec.save(irp.project_id, "irp-forgotten")


async def irp_retried(rec: Recording) -> None:
    """An IRP whose run continues as new right after a reviewer is assigned, and whose
    client then retries that step (same command id): the new run answers it as the first
    run did, without deciding again; the application is then refused."""
    irp = ProjectDriver(rec.env, rec.service, "IRP-retried-history")
    await irp.submit("IRP")
    await irp.wait_for(lambda s: s.phase is Phase.UNDER_EVALUATION, "eligibility checked")
    handle = rec.service.handle(irp.project_id)
    first_run = (await handle.describe()).run_id
    for n in range(40):
        step = AssignReviewer(
            command_id=uuid.uuid4(), actor=INSTITUTE, at=await irp.now(),
            reviewer=reviewer(f"rev-{n}", lab=f"Lab {n}"),
        )  # fmt: skip
        answer = await rec.service.execute(irp.project_id, step)
        if (await handle.describe()).run_id != first_run:
            break
    assert await rec.service.execute(irp.project_id, step) == answer
    await irp.act(DecideApplication, INSTITUTE, approve=False, reason="out of scope")
    await rec.save(irp.project_id, "irp-retried")


# in the order they run on one virtual clock: the import first, since the import checks its
# entry's term start against the wall clock, which the other lives leave years behind
SCENARIOS: dict[str, Callable[[Recording], Awaitable[None]]] = {
    "irl-imported": irl_imported,
    "iea-late-report": iea_late_report,
    "irp-renewed": irp_renewed,
    "irl-terminated": irl_terminated,
    "irp-amended": irp_amended,
    "irp-retried": irp_retried,
    "irp-later-policy": irp_later_policy,
    "irp-forgotten": irp_forgotten,
}


def chosen(words: list[str]) -> list[str]:
    """The scenarios named by `words` (each a name or a word of one), in running order."""
    if not words:
        return list(SCENARIOS)
    picked: set[str] = set()
    for word in words:
        matches = [n for n in SCENARIOS if word in (n, *n.split("-"))]
        if len(matches) != 1:
            found = "matches " + ", ".join(matches) if matches else "matches none"
            raise SystemExit(f"scenario {word!r} {found}; scenarios: {', '.join(SCENARIOS)}")
        picked.update(matches)
    return [n for n in SCENARIOS if n in picked]


async def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit("usage: python -m tests.workflows.record_histories RELEASE [SCENARIO ...]")
    release, names = sys.argv[1], chosen(sys.argv[2:])
    OUT.mkdir(exist_ok=True)
    saved = [p.name for n in names for p in sorted(OUT.glob(f"{release}-{n}-run*.json"))]
    if saved:
        raise SystemExit(f"already recorded, never overwritten: {', '.join(saved)}")
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
                rec = Recording(env, ProjectService(env.client, queue), store, release)
                for name in names:
                    await SCENARIOS[name](rec)
                    print(f"recorded {release}-{name}", flush=True)
        finally:
            await env.shutdown()
            await store.close()
    print(f"histories written to {OUT}", flush=True)
    os._exit(0)  # the time-skipping server's runtime can abort at interpreter exit


if __name__ == "__main__":
    asyncio.run(main())

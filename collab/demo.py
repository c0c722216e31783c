"""`collab demo`: a realistic portfolio lived through in seconds.

Every instrument over every path, through the real workflows, activities and store, on
the time-skipping test server and the embedded PostgreSQL of the data directory. Then
`collab list`, `collab history` and `collab audit verify` work on that data.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from application.projects import ProjectService
from cli.reads import deadlines_table, portfolio_table
from collab.database import open_store
from collab.demo_portfolio import portfolio
from collab.embedded_temporal import time_skipping_server_binary
from collab.lives import ProjectDriver
from collab.settings import Settings
from collab.worker_build import build_worker
from domain.commands import (
    DecideApplication,
    DecideRenewal,
    LinkSuccessor,
    RequestRenewal,
    ReviewReport,
    SubmitReport,
    TerminateProject,
)
from domain.instruments import InstrumentCode
from domain.state import Phase, TrancheStatus
from readmodels.projector import Projector
from readmodels.queries import history
from readmodels.views import OPERATOR, deadlines_for
from readmodels.views import portfolio as portfolio_rows

Scenario = Callable[[ProjectDriver], Awaitable[None]]


def say(message: str) -> None:
    """Progress, on stderr so --json output stays clean."""
    print(message, file=sys.stderr, flush=True)


async def _funded(d: ProjectDriver, amount: int) -> None:
    await d.evaluate()
    await d.approve(amount, timedelta(days=30))
    state = await d.state()
    assert state.next_term_starts_at is not None
    await d.sleep_until(state.next_term_starts_at + timedelta(hours=1))
    await d.wait_for(lambda s: s.phase is Phase.ACTIVE, "term start")


async def approved_and_closed(d: ProjectDriver) -> None:
    await _funded(d, 70_000)
    await d.run_to_closure()


async def rejected(d: ProjectDriver) -> None:
    await d.evaluate()
    await d.act(DecideApplication, d.officer, approve=False, reason="network too narrow for an IRN")


async def renewed(d: ProjectDriver) -> None:
    await _funded(d, 95_000)
    first = (await d.state()).term
    assert first is not None
    await d.report_on_time(first.ends_at - timedelta(days=240))
    await d.act(RequestRenewal, d.pi, requested_eur=95_000)
    await d.act(
        DecideRenewal, d.officer, grant=True, awarded_eur=90_000, reason="productive first term"
    )
    await d.report_on_time(first.ends_at + timedelta(hours=1))
    await d.wait_for(lambda s: s.term is not None and s.term.number == 2, "second term")
    await d.run_to_closure()


async def late_report(d: ProjectDriver) -> None:
    await _funded(d, 55_000)
    start = (await d.state()).term.starts_at  # type: ignore[union-attr]
    late = "term1-year1"
    await d.report_on_time(start + timedelta(days=365 + 45), skip=frozenset({late}))
    await d.wait_for(lambda s: s.tranche(2).status is TrancheStatus.WITHHELD, "withheld")  # type: ignore[union-attr]
    await d.act(SubmitReport, d.pi, report_id=late, summary="late: field season overran")
    await d.act(ReviewReport, d.derci, report_id=late, accept=True, reason="complete, if late")
    await d.wait_for(lambda s: s.tranche(2).status is TrancheStatus.RELEASED, "released")  # type: ignore[union-attr]
    await d.run_to_closure()


async def terminated_early(d: ProjectDriver) -> None:
    await _funded(d, 80_000)
    await d.env.sleep(timedelta(days=400))
    await d.act(TerminateProject, d.derci, reason="the partner university left the agreement")


def _iea_with_successor(successor: ProjectDriver, irp_app: Any) -> Scenario:
    async def run(d: ProjectDriver) -> None:
        await d.enter_next_iea_call()
        await d.submit(portfolio()["iea_succeeded_by_irp"])
        await _funded_iea(d)
        term = (await d.state()).term
        assert term is not None
        await d.report_on_time(term.ends_at - timedelta(days=60))
        await successor.submit(irp_app.model_copy(update={"predecessor_project_id": d.project_id}))
        await successor.evaluate()
        await successor.approve(60_000, timedelta(days=60))
        await d.act(
            LinkSuccessor,
            d.derci,
            successor_project_id=successor.project_id,
            successor_instrument=InstrumentCode.IRP,
            reason="the IEA led to an IRP",
        )
        await d.run_to_closure()

    return run


async def _funded_iea(d: ProjectDriver) -> None:
    await d.evaluate()
    await d.act(
        DecideApplication,
        d.officer,
        approve=True,
        awarded_eur=12_000,
        reason="promising first collaboration",
    )
    state = await d.state()
    assert state.next_term_starts_at is not None
    await d.sleep_until(state.next_term_starts_at + timedelta(hours=1))
    await d.wait_for(lambda s: s.phase is Phase.ACTIVE, "term start")


async def _live(settings: Settings, as_json: bool) -> int:
    apps = portfolio()
    tag = uuid.uuid4().hex[:4].upper()
    ids: dict[str, tuple[str, str]] = {}  # project id -> (scenario, instrument)
    async with open_store(settings) as store:
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=time_skipping_server_binary(),
            data_converter=pydantic_data_converter,
        )
        try:
            queue = f"demo-{tag}"
            async with build_worker(env.client, store, queue):
                service = ProjectService(env.client, queue)

                def driver(scenario: str, instrument: str) -> ProjectDriver:
                    pid = f"{instrument}-{tag}-{len(ids) + 1}"
                    ids[pid] = (scenario, instrument)
                    return ProjectDriver(env, service, pid)

                plan: list[tuple[str, Scenario]] = [
                    ("rejected", rejected),
                    ("approved_and_closed", approved_and_closed),
                    ("late_report", late_report),
                    ("renewed", renewed),
                    ("terminated_early", terminated_early),
                ]
                for i, (scenario, run) in enumerate(plan, start=1):
                    app = apps[scenario]
                    d = driver(scenario, app.instrument.value)
                    say(f"[{i}/{len(plan) + 1}] {scenario}: {d.project_id} ({app.title})")
                    await d.submit(app)
                    await run(d)
                iea = driver("iea_succeeded_by_irp", "IEA")
                irp = driver("successor_irp", "IRP")
                say(
                    f"[{len(plan) + 1}/{len(plan) + 1}] IEA {iea.project_id} → IRP {irp.project_id}"
                )
                await _iea_with_successor(irp, apps["successor_irp"])(iea)
                demo_now = await env.get_current_time()
        finally:
            await env.shutdown()
        await Projector(store).catch_up()
        rows = [r for r in await portfolio_rows(store, OPERATOR) if r.project_id in ids]
        events = {pid: len(await store.read_stream(pid)) for pid in ids}
        due = [
            d
            for d in await deadlines_for(store, OPERATOR, demo_now, timedelta(days=365))
            if d.project_id in ids
        ]
        shown = next(pid for pid, (sc, _) in ids.items() if sc == "iea_succeeded_by_irp")
        story = await history(store, shown)
        assert story is not None
    if as_json:
        out = {
            "projects": [
                {
                    "id": r.project_id,
                    "instrument": r.instrument,
                    "scenario": ids[r.project_id][0],
                    "final_state": r.phase,
                    "awarded_eur": r.awarded_eur,
                    "total_awarded_eur": r.total_awarded_eur,
                    "released_eur": r.released_eur,
                    "withheld_eur": r.withheld_eur,
                    "to_come_eur": r.to_come_eur,
                    "events": events[r.project_id],
                }
                for r in rows
            ]
        }
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    print("\nPortfolio\n")
    print(portfolio_table(rows))
    print(f"\nWhat falls due in the year after {demo_now.date().isoformat()} (demo clock)\n")
    print(deadlines_table(due))
    print(f"\nDecision history of {shown}\n")
    for e in story.events:
        if e.type == "ReminderSent":
            continue
        reason = f" — {e.reason}" if e.reason else ""
        print(
            f"{e.version:>3} {e.occurred_at.date()} {e.type:<24} "
            f"{e.actor.role}:{e.actor.id}{reason}"
        )
    print(
        f"\nData in {settings.data_dir}, apart from the service's: try "
        f"`collab list --data-dir {settings.data_dir}`, `collab history {shown}` and "
        "`collab audit verify` with the same --data-dir."
    )
    return 0


def run_demo(settings: Settings, as_json: bool) -> int:
    code = asyncio.run(_live(settings, as_json))
    sys.stdout.flush()
    sys.stderr.flush()
    # the time-skipping server's runtime can abort the interpreter at exit (measured):
    # the work is done and flushed, so leave now
    os._exit(code)

"""`collab demo`: a realistic portfolio lived through in seconds.

Every instrument over every path, through the real workflows, activities and store, on
the time-skipping test server and the embedded PostgreSQL of the data directory: besides
the usual lives, a running IRL brought in from an import file, an IRP amended on its way
(budget, partner lab, suspension, extension) and an IRN co-funded by a partner abroad and
an institute. Then `collab list`, `collab history` and `collab audit verify` work on that
data.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import yaml
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from application.imports import Imports
from application.projects import ProjectService
from cli.reads import deadlines_table, portfolio_table
from collab.database import open_store
from collab.demo_portfolio import IMPORTING_OFFICER, NEW_PARTNER, portfolio, running_entry
from collab.embedded_temporal import time_skipping_server_binary
from collab.lives import Act, ProjectDriver
from collab.payload_sealing import sealing
from collab.settings import Settings
from collab.worker_build import build_worker
from domain.actors import Actor
from domain.calendar import add_years
from domain.commands import (
    AddPartnerLab,
    AmendBudget,
    DecideApplication,
    DecideRenewal,
    ExtendTerm,
    LinkSuccessor,
    RecordContribution,
    RequestRenewal,
    ResumeProject,
    ReviewReport,
    SubmitReport,
    SuspendProject,
    TerminateProject,
)
from domain.events import ContributionSource
from domain.instruments import InstrumentCode
from domain.state import Phase, TrancheStatus
from eventstore.postgres import PostgresEventStore
from readmodels.projector import Projector
from readmodels.queries import History, history
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


async def _at(
    d: ProjectDriver, moment: datetime, cls: type[Any], actor: Actor, **fields: Any
) -> None:
    """A person's step at `moment`, once the workflow has taken what fell due before."""
    await d.perform(Act(cls, actor, fields, moment))


def imported(store: PostgresEventStore, app: Any) -> Scenario:
    """A running IRL brought in mid-term from an import file by a DERCI officer: its next
    report is accepted, its next tranche paid, and it runs on to its closure. First in the
    demo: the import checks an entry against the wall clock, as the service does, and the
    demo's clock has not moved yet."""

    async def run(d: ProjectDriver) -> None:
        entry = running_entry(d.project_id, app, await d.now())
        content = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False).encode()
        report = await Imports(store, d.service).run(IMPORTING_OFFICER, "running.yaml", content)
        if report.created != [d.project_id]:
            raise AssertionError(f"import of {d.project_id} refused: {report.refused}")
        d.follow()
        state = await d.state()
        assert state.term is not None and state.phase is Phase.ACTIVE, state.phase
        anniversary = add_years(state.term.starts_at, 3)  # tranche 4 needs report year 3
        await d.report_on_time(anniversary + timedelta(hours=1))
        await d.wait_for(lambda s: s.tranche(4).status is TrancheStatus.RELEASED, "tranche 4")  # type: ignore[union-attr]
        await d.run_to_closure()

    return run


async def amended(d: ProjectDriver) -> None:
    """An active IRP changed on its way by an institute officer, always with a reason."""
    await _funded(d, 60_000)
    start = (await d.state()).term.starts_at  # type: ignore[union-attr]
    await _at(
        d,
        start + timedelta(days=100),
        AmendBudget,
        d.officer,
        awarded_eur=70_000,
        reason="INSU top-up for a second GNSS campaign",
    )
    await _at(
        d,
        start + timedelta(days=130),
        AddPartnerLab,
        d.officer,
        lab_name=NEW_PARTNER.name,
        lab_country=NEW_PARTNER.country,
        reason="UNAM joins to compare with the Mexican subduction zone",
    )
    await d.report_on_time(start + timedelta(days=380))
    await _at(
        d,
        start + timedelta(days=400),
        SuspendProject,
        d.officer,
        reason="field stations shut down after the earthquake",
    )
    await _at(
        d,
        start + timedelta(days=520),
        ResumeProject,
        d.officer,
        reason="field stations repaired and reopened",
    )
    await _at(
        d,
        start + timedelta(days=521),
        ExtendTerm,
        d.officer,
        months=6,
        reason="the four months of suspension and a lost field season",
    )
    await d.run_to_closure()


# 120,000 BRL at 0.1734 EUR: 20,808 EUR; and 8,000 EUR from INSU
FAPESP: dict[str, Any] = {
    "source_kind": ContributionSource.PARTNER,
    "source": "FAPESP",
    "country": "BR",
    "amount": 120_000,
    "currency": "BRL",
    "eur_rate": Decimal("0.1734"),
    "rate_source": "ECB reference rate",
    "reason": "FAPESP-CNRS agreement: São Paulo partners' missions",
}
INSU: dict[str, Any] = {
    "source_kind": ContributionSource.INSTITUTE,
    "source": "INSU",
    "amount": 8_000,
    "currency": "EUR",
    "eur_rate": Decimal(1),
    "rate_source": "INSU budget notice",
    "reason": "INSU complementary funding for the network's school",
}


async def co_funded(d: ProjectDriver) -> None:
    """An active IRN with a partner's contribution in its currency and an institute's in
    euros, each valued once at the rate stated."""
    await _funded(d, 60_000)
    start = (await d.state()).term.starts_at  # type: ignore[union-attr]
    at = start + timedelta(days=60)
    for contribution in (FAPESP, INSU):
        await _at(
            d,
            at,
            RecordContribution,
            d.officer,
            year=at.year,
            rate_date=(at - timedelta(days=30)).date(),
            **contribution,
        )
    await d.run_to_closure()


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
            data_converter=sealing(pydantic_data_converter, store),
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
                    ("imported", imported(store, apps["imported"])),
                    ("rejected", rejected),
                    ("approved_and_closed", approved_and_closed),
                    ("late_report", late_report),
                    ("renewed", renewed),
                    ("terminated_early", terminated_early),
                    ("amended", amended),
                    ("co_funded", co_funded),
                ]
                for i, (scenario, run) in enumerate(plan, start=1):
                    app = apps[scenario]
                    d = driver(scenario, app.instrument.value)
                    say(f"[{i}/{len(plan) + 1}] {scenario}: {d.project_id} ({app.title})")
                    if scenario != "imported":  # brought in by its import, not submitted
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
        changed: list[History] = []  # the imported, amended and co-funded projects
        for pid, (scenario, _) in ids.items():
            if scenario in ("imported", "amended", "co_funded"):
                told = await history(store, pid)
                assert told is not None
                changed.append(told)
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
                    "cofunding_eur": r.cofunding_eur,
                    "all_funding_eur": r.all_funding_eur,
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
    print("\nBrought in, amended, co-funded\n")
    for told in changed:
        for e in told.events:
            if e.type in _CHANGES:
                print(
                    f"{told.project_id:<16} {e.occurred_at.date()} {e.type:<20} "
                    f"{e.actor.role}:{e.actor.id} — {_CHANGES[e.type](e.data)}"
                )
    print(
        f"\nData in {settings.data_dir}, apart from the service's: try "
        f"`collab list --data-dir {settings.data_dir}`, `collab history {shown}` and "
        "`collab audit verify` with the same --data-dir."
    )
    return 0


def _eur(amount: int) -> str:
    return f"{amount:,} EUR"


# what each import, amendment or contribution changed, in a few words
_CHANGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "ProjectImported": lambda d: (
        f"term {d['past']['term_number']} from {d['past']['term_starts_at'][:10]}, "
        f"{_eur(d['past']['awarded_eur'])}, {d['past']['tranches_released']} tranches paid"
    ),
    "BudgetAmended": lambda d: f"{_eur(d['previous_eur'])} → {_eur(d['awarded_eur'])}",
    "PartnerLabAdded": lambda d: f"{d['lab']['name']} ({d['lab']['country']})",
    "ProjectSuspended": lambda d: f"term {d['term_number']}",
    "ProjectResumed": lambda d: f"suspended since {d['suspended_since'][:10]}",
    "TermExtended": lambda d: f"+{d['months']} months, to {d['ends_at'][:10]}",
    "ContributionRecorded": lambda d: (
        f"{d['source']} ({d['country']}), {d['year']}: {d['amount']:,} {d['currency']} "
        f"at {d['eur_rate']} = {_eur(d['eur_value'])}"
    ),
}


def run_demo(settings: Settings, as_json: bool) -> int:
    code = asyncio.run(_live(settings, as_json))
    sys.stdout.flush()
    sys.stderr.flush()
    # the time-skipping server's runtime can abort the interpreter at exit (measured):
    # the work is done and flushed, so leave now
    os._exit(code)

"""Drives one project's workflow on the time-skipping server the way people would: it
waits (virtual time) until a step is due, then acts through the real application service.
Used by `collab demo`, the workflow tests and the benchmarks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment

from application.projects import ProjectService
from domain.actors import Actor, Role
from domain.application import Application, Reviewer
from domain.commands import (
    AssignReviewer,
    DecideApplication,
    ReviewReport,
    SubmitApplication,
    SubmitReport,
    SubmitReview,
)
from domain.events import Recommendation
from domain.state import FINAL_REPORT_ID, Phase, ProjectState, ReportStatus
from workflows.iea_call import IeaCallWorkflow
from workflows.messages import IeaCallInput, StepResult, iea_call_workflow_id

OFFICER = Actor(id="insb-officer", role=Role.INSTITUTE_OFFICER)
DERCI = Actor(id="derci-officer", role=Role.DERCI_OFFICER)
REVIEWER = Reviewer(id="rev-eth", name="Anna Keller", lab="ETH Zurich D-PHYS", country="CH")


class ProjectDriver:
    def __init__(
        self,
        env: WorkflowEnvironment,
        service: ProjectService,
        project_id: str,
        *,
        officer: Actor = OFFICER,
        derci: Actor = DERCI,
        reviewer: Reviewer = REVIEWER,
    ):
        self.env = env
        self.service = service
        self.project_id = project_id
        self.officer = officer
        self.derci = derci
        self.reviewer = reviewer
        self.coordinator: Actor | None = None

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def sleep_until(self, moment: datetime) -> None:
        delta = moment - await self.now()
        if delta > timedelta(0):
            await self.env.sleep(delta)

    async def enter_next_iea_call(self) -> None:
        """Start next year's IEA call (as the Schedule does each June) and move the clock to
        a day it is open."""
        year = (await self.now()).year + 1
        await self.env.client.start_workflow(
            IeaCallWorkflow.run,
            IeaCallInput(year=year),
            id=iea_call_workflow_id(year),
            task_queue=self.service.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        await self.sleep_until(datetime(year, 6, 10, tzinfo=UTC))

    async def state(self) -> ProjectState:
        return await self.service.state(self.project_id)

    async def wait_for(self, predicate, what: str, attempts: int = 100) -> ProjectState:
        """The workflow reacts to a timer in its own task: give it a moment to catch up."""
        for _ in range(attempts):
            state = await self.state()
            if predicate(state):
                return state
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.project_id}: never reached {what}; state {state.phase}")

    async def act(self, cls: type[Any], actor: Actor, **fields: Any) -> StepResult:
        command = cls(command_id=uuid4(), actor=actor, at=await self.now(), **fields)
        return await self.service.execute(self.project_id, command)

    # --- the usual path ---

    async def submit(self, application: Application) -> StepResult:
        self.coordinator = Actor(id=application.coordinator.id, role=Role.COORDINATOR)
        command = SubmitApplication(
            command_id=uuid4(),
            actor=self.coordinator,
            at=await self.now(),
            project_id=self.project_id,
            application=application,
        )
        return await self.service.submit(command)

    @property
    def pi(self) -> Actor:
        assert self.coordinator is not None, "submit first"
        return self.coordinator

    async def evaluate(self) -> None:
        state = await self.state()
        if state.eligibility_check_at is not None:  # an IEA waits for its call to close
            await self.sleep_until(state.eligibility_check_at + timedelta(hours=1))
        await self.wait_for(lambda s: s.phase is Phase.UNDER_EVALUATION, "evaluation")
        await self.act(AssignReviewer, self.officer, reviewer=self.reviewer)
        await self.env.sleep(timedelta(days=10))
        await self.act(
            SubmitReview,
            Actor(id=self.reviewer.id, role=Role.REVIEWER),
            scores={"science": 5, "feasibility": 4},
            recommendation=Recommendation.FUND,
        )

    async def approve(self, amount: int, starts_in: timedelta | None = None) -> None:
        start = (await self.now()) + starts_in if starts_in is not None else None
        await self.act(
            DecideApplication,
            self.officer,
            approve=True,
            awarded_eur=amount,
            term_starts_at=start,
            reason="strong reviews and strategic partner",
        )

    async def report_on_time(self, until: datetime, *, skip: frozenset[str] = frozenset()) -> None:
        """Hand in and accept every annual report due up to `until`, 20 days early."""
        while True:
            state = await self.state()
            due = [
                r
                for r in state.reports
                if r.status is ReportStatus.DUE
                and r.report_id not in skip
                and r.report_id != FINAL_REPORT_ID
                and r.due_at <= until
            ]
            if not due:
                await self.sleep_until(until)
                return
            report = min(due, key=lambda r: r.due_at)
            await self.sleep_until(report.due_at - timedelta(days=20))
            await self.act(
                SubmitReport, self.pi, report_id=report.report_id, summary="missions, workshops"
            )
            await self.act(
                ReviewReport, self.derci, report_id=report.report_id, accept=True, reason="on track"
            )

    async def run_to_closure(self) -> None:
        state = await self.state()
        assert state.term is not None
        await self.report_on_time(state.term.ends_at + timedelta(hours=1))
        state = await self.wait_for(lambda s: s.phase is Phase.CLOSED, "closure")
        assert state.final_report_due_at is not None
        await self.sleep_until(state.final_report_due_at - timedelta(days=5))
        await self.act(SubmitReport, self.pi, report_id=FINAL_REPORT_ID, summary="final")
        await self.act(
            ReviewReport,
            self.derci,
            report_id=FINAL_REPORT_ID,
            accept=True,
            reason="objectives met",
        )

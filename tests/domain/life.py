"""A pure, in-memory driver of one project's life: decide + evolve + the automatic steps,
with the business clock in the test's hands. It is what the workflow does, minus Temporal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from domain.actors import Actor
from domain.automation import next_step
from domain.commands import (
    AssignReviewer,
    DecideApplication,
    ReviewReport,
    SubmitApplication,
    SubmitReport,
    SubmitReview,
)
from domain.decider import decide
from domain.events import DomainEvent, Recommendation
from domain.evolve import evolve
from domain.instruments import InstrumentCode
from domain.policy import DEFAULT_POLICY, Policy, iea_call_window
from domain.state import ProjectState, ReportStatus
from tests.builders import DERCI, INSTITUTE, application, cid, pi_actor, reviewer, reviewer_actor


class Life:
    def __init__(self, project_id: str, policy: Policy = DEFAULT_POLICY) -> None:
        self.project_id = project_id
        self.policy = policy
        self.state = ProjectState()
        self.events: list[DomainEvent] = []
        self._ids: Iterator[int] = count()
        self.clock: datetime | None = None  # the latest business time seen

    def _tick(self, at: datetime) -> datetime:
        self.clock = at if self.clock is None else max(self.clock, at)
        return self.clock

    def do(self, cls: type[Any], at: datetime, actor: Actor, **fields: Any) -> list[DomainEvent]:
        self._tick(at)
        command = cls(
            command_id=cid(self.project_id, next(self._ids)), actor=actor, at=at, **fields
        )
        events = decide(command, self.state, self.policy)
        for event in events:
            self.state = evolve(self.state, event)
        self.events.extend(events)
        return events

    def run_until(self, until: datetime) -> None:
        """Execute every automatic step due up to `until`, each at its own due time."""
        while (step := next_step(self.state, self.policy)) is not None and step.due_at <= until:
            # a step that fell due while the clock stood later runs now, as in the workflow
            now = self._tick(step.due_at)
            command = step.build(cid(self.project_id, next(self._ids)), now)
            for event in decide(command, self.state, self.policy):
                self.state = evolve(self.state, event)
                self.events.append(event)

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def of_type(self, event_type: str) -> list[DomainEvent]:
        return [e for e in self.events if e.type == event_type]

    # --- a usual path, step by step ---

    def submit(self, code: InstrumentCode | str, at: datetime, **app: Any) -> None:
        code = InstrumentCode(code)
        call = iea_call_window(at.year, self.policy) if code is InstrumentCode.IEA else None
        self.do(
            SubmitApplication,
            at,
            pi_actor(),
            project_id=self.project_id,
            application=application(code, **app),
            call=call,
        )
        self.run_until(at)

    def evaluate(self, at: datetime) -> None:
        self.run_until(at)
        self.do(AssignReviewer, at, INSTITUTE, reviewer=reviewer())
        self.run_until(at + timedelta(days=10))
        self.do(
            SubmitReview,
            at + timedelta(days=10),
            reviewer_actor(),
            scores={"science": 5, "partnership": 4},
            recommendation=Recommendation.FUND,
        )

    def approve(self, at: datetime, amount: int, starts: datetime | None = None) -> None:
        self.run_until(at)
        self.do(
            DecideApplication,
            at,
            INSTITUTE,
            approve=True,
            awarded_eur=amount,
            term_starts_at=starts,
            reason="excellent reviews; strategic partnership",
        )

    def report_on_time(self, until: datetime, *, skip: frozenset[str] = frozenset()) -> None:
        """Submit and accept every report before it is due, up to `until`."""
        while True:
            due = [
                r
                for r in self.state.reports
                if r.status is ReportStatus.DUE and r.report_id not in skip and r.due_at <= until
            ]
            if not due:
                self.run_until(until)
                return
            report = min(due, key=lambda r: r.due_at)
            self.run_until(report.due_at - timedelta(days=20))
            self.do(
                SubmitReport,
                report.due_at - timedelta(days=20),
                pi_actor(),
                report_id=report.report_id,
                summary="missions, 2 workshops, 3 papers",
            )
            self.do(
                ReviewReport,
                report.due_at - timedelta(days=10),
                DERCI,
                report_id=report.report_id,
                accept=True,
                reason="activity as planned",
            )

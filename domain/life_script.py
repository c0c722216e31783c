"""One project's life as a script: what its people and the system do, which step, by whom
and when, read from the project's state and `domain.automation.next_step`.

A script is a generator. It yields what happens next:

- `Wait(until)`: the system takes every automatic step due up to `until` (tranches,
  reminders, term start and end) and the clock moves there; `Wait()` looks, once the
  system has taken every step due by now;
- `Act(command, actor, fields, at)`: a person takes a step at `at` (None: now);
- `OpenCall(year)`: the IEA call of `year` opens (the Schedule's job each June) and the
  clock moves to a day it is open;

and is sent back what the project looks like then (`Seen`: its state and its clock; after
an `Act`, the state the step left, before what it made due at once). The
same script is played in memory here (`LifeInMemory`: decide + evolve, milliseconds; for
domain tests and generated portfolios) or against Temporal through the application
service (`collab.lives`: the demo, the workflow tests, the lives benchmark).

Pure: nothing outside the domain and the standard library."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any, TypeVar
from uuid import UUID, uuid5

from domain.actors import Actor, Role
from domain.application import Application, Reviewer
from domain.automation import decide_step, next_step
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
from domain.instruments import CATALOG, EntryRoute
from domain.policy import DEFAULT_POLICY, Policy, iea_call_window
from domain.state import FINAL_REPORT_ID, Phase, ProjectState, ReportStatus

R = TypeVar("R")

# a person's step, taken as soon as the state allows, this long after what it waits for
CATCH_UP = timedelta(hours=1)


@dataclass(frozen=True)
class Seen:
    """The project as its people see it: its state and the business clock."""

    state: ProjectState
    now: datetime


@dataclass(frozen=True)
class Wait:
    """The system takes every automatic step due up to `until` (None: now, a look)."""

    until: datetime | None = None


@dataclass(frozen=True)
class Act:
    """A person's step: `command(**fields)` by `actor` at `at` (None: now)."""

    command: type[Any]
    actor: Actor
    fields: Mapping[str, Any] = field(default_factory=dict)
    at: datetime | None = None


@dataclass(frozen=True)
class OpenCall:
    """The IEA call of `year` opens; the clock moves to a day it is open (10 June)."""

    year: int


Action = Wait | Act | OpenCall
Script = Generator[Action, Seen, R]


def coordinator_of(state: ProjectState) -> Actor:
    assert state.application is not None, "submit first"
    return Actor(id=state.application.coordinator.id, role=Role.COORDINATOR)


# --- the usual path, step by step -----------------------------------------------------------


def look() -> Script[Seen]:
    return (yield Wait())


def submit(project_id: str, application: Application, at: datetime | None = None) -> Script[Seen]:
    """The coordinator named in the application submits it."""
    actor = Actor(id=application.coordinator.id, role=Role.COORDINATOR)
    fields = {"project_id": project_id, "application": application}
    return (yield Act(SubmitApplication, actor, fields, at))


def enter_next_iea_call() -> Script[Seen]:
    seen = yield Wait()
    return (yield OpenCall(seen.now.year + 1))


def evaluate(
    officer: Actor,
    reviewer: Reviewer,
    at: datetime | None = None,
    *,
    review_after: timedelta = timedelta(days=10),
    scores: Mapping[str, int] | None = None,
) -> Script[Seen]:
    """A reviewer assigned at `at` (None: once the project is under evaluation), who
    recommends funding `review_after` later."""
    seen = yield Wait()
    if at is None:
        at = seen.now
        check = seen.state.eligibility_check_at  # an IEA waits for its call to close
        if seen.state.phase is Phase.SUBMITTED and check is not None:
            at = max(at, check + CATCH_UP)
    yield Act(AssignReviewer, officer, {"reviewer": reviewer}, at)
    return (
        yield Act(
            SubmitReview,
            Actor(id=reviewer.id, role=Role.REVIEWER),
            {
                "scores": dict(scores or {"science": 5, "partnership": 4}),
                "recommendation": Recommendation.FUND,
            },
            at + review_after,
        )
    )


def approve(
    officer: Actor,
    amount: int,
    at: datetime | None = None,
    *,
    starts: datetime | timedelta | None = None,
    reason: str = "excellent reviews; strategic partnership",
) -> Script[Seen]:
    """`starts`: the term's start, or how long after the decision (None: the policy's)."""
    if at is None:
        at = (yield Wait()).now
    start = at + starts if isinstance(starts, timedelta) else starts
    fields = {"approve": True, "awarded_eur": amount, "term_starts_at": start, "reason": reason}
    return (yield Act(DecideApplication, officer, fields, at))


def until_term_starts() -> Script[Seen]:
    """Wait for the approved project's term to start."""
    seen = yield Wait()
    starts = seen.state.next_term_starts_at
    assert starts is not None, seen.state.phase
    seen = yield Wait(starts + CATCH_UP)
    assert seen.state.phase is Phase.ACTIVE, seen.state.phase
    return seen


def report_on_time(
    derci: Actor,
    until: datetime,
    *,
    skip: frozenset[str] = frozenset(),
    early: timedelta = timedelta(days=20),
    review_after: timedelta = timedelta(0),
    summary: str = "missions, 2 workshops, 3 papers",
    reason: str = "activity as planned",
) -> Script[Seen]:
    """Hand in every annual report due up to `until` `early` before it is due, accepted
    `review_after` that; then wait until `until`."""
    seen = yield Wait()
    while True:
        due = [
            r
            for r in seen.state.reports
            if r.status is ReportStatus.DUE
            and r.report_id not in skip
            and r.report_id != FINAL_REPORT_ID
            and r.due_at <= until
        ]
        if not due:
            return (yield Wait(until))
        report = min(due, key=lambda r: r.due_at)
        at = max(seen.now, report.due_at - early)
        pi = coordinator_of(seen.state)
        fields = {"report_id": report.report_id}
        yield Act(SubmitReport, pi, {**fields, "summary": summary}, at)
        accept = {**fields, "accept": True, "reason": reason}
        yield Act(ReviewReport, derci, accept, at + review_after)
        seen = yield Wait()


def final_report(
    derci: Actor,
    *,
    early: timedelta = timedelta(days=5),
    review_after: timedelta = timedelta(0),
) -> Script[Seen]:
    """The closed project's final report, `early` before it is due, accepted."""
    seen = yield Wait()
    assert seen.state.phase is Phase.CLOSED, seen.state.phase
    due = seen.state.final_report_due_at
    assert due is not None
    at = max(seen.now, due - early)
    pi = coordinator_of(seen.state)
    fields = {"report_id": FINAL_REPORT_ID}
    yield Act(SubmitReport, pi, {**fields, "summary": "final"}, at)
    accept = {**fields, "accept": True, "reason": "objectives met"}
    return (yield Act(ReviewReport, derci, accept, at + review_after))


def run_to_closure(
    derci: Actor, *, early: timedelta = timedelta(days=20), review_after: timedelta = timedelta(0)
) -> Script[Seen]:
    """Every annual report on time to the term's end, the project closes, its final report
    is accepted."""
    seen = yield Wait()
    assert seen.state.term is not None, seen.state.phase
    yield from report_on_time(
        derci, seen.state.term.ends_at + CATCH_UP, early=early, review_after=review_after
    )
    return (yield from final_report(derci, review_after=review_after))


def usual_life(
    project_id: str,
    application: Application,
    *,
    officer: Actor,
    derci: Actor,
    reviewer: Reviewer,
    award: int,
    starts_in: timedelta = timedelta(days=30),
    at: datetime | None = None,
) -> Script[Seen]:
    """A funded project from submission to its accepted final report: evaluated, approved
    with a term starting `starts_in` later, every report on time. For an IEA, submit
    within its call."""
    yield from submit(project_id, application, at)
    yield from evaluate(officer, reviewer)
    yield from approve(officer, award, starts=starts_in)
    yield from until_term_starts()
    return (yield from run_to_closure(derci))


# --- played in memory -----------------------------------------------------------------------

NS = UUID("0b7f3c52-7d0e-4f4e-9a57-0c1d2e3f4a5b")


class LifeInMemory:
    """Plays scripts with the pure domain: every command decided (`decide`) and folded
    (`evolve`), a person's step and each automatic step at its own business time, as the
    workflow does. `units`: the events of each command, the unit the workflow appends."""

    def __init__(
        self,
        project_id: str,
        policy: Policy = DEFAULT_POLICY,
        *,
        namespace: UUID = NS,
        clock: datetime | None = None,
    ) -> None:
        self.project_id = project_id
        self.policy = policy
        self.namespace = namespace
        self.state = ProjectState()
        self.events: list[DomainEvent] = []
        self.units: list[list[DomainEvent]] = []
        self.clock = clock  # the latest business time seen
        self._ids: Iterator[int] = count()

    def command_id(self) -> UUID:
        return uuid5(self.namespace, f"{self.project_id}/{next(self._ids)}")

    def _tick(self, at: datetime) -> datetime:
        self.clock = at if self.clock is None else max(self.clock, at)
        return self.clock

    def _apply(self, events: list[DomainEvent]) -> None:
        for event in events:
            self.state = evolve(self.state, event)
        self.events.extend(events)
        if events:
            self.units.append(events)

    def do(self, cls: type[Any], at: datetime, actor: Actor, **fields: Any) -> list[DomainEvent]:
        """A person's step at `at`, and nothing the system had due before it."""
        self._tick(at)
        command = cls(command_id=self.command_id(), actor=actor, at=at, **fields)
        events = decide(command, self.state, self.policy)
        self._apply(events)
        return events

    def run_until(self, until: datetime) -> None:
        """Execute every automatic step due up to `until`, each at its own due time."""
        while (step := next_step(self.state, self.policy)) is not None and step.due_at <= until:
            # a step that fell due while the clock stood later runs now, as in the workflow
            now = self._tick(step.due_at)
            self._apply(decide_step(step, self.state, self.policy, self.command_id(), now))

    def seen(self) -> Seen:
        assert self.clock is not None, "no clock yet: give the first step a time"
        return Seen(self.state, self.clock)

    def perform(self, action: Action) -> Seen:
        if isinstance(action, Wait):
            until = action.until if action.until is not None else self.clock
            if until is not None:
                self.run_until(until)
                self._tick(until)
        elif isinstance(action, OpenCall):
            target = datetime(action.year, 6, 10, tzinfo=UTC)
            self.run_until(target)
            self._tick(target)
        else:
            at = action.at if action.at is not None else self.seen().now
            self.run_until(at)
            fields = dict(action.fields)
            if action.command is SubmitApplication and "call" not in fields:
                # what the application service adds: the call open at `at`, if any
                app: Application = fields["application"]
                if CATALOG[app.instrument].entry is EntryRoute.ANNUAL_CALL:
                    fields["call"] = iea_call_window(at.year, self.policy)
            self.do(action.command, at, action.actor, **fields)
            self.run_until(at)  # what the step made due at once (the workflow does it next)
        return self.seen()

    def play(self, script: Script[R]) -> R:
        """Run `script` to its end; what it returns."""
        try:
            action = next(script)
            while True:
                action = script.send(self.perform(action))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def of_type(self, event_type: str) -> list[DomainEvent]:
        return [e for e in self.events if e.type == event_type]

"""Plays the life scripts of `domain.life_script` against Temporal, through the real
application service: a person's step is `ProjectService.submit` / `execute`, a wait moves
virtual time and lets the workflow take its own timers. Used by `collab demo`, the
workflow tests and the lives benchmark; the same scripts run in memory for domain tests
and generated portfolios (`domain.life_script.LifeInMemory`).

Two kinds of virtual clock:
- the Java time-skipping server (`WorkflowEnvironment.start_time_skipping`): one clock for
  all, moved with `env.sleep`;
- the dev server with per-workflow time skipping (`start_time_skipping_v2`, experimental):
  each project has its own clock, moved with `env.fast_forward(handle, delta)`; start the
  environment with `ts_config=TimeSkippingConfig(enabled=False)` so a project's timers
  wait for the driver instead of all firing at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import uuid4

from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from application.projects import ProjectService
from domain import life_script as script
from domain.actors import Actor, Role
from domain.application import Application, Reviewer
from domain.automation import next_step
from domain.commands import SubmitApplication
from domain.life_script import Act, Action, OpenCall, Script, Seen, Wait
from domain.state import ProjectState
from workflows.iea_call import IeaCallWorkflow
from workflows.messages import IeaCallInput, iea_call_workflow_id

R = TypeVar("R")
# a question asked as a run continues as new may go unanswered: the time-skipping server
# then ends it with DEADLINE_EXCEEDED or, as often, CANCELLED "Timeout expired"
_ASKING = timedelta(seconds=5)  # then asked again
_ASK_AGAIN = (
    RPCStatusCode.FAILED_PRECONDITION,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.CANCELLED,
)

OFFICER = Actor(id="insb-officer", role=Role.INSTITUTE_OFFICER)
DERCI = Actor(id="derci-officer", role=Role.DERCI_OFFICER)
REVIEWER = Reviewer(id="rev-eth", name="Anna Keller", lab="ETH Zurich D-PHYS", country="CH")


class ProjectDriver:
    """One project's life on Temporal. `play(script)` runs any life script; the methods
    below are the usual path's steps, each one script."""

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
        self.per_workflow_clock = env.supports_time_skipping_v2
        self.updates = 0  # calls made, for the benchmark
        self.queries = 0
        self._submitted = False

    def follow(self) -> None:
        """Drive a project that already exists (brought in by an import, say) rather than
        one this driver submits."""
        self._submitted = True

    # --- the clock ---

    async def now(self) -> datetime:
        if not self.per_workflow_clock:
            return await self.env.get_current_time()
        if not self._submitted:  # a new workflow's clock starts at the wall clock's time
            return datetime.now(UTC)
        return await self.env.get_current_time(self.service.handle(self.project_id))

    async def sleep_until(self, moment: datetime) -> bool:
        """Move virtual time to `moment`; False when it had passed already."""
        delta = moment - await self.now()
        if delta <= timedelta(0):
            return False
        if self.per_workflow_clock:
            await self.env.fast_forward(self.service.handle(self.project_id), delta)
        else:
            await self.env.sleep(delta)
        return True

    # --- what the project looks like ---

    async def state(self) -> ProjectState:
        if not self._submitted:
            return ProjectState()
        for attempt in range(100):
            self.queries += 1
            try:
                return await self.service.state(self.project_id, rpc_timeout=_ASKING)
            except RPCError as err:
                # a run just continued as new: its first workflow task is not scheduled yet;
                # or a busy worker did not answer in time: the question only observes
                if err.status not in _ASK_AGAIN or attempt == 99:
                    raise
                await asyncio.sleep(0.05)
        raise AssertionError("not reached")

    async def wait_for(
        self, predicate: Callable[[ProjectState], bool], what: str, attempts: int = 100
    ) -> ProjectState:
        """The workflow reacts to a timer in its own task: give it a moment to catch up."""
        for _ in range(attempts):
            state = await self.state()
            if predicate(state):
                return state
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.project_id}: never reached {what}; state {state.phase}")

    async def caught_up(self, moment: datetime) -> ProjectState:
        """The state once the workflow has taken every automatic step due by `moment`
        (asked again after 0.05 s, for up to a minute; with per-workflow clocks after a
        pause growing to 0.4 s)."""
        pause, waited = 0.05, 0.0
        while True:
            state = await self.state()
            step = next_step(state, self.service.policy)
            if step is None or step.due_at > moment:
                return state
            if waited > 60:
                raise AssertionError(
                    f"{self.project_id}: {step.label} due {step.due_at} not taken by {moment}"
                )
            await asyncio.sleep(pause)
            waited += pause
            if self.per_workflow_clock:  # one clock for all: keep asking at 0.05 s
                pause = min(pause * 1.5, 0.4)

    # --- playing a script ---

    async def perform(self, action: Action) -> Seen:
        if isinstance(action, OpenCall):
            await self.env.client.start_workflow(
                IeaCallWorkflow.run,
                IeaCallInput(year=action.year),
                id=iea_call_workflow_id(action.year),
                task_queue=self.service.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            await self.sleep_until(datetime(action.year, 6, 10, tzinfo=UTC))
        elif isinstance(action, Wait):
            if action.until is not None:
                await self.sleep_until(action.until)
        else:
            slept = action.at is not None and await self.sleep_until(action.at)
            if slept and self._submitted:  # the steps due by then come first
                await self.caught_up(await self.now())
            await self.take(action.command, action.actor, **action.fields)
            # the state once the workflow has taken what the step made due at once
            return Seen(await self.caught_up(await self.now()), await self.now())
        now = await self.now()
        return Seen(await self.caught_up(now) if self._submitted else ProjectState(), now)

    async def play(self, life: Script[R]) -> R:
        """Run `life` to its end against Temporal; what it returns."""
        try:
            action = next(life)
            while True:
                action = life.send(await self.perform(action))
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def take(self, cls: type[Any], actor: Actor, **fields: Any) -> Any:
        """A person's step now, through the application service."""
        command = cls(command_id=uuid4(), actor=actor, at=await self.now(), **fields)
        self.updates += 1
        if isinstance(command, SubmitApplication):
            self.coordinator = Actor(id=command.application.coordinator.id, role=Role.COORDINATOR)
            result = await self.service.submit(command)
            self._submitted = True
            return result
        return await self.service.execute(self.project_id, command)

    # --- the usual path, step by step (each a script of domain.life_script) ---

    async def act(self, cls: type[Any], actor: Actor, **fields: Any) -> Any:
        return await self.take(cls, actor, **fields)

    async def submit(self, application: Application) -> Any:
        self.coordinator = Actor(id=application.coordinator.id, role=Role.COORDINATOR)
        command = SubmitApplication(
            command_id=uuid4(),
            actor=self.coordinator,
            at=await self.now(),
            project_id=self.project_id,
            application=application,
        )
        self.updates += 1
        result = await self.service.submit(command)
        self._submitted = True
        return result

    @property
    def pi(self) -> Actor:
        assert self.coordinator is not None, "submit first"
        return self.coordinator

    async def enter_next_iea_call(self) -> None:
        """Start next year's IEA call (as the Schedule does each June) and move the clock to
        a day it is open."""
        await self.play(script.enter_next_iea_call())

    async def evaluate(self) -> None:
        await self.play(
            script.evaluate(self.officer, self.reviewer, scores={"science": 5, "feasibility": 4})
        )

    async def approve(self, amount: int, starts_in: timedelta | None = None) -> None:
        await self.play(
            script.approve(
                self.officer,
                amount,
                starts=starts_in,
                reason="strong reviews and strategic partner",
            )
        )

    async def report_on_time(self, until: datetime, *, skip: frozenset[str] = frozenset()) -> None:
        """Hand in and accept every annual report due up to `until`, 20 days early."""
        await self.play(
            script.report_on_time(
                self.derci, until, skip=skip, summary="missions, workshops", reason="on track"
            )
        )

    async def run_to_closure(self) -> None:
        await self.play(script.run_to_closure(self.derci))


__all__ = ["DERCI", "OFFICER", "REVIEWER", "Act", "ProjectDriver", "Wait"]

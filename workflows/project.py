"""One entity workflow per project: it holds the state, decides with `domain`, has every
resulting event persisted by an activity, and only then evolves its state.

Human steps arrive as Updates; their validator runs the decider so a step that breaks a
rule is refused before it reaches history. Automatic steps (tranches, reminders, term start
and end) come from `domain.automation` and run when their timer fires.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from uuid import UUID

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.automation import Step, decide_step, next_step, scheduled_steps
    from domain.commands import Command
    from domain.decider import decide
    from domain.errors import DomainError
    from domain.events import DomainEvent, ReminderSent, TermStarted
    from domain.evolve import evolve
    from domain.handlers import successor_link_closes_at
    from domain.personal_data import forget
    from domain.said import as_data
    from domain.state import Phase, ProjectState
    from workflows.messages import (
        REFUSAL_TYPE,
        AppendOutcome,
        AppendRequest,
        PlannedStep,
        ProjectInput,
        ProjectOutcome,
        RecentStep,
        ReminderNotice,
        StepResult,
    )

PERSIST_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["ConcurrencyError", "IdempotencyConflict", "InvalidEvents"],
)
# the reminder is already an event (and the outbox e-mails it): a failing notifier must
# neither hold the project's lock for hours nor fail the workflow
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)
# A run continues as new past this many history events. A run's length is what a worker
# holds in memory for a cached project (core keeps every state machine of the run, one per
# workflow task, activity, timer and update: about 0.4 KB of native memory an event) and what
# it replays when the project comes back after an eviction. A five-year life is about 440
# events, so about seven runs; 300 lives driven together peaked about 9 MB lower at 60 than
# at 100 and no lower at 40, for the same CPU (each run also costs a workflow instance and a
# continue-as-new). A run must have room for a step: an update and its activity are about
# 10 events.
RUN_HISTORY_BOUND = 60
# what a wake-up and the step it brings add to a run's history: the timer's firing and a
# workflow task (4 events), the append activity and its task (6), a reminder's delivery (6),
# with room to spare for a person's step taken meanwhile
ROOM_FOR_A_STEP = 20
# automatic steps due at one instant are appended together, a bounded number at a time
MAX_STEPS_AT_ONCE = 12
# a workflow started for a submission the rules refused waits this long for a valid one
UNSUBMITTED_EXPIRY = timedelta(hours=1)
# persons' steps whose answers a run keeps and hands to the next (messages.ProjectInput)
RECENT_STEPS_KEPT = 16
_VALIDATION_ID = UUID(int=0)  # validators must not draw from workflow.uuid4()


def _refusal(err: DomainError) -> ApplicationError:
    # the application layer reads the kind from the type, the rule and field from details
    # and the message as data, so that it can be said in the asker's language (domain.said)
    return ApplicationError(
        err.message,
        err.rule,
        err.field,
        as_data(err.message),
        type=f"{REFUSAL_TYPE}{err.kind}",
        non_retryable=True,
    )


@workflow.defn(name="Project")
class ProjectWorkflow:
    @workflow.init
    def __init__(self, inp: ProjectInput) -> None:
        self._project_id = inp.project_id
        self._policy = inp.policy
        self._state = inp.state or ProjectState()
        self._lock = asyncio.Lock()  # one command decided and persisted at a time
        self._recent = {step.command_id: step.result for step in inp.recent_steps}
        # the latest instant a fired timer proves has passed; see _now
        self._clock_floor = datetime.min.replace(tzinfo=UTC)
        # whether due steps are decided together (patch due-steps-together), once asked
        self._steps_together: bool | None = None
        # the next step of one state (_next_step)
        self._next: tuple[ProjectState, Step | None] | None = None

    @workflow.run
    async def run(self, inp: ProjectInput) -> ProjectOutcome:
        # A patch's first call in a run records a marker and upserts the TemporalChangeVersion
        # search attribute: two more commands in that workflow task and a visibility write
        # on the server. due-steps-together was first asked as a timer fired, in every
        # project waking at that instant (every term starting on 1 January); it is asked
        # here instead, as the run begins, with the patches the loop asks anyway.
        if workflow.patched("patches-at-run-start"):
            self._steps_together = workflow.patched("due-steps-together")
        term_at_start = self._state.term.number if self._state.term else 0
        if self._state.phase is Phase.NEW and workflow.patched("expire-unsubmitted"):
            # update-with-start creates the workflow even when the submission is refused:
            # give a corrected submission a while, then end without a trace
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._state.version > 0,
                    timeout=UNSUBMITTED_EXPIRY,
                    timeout_summary="awaiting a valid submission",
                )
            if self._state.phase is Phase.NEW:
                await workflow.wait_condition(workflow.all_handlers_finished)
                if workflow.patched("unsubmitted-fails"):
                    # failed, not completed: the id stays free for a corrected submission
                    # (ALLOW_DUPLICATE_FAILED_ONLY), while a project that lived keeps it
                    raise ApplicationError(
                        f"project {self._project_id}: no valid submission within "
                        f"{UNSUBMITTED_EXPIRY}",
                        type="Unsubmitted",
                        non_retryable=True,
                    )
                return self._outcome()
        while not self._state.lifecycle_complete:
            term = self._state.term.number if self._state.term else 0
            new_term = term > max(term_at_start, 1)
            if workflow.patched("quiet-continue-as-new"):
                step = self._next_step(self._state)
                due = step is not None and step.due_at <= self._now()
                if self._run_is_full(inp.history_bound, new_term, quiet=not due):
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    workflow.continue_as_new(self._carried_over(inp))
            else:
                if new_term or self._history_too_long(inp.history_bound):
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    workflow.continue_as_new(self._carried_over(inp))
                step = self._next_step(self._state)
            now = self._now()
            if step is not None and step.due_at <= now:
                async with self._lock:
                    await self._run_due_step()
                continue
            await self._wait_for_change_or(step)
        if workflow.patched("successor-window"):
            await self._await_successor_link()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._outcome()

    async def _await_successor_link(self) -> None:
        """A closed IEA stays open to LinkSuccessor for the policy's window: its successor
        IRP is often applied for after the IEA's final report."""
        closes = successor_link_closes_at(self._state, self._policy)
        if self._state.phase is not Phase.CLOSED or closes is None or closes <= self._now():
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._state.successor_project_id is not None,
                timeout=closes - self._now(),
                timeout_summary="successor may be linked",
            )

    def _outcome(self) -> ProjectOutcome:
        s = self._state
        return ProjectOutcome(
            project_id=self._project_id,
            phase=s.phase,
            version=s.version,
            awarded_eur=s.awarded_eur,
            released_eur=s.released_eur,
            terms=s.term.number if s.term else 0,
        )

    def _now(self) -> datetime:
        """Business time: workflow.now(), but never before a fired timer's target. A
        worker that was killed and replaced has been seen to resume with a stale
        workflow.now() right after a timer fired; deciding from that clock would start the
        same timer again, and a later replay (with the right clock) would diverge. The
        floor depends only on which timers fired, so it replays exactly."""
        return max(workflow.now(), self._clock_floor)

    async def _wait_for_change_or(self, step: Step | None) -> None:
        """Sleep until the step falls due, or until a human step changes the state."""
        seen = self._state.version
        timeout = step.due_at - self._now() if step is not None else None
        try:
            await workflow.wait_condition(
                lambda: self._state.version != seen,
                timeout=timeout,
                timeout_summary=step.label if step is not None else None,
            )
        except TimeoutError:
            assert step is not None
            self._clock_floor = max(self._clock_floor, step.due_at)

    def _carried_over(self, inp: ProjectInput) -> ProjectInput:
        recent = tuple(RecentStep(command_id=c, result=r) for c, r in self._recent.items())
        return inp.model_copy(update={"state": self._state, "recent_steps": recent})

    def _history_too_long(self, input_bound: int) -> bool:
        bound = input_bound
        # a run that began under the input's bound alone keeps it (its history was made so)
        if workflow.patched("run-history-60"):
            bound = min(input_bound, RUN_HISTORY_BOUND)
        info = workflow.info()
        return info.get_current_history_length() > bound or info.is_continue_as_new_suggested()

    def _run_is_full(self, input_bound: int, new_term: bool, *, quiet: bool) -> bool:
        """Whether to continue as new here: only at a quiet moment (the steps due are done,
        a wait begins), once the run has less room than a wake-up and a step take. Never as
        a timer fires and its step falls due: many projects' timers fire at one instant
        (every term starting on 1 January), and continuing then would double the server's
        work at the worst moment. So a run keeps within the bound but for the steps that
        fall due at once (and a person's steps taken during a wait), and continues right
        after them; the server's own suggestion is followed whenever it comes."""
        info = workflow.info()
        if info.is_continue_as_new_suggested():
            return True
        bound = min(input_bound, RUN_HISTORY_BOUND)
        return quiet and (new_term or info.get_current_history_length() > bound - ROOM_FOR_A_STEP)

    async def _run_due_step(self) -> None:
        # re-read under the lock: a human step may have changed what is due
        step = self._next_step(self._state)
        now = self._now()
        if step is None or step.due_at > now:
            return
        if self._steps_together is None:  # a run begun before patches-at-run-start
            self._steps_together = workflow.patched("due-steps-together")
        if not self._steps_together:
            await self._persist(self._decide_step(step, self._state, now))
            return
        # Every step due now is decided here and appended at once: a term's start and its
        # first tranche (every term starting on 1 January), reminders that fell due
        # together. One activity and one append where there were several in a row.
        state, events = self._state, list[DomainEvent]()
        while step is not None and step.due_at <= now and len(events) < MAX_STEPS_AT_ONCE:
            decided = self._decide_step(step, state, now)
            for event in decided:
                state = evolve(state, event)
            events += decided
            step = self._next_step(state)
        await self._persist(events, evolved=state)

    def _next_step(self, state: ProjectState) -> Step | None:
        """next_step, computed once a state: a wake-up asks it of the same state several
        times (the loop, the re-read under the lock, after the append), and it builds every
        step the project waits for (a tenth of the worker's time in the 1 January burst).
        States are never changed in place: one object is one state."""
        if self._next is None or self._next[0] is not state:
            self._next = (state, next_step(state, self._policy))
        return self._next[1]

    def _decide_step(self, step: Step, state: ProjectState, now: datetime) -> list[DomainEvent]:
        # a step that decides nothing (StepDecidedNothing) fails the task too: it would be
        # due again at once, and this loop would take it forever
        try:
            return decide_step(step, state, self._policy, workflow.uuid4(), now)
        except DomainError as err:
            # an automatic step the rules refuse is a defect in domain.automation: fail the
            # task (it retries after a fix is deployed) rather than skip a business fact
            raise RuntimeError(f"automatic step {step.label} refused: {err}") from err

    async def _persist(
        self, events: list[DomainEvent], evolved: ProjectState | None = None
    ) -> AppendOutcome:
        """Append `events` and take them into the state; `evolved`: the state they lead to
        from the present one, when the caller already folded them."""
        base = self._state
        outcome: AppendOutcome = await workflow.execute_activity(
            "append_events",
            AppendRequest(
                project_id=self._project_id,
                workflow_id=workflow.info().workflow_id,
                expected_version=self._state.version,
                events=events,
            ),
            result_type=AppendOutcome,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=PERSIST_RETRY,
        )
        if evolved is not None and self._state is base:
            self._state = evolved
        else:
            for event in events:
                self._state = evolve(self._state, event)
        for event in events:
            if isinstance(event, ReminderSent):
                await self._notify(event)
            if isinstance(event, TermStarted):
                workflow.logger.info(
                    "term started",
                    extra={"project_id": self._project_id, "term": event.data.term_number},
                )
        return outcome

    async def _notify(self, event: ReminderSent) -> None:
        notice = ReminderNotice(
            project_id=self._project_id,
            kind=event.data.kind,
            key=event.data.key,
            due_at=event.data.due_at,
            recipients=event.data.recipients,
            subject=event.data.subject,
        )
        try:
            await workflow.execute_activity(
                "deliver_reminder",
                notice,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=NOTIFY_RETRY,
            )
        except ActivityError as err:
            workflow.logger.warning(
                "reminder not handed to the notifier",
                extra={"project_id": self._project_id, "key": notice.key, "error": str(err)},
            )

    def _at_now(self, command: Command) -> Command:
        # business time of a human step is when the workflow takes it, not what a client says
        return command.model_copy(update={"at": self._now()})

    @workflow.update(name="execute")
    async def execute(self, command: Command) -> StepResult:
        async with self._lock:
            earlier = self._recent.get(command.command_id)
            if earlier is not None and workflow.patched("repeated-step-answered"):
                return earlier
            command = self._at_now(command)
            try:
                events = decide(command, self._state, self._policy)
            except DomainError as err:
                raise _refusal(err) from err
            outcome = await self._persist(events)
            result = StepResult(
                project_id=self._project_id,
                version=self._state.version,
                phase=self._state.phase,
                events=tuple(e.type for e in events),
                position=max(outcome.positions, default=None),
            )
            self._recent[command.command_id] = result
            while len(self._recent) > RECENT_STEPS_KEPT:
                del self._recent[next(iter(self._recent))]
            return result

    @execute.validator
    def validate_execute(self, command: Command) -> None:
        if command.command_id in self._recent:
            return  # a retry of a step already taken: the handler answers as the first time
        probe = self._at_now(command).model_copy(update={"command_id": _VALIDATION_ID})
        try:
            decide(probe, self._state, self._policy)
        except DomainError as err:
            raise _refusal(err) from err

    @workflow.signal(name="forget")
    def forget(self, person_id: str) -> None:
        """A person erased (application.privacy): their name and e-mail leave the state,
        and so every later run's input; their id and what they did stay."""
        self._state = forget(self._state, person_id)

    @workflow.query(name="state")
    def state(self) -> ProjectState:
        return self._state

    @workflow.query(name="planned_steps")
    def planned_steps(self) -> list[PlannedStep]:
        return [
            PlannedStep(due_at=s.due_at, label=s.label)
            for s in scheduled_steps(self._state, self._policy)
        ]

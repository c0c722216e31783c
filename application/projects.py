"""The application service every front end uses (tests, CLI, API): submit a project, apply
a human step, read a project's live state. It speaks to Temporal; it never decides."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import Command, ImportProject, SubmitApplication
from domain.instruments import CATALOG, EntryRoute
from domain.policy import DEFAULT_POLICY, CallWindow, Policy
from domain.state import ProjectState, policy_of
from workflows.iea_call import IeaCallWorkflow
from workflows.messages import (
    IeaCallStatus,
    PlannedStep,
    ProjectInput,
    StepResult,
    iea_call_workflow_id,
    project_workflow_id,
)
from workflows.project import ProjectWorkflow

_EXECUTE = "execute"  # ProjectWorkflow.execute's update name


def refusal_of(err: BaseException | None) -> ApplicationError | None:
    """The application error that refused a step, however deep: the rule the validator
    raised, or the store's ConcurrencyError under the ActivityError of a failed append."""
    while err is not None:
        if isinstance(err, ApplicationError):
            return err
        err = err.__cause__ if err.__cause__ is not None else getattr(err, "cause", None)
    return None


class ProjectService:
    def __init__(self, client: Client, task_queue: str, policy: Policy = DEFAULT_POLICY) -> None:
        self._client = client
        self.task_queue = task_queue
        self._policy = policy

    @property
    def policy(self) -> Policy:
        return self._policy

    async def ping(self, within: timedelta) -> None:
        """Raises (RPCError) when the Temporal server does not answer `within` that time."""
        await self._client.workflow_service.get_system_info(
            GetSystemInfoRequest(), retry=False, timeout=within
        )

    def handle(self, project_id: str) -> WorkflowHandle[ProjectWorkflow, object]:
        return self._client.get_workflow_handle_for(
            ProjectWorkflow.run, project_workflow_id(project_id)
        )

    async def current_call(self, at: datetime) -> CallWindow | None:
        """The IEA call of `at`'s year, if the Schedule has opened one; the domain then
        checks that `at` falls within it."""
        try:
            status: IeaCallStatus = await self._client.get_workflow_handle(
                iea_call_workflow_id(at.year)
            ).query(IeaCallWorkflow.status)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return None
            raise
        return status.window

    async def submit(
        self, command: SubmitApplication | ImportProject, policy: Policy | None = None
    ) -> StepResult:
        """Create the project's workflow and submit the application (or bring the running
        project in) in one call, under `policy` (the version in force: application.policies;
        this service's own when None). A retry (same command id) reaches the same workflow
        and never makes a second project."""
        if (
            isinstance(command, SubmitApplication)
            and CATALOG[command.application.instrument].entry is EntryRoute.ANNUAL_CALL
        ):
            command = command.model_copy(update={"call": await self.current_call(command.at)})
        start = WithStartWorkflowOperation(
            ProjectWorkflow.run,
            ProjectInput(project_id=command.project_id, policy=policy or self._policy),
            id=project_workflow_id(command.project_id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # a project whose workflow has ended is never started afresh under its id; only
            # a workflow that failed for want of a valid submission leaves the id free (and
            # should a failed project's id be reused, its stream refuses version 0 anyway)
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        )
        try:
            # by name, with its result type: the SDK's stubs type an async update method's
            # result as the coroutine it returns
            result: StepResult = await self._client.execute_update_with_start_workflow(
                _EXECUTE,
                command,
                start_workflow_operation=start,
                id=_update_id(command.command_id),
                result_type=StepResult,
            )
        except BaseException:
            _forget_start_error(start)
            raise
        return result

    async def resume(self, project_id: str, state: ProjectState) -> None:
        """Start the project's workflow at `state` (folded from its events), under the
        policy its life started with: what `collab recover` does when Temporal lost it. Its
        timers are the domain's, from the state; its next event continues the stream."""
        await self._client.start_workflow(
            ProjectWorkflow.run,
            ProjectInput(project_id=project_id, policy=policy_of(state), state=state),
            id=project_workflow_id(project_id),
            task_queue=self.task_queue,
            # a lost workflow is not found; one that ended abnormally (terminated) may be
            # started again under its id
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )

    async def running(self, project_id: str) -> bool:
        """Whether the project's workflow is running (False: not found, or it ended)."""
        try:
            described = await self.handle(project_id).describe()
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return False
            raise
        return described.status is WorkflowExecutionStatus.RUNNING

    async def execute(self, project_id: str, command: Command) -> StepResult:
        result: StepResult = await self.handle(project_id).execute_update(
            _EXECUTE, command, id=_update_id(command.command_id), result_type=StepResult
        )
        return result

    async def forget(self, project_id: str, person_id: str) -> bool:
        """Tell the project's running workflow to forget an erased person (False: it is
        not running, nothing holds them there)."""
        try:
            await self.handle(project_id).signal(ProjectWorkflow.forget, person_id)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    async def state(self, project_id: str, rpc_timeout: timedelta | None = None) -> ProjectState:
        """`rpc_timeout`: for an observer that asks again (a question lost as a run
        continues as new is otherwise waited for until the client's own deadline)."""
        state: ProjectState = await self.handle(project_id).query(
            ProjectWorkflow.state, rpc_timeout=rpc_timeout
        )
        return state

    async def planned_steps(self, project_id: str) -> list[PlannedStep]:
        steps: list[PlannedStep] = await self.handle(project_id).query(
            ProjectWorkflow.planned_steps
        )
        return steps


def _forget_start_error(start: WithStartWorkflowOperation[Any, Any]) -> None:
    """The SDK hands a failed start's error to the operation's handle future as well as to
    the caller; nobody awaits that future, so asyncio would log "Future exception was never
    retrieved" for each submission that met a Temporal outage. The caller has the error."""
    future = getattr(start, "_workflow_handle", None)
    if isinstance(future, asyncio.Future) and future.done() and not future.cancelled():
        future.exception()


def _update_id(command_id: UUID) -> str:
    # the same command sent twice is one update: Temporal deduplicates by update id
    return f"cmd-{command_id}"

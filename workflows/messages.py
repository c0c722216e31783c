"""What crosses the workflow boundary: inputs, results, and activity requests.

Plain pydantic models, shared by workflows, activities and clients; they travel through
`temporalio.contrib.pydantic.pydantic_data_converter`.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.events import DomainEvent, ReminderKind
from domain.policy import DEFAULT_POLICY, CallWindow, Policy
from domain.state import Phase, ProjectState

TASK_QUEUE = "collab-lifecycle"


def project_workflow_id(project_id: str) -> str:
    return f"project-{project_id}"


def iea_call_workflow_id(year: int) -> str:
    return f"iea-call-{year}"


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProjectInput(_Message):
    project_id: str
    policy: Policy = DEFAULT_POLICY
    # carried over by continue-as-new: the workflow resumes from this state
    state: ProjectState | None = None
    # beyond this many history events the workflow continues as new; runs started since
    # "run-history-60" continue at workflows.project.RUN_HISTORY_BOUND when that is lower.
    # The default and floor stay as they were: a worker of the previous release, still
    # running during a rolling deploy or after a rollback, must decode every input a newer
    # API starts a project with (it refuses a bound below 200).
    history_bound: int = Field(default=250, ge=200)
    # the latest persons' steps and what they answered, carried over by continue-as-new: a
    # client retrying a step taken just before the run continued reaches the new run, which
    # has not seen its update id, and must get the first answer, not a second decision.
    # Left out when empty, so that a worker of the previous release decodes every input a
    # newer API starts a project with; one that meets a carried-over input fails that
    # workflow task, which a current worker then takes.
    recent_steps: tuple[RecentStep, ...] = Field(default=(), exclude_if=lambda steps: not steps)


# the type of the ApplicationError a refused step fails with is this and the domain's kind
REFUSAL_TYPE = "Domain."


class StepResult(_Message):
    project_id: str
    version: int
    phase: Phase
    events: tuple[str, ...]
    # the store's global position of the step's last event: a read made after the step
    # waits until the read models have passed it (None from a worker of an older release)
    position: int | None = None


class RecentStep(_Message):
    command_id: UUID
    result: StepResult


class ProjectOutcome(_Message):
    project_id: str
    phase: Phase
    version: int
    awarded_eur: int | None
    released_eur: int
    terms: int


class PlannedStep(_Message):
    due_at: datetime
    label: str


class AppendRequest(_Message):
    project_id: str
    workflow_id: str
    expected_version: int
    events: list[DomainEvent]


class AppendOutcome(_Message):
    last_version: int
    positions: tuple[int, ...]
    written: bool


class ReminderNotice(_Message):
    project_id: str
    kind: ReminderKind
    key: str
    due_at: datetime
    recipients: tuple[str, ...]
    subject: str


class DigestWritten(_Message):
    path: str
    tree_size: int
    root_hash: str


class IeaCallInput(_Message):
    year: int
    policy: Policy = DEFAULT_POLICY


class IeaCallStatus(_Message):
    window: CallWindow
    open: bool
    closed: bool

"""Commands: what someone (or the system) asks of a project.

Every command carries its own id (events derive their ids from it, so a retried command
yields the same events), the actor, the business time it takes effect, and a reason.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from domain.actors import Actor
from domain.application import Application, Reviewer
from domain.events import Recommendation, ReminderKind
from domain.instruments import InstrumentCode
from domain.policy import CallWindow


class CommandBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: UUID
    actor: Actor
    at: AwareDatetime
    reason: str | None = Field(default=None, max_length=4000)


class SubmitApplication(CommandBase):
    kind: Literal["submit_application"] = "submit_application"
    project_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    application: Application
    call: CallWindow | None = None


class CheckEligibility(CommandBase):
    kind: Literal["check_eligibility"] = "check_eligibility"
    findings: tuple[str, ...] = ()  # an officer's own findings, beside the automatic ones


class AssignReviewer(CommandBase):
    kind: Literal["assign_reviewer"] = "assign_reviewer"
    reviewer: Reviewer


class SubmitReview(CommandBase):
    kind: Literal["submit_review"] = "submit_review"
    scores: dict[str, Annotated[int, Field(ge=1, le=5)]] = Field(min_length=1)
    recommendation: Recommendation


class RecordReminder(CommandBase):
    kind: Literal["record_reminder"] = "record_reminder"
    reminder: ReminderKind
    key: str
    due_at: AwareDatetime
    recipients: tuple[str, ...] = Field(min_length=1)
    subject: str


class DecideApplication(CommandBase):
    kind: Literal["decide_application"] = "decide_application"
    approve: bool
    awarded_eur: int | None = None
    term_starts_at: AwareDatetime | None = None  # direct-contact instruments; default: at


class StartTerm(CommandBase):
    kind: Literal["start_term"] = "start_term"


class ReleaseTranche(CommandBase):
    kind: Literal["release_tranche"] = "release_tranche"
    year: int = Field(ge=1)


class WithholdTranche(CommandBase):
    kind: Literal["withhold_tranche"] = "withhold_tranche"
    year: int = Field(ge=2)


class SubmitReport(CommandBase):
    kind: Literal["submit_report"] = "submit_report"
    report_id: str
    summary: str = Field(min_length=1, max_length=20000)


class ReviewReport(CommandBase):
    kind: Literal["review_report"] = "review_report"
    report_id: str
    accept: bool


class RequestRenewal(CommandBase):
    kind: Literal["request_renewal"] = "request_renewal"
    requested_eur: int = Field(gt=0)


class DecideRenewal(CommandBase):
    kind: Literal["decide_renewal"] = "decide_renewal"
    grant: bool
    awarded_eur: int | None = None


class CloseProject(CommandBase):
    kind: Literal["close_project"] = "close_project"


class TerminateProject(CommandBase):
    kind: Literal["terminate_project"] = "terminate_project"


class LinkSuccessor(CommandBase):
    kind: Literal["link_successor"] = "link_successor"
    successor_project_id: str
    successor_instrument: InstrumentCode


Command = Annotated[
    SubmitApplication
    | CheckEligibility
    | AssignReviewer
    | SubmitReview
    | RecordReminder
    | DecideApplication
    | StartTerm
    | ReleaseTranche
    | WithholdTranche
    | SubmitReport
    | ReviewReport
    | RequestRenewal
    | DecideRenewal
    | CloseProject
    | TerminateProject
    | LinkSuccessor,
    Field(discriminator="kind"),
]

COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)

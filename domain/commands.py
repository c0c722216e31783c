"""Commands: what someone (or the system) asks of a project.

Every command carries its own id (events derive their ids from it, so a retried command
yields the same events), the actor, the business time it takes effect, and a reason.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from domain.actors import Actor
from domain.application import Reviewer
from domain.events import ReminderKind
from domain.fields import ReportId
from domain.imports import ImportInput, ImportSource
from domain.inputs import (
    AddLabInput,
    AmendmentRequestInput,
    BudgetInput,
    ContributionInput,
    CoordinatorInput,
    DecisionInput,
    ExtensionInput,
    LocationInput,
    RemoveLabInput,
    RenewalDecisionInput,
    RenewalInput,
    ReportInput,
    ReportReviewInput,
    ResumptionInput,
    ReviewInput,
    SubmitInput,
    SuccessorInput,
    SuspensionInput,
    TerminationInput,
)
from domain.policy import CallWindow, Policy


class CommandBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: UUID
    actor: Actor
    at: AwareDatetime
    reason: str | None = Field(default=None, max_length=4000)


# A person's step is its input (domain.inputs) and the command's own fields; the input
# comes first so that its stricter fields (a required reason) win over CommandBase's.


class SubmitApplication(SubmitInput, CommandBase):
    kind: Literal["submit_application"] = "submit_application"
    call: CallWindow | None = None


class CheckEligibility(CommandBase):
    kind: Literal["check_eligibility"] = "check_eligibility"
    findings: tuple[str, ...] = ()  # an officer's own findings, beside the automatic ones


class AssignReviewer(CommandBase):
    kind: Literal["assign_reviewer"] = "assign_reviewer"
    reviewer: Reviewer


class SubmitReview(ReviewInput, CommandBase):
    kind: Literal["submit_review"] = "submit_review"


class RecordReminder(CommandBase):
    kind: Literal["record_reminder"] = "record_reminder"
    reminder: ReminderKind
    key: str
    due_at: AwareDatetime
    recipients: tuple[str, ...] = Field(min_length=1)
    subject: str


class DecideApplication(DecisionInput, CommandBase):
    kind: Literal["decide_application"] = "decide_application"
    # taken by DERCI's closing of a call round (domain.call_round), never by a person's own
    # step; left out when False so that an older worker reads every other decision
    call_closing: bool = Field(default=False, exclude_if=lambda v: not v)


class StartTerm(CommandBase):
    kind: Literal["start_term"] = "start_term"


class ReleaseTranche(CommandBase):
    kind: Literal["release_tranche"] = "release_tranche"
    year: int = Field(ge=1)


class WithholdTranche(CommandBase):
    kind: Literal["withhold_tranche"] = "withhold_tranche"
    year: int = Field(ge=2)


class SubmitReport(ReportInput, CommandBase):
    kind: Literal["submit_report"] = "submit_report"
    report_id: ReportId


class ReviewReport(ReportReviewInput, CommandBase):
    kind: Literal["review_report"] = "review_report"
    report_id: ReportId


class RequestRenewal(RenewalInput, CommandBase):
    kind: Literal["request_renewal"] = "request_renewal"


class DecideRenewal(RenewalDecisionInput, CommandBase):
    kind: Literal["decide_renewal"] = "decide_renewal"
    # the policy in force on the next term's first day, found by the application layer:
    # the award is checked against it and the next term runs under it
    policy: Policy | None = Field(default=None, exclude_if=lambda v: v is None)


class CloseProject(CommandBase):
    kind: Literal["close_project"] = "close_project"


class TerminateProject(TerminationInput, CommandBase):
    kind: Literal["terminate_project"] = "terminate_project"


class LinkSuccessor(SuccessorInput, CommandBase):
    kind: Literal["link_successor"] = "link_successor"


# --- amendments ---


class AmendBudget(BudgetInput, CommandBase):
    kind: Literal["amend_budget"] = "amend_budget"


class AddPartnerLab(AddLabInput, CommandBase):
    kind: Literal["add_partner_lab"] = "add_partner_lab"


class RemovePartnerLab(RemoveLabInput, CommandBase):
    kind: Literal["remove_partner_lab"] = "remove_partner_lab"


class ReplaceCoordinator(CoordinatorInput, CommandBase):
    kind: Literal["replace_coordinator"] = "replace_coordinator"


class ChangeLocation(LocationInput, CommandBase):
    kind: Literal["change_location"] = "change_location"


class ExtendTerm(ExtensionInput, CommandBase):
    kind: Literal["extend_term"] = "extend_term"


class SuspendProject(SuspensionInput, CommandBase):
    kind: Literal["suspend_project"] = "suspend_project"


class ResumeProject(ResumptionInput, CommandBase):
    kind: Literal["resume_project"] = "resume_project"


class RequestAmendment(AmendmentRequestInput, CommandBase):
    kind: Literal["request_amendment"] = "request_amendment"


class RecordContribution(ContributionInput, CommandBase):
    kind: Literal["record_contribution"] = "record_contribution"


class ImportProject(ImportInput, CommandBase):
    """Bring in a project already running (application.imports): it creates the project."""

    kind: Literal["import_project"] = "import_project"
    source: ImportSource


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
    | LinkSuccessor
    | AmendBudget
    | AddPartnerLab
    | RemovePartnerLab
    | ReplaceCoordinator
    | ChangeLocation
    | ExtendTerm
    | SuspendProject
    | ResumeProject
    | RequestAmendment
    | ImportProject
    | RecordContribution,
    Field(discriminator="kind"),
]

COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)

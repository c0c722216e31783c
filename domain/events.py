"""Domain events: the record of every business fact in a project's life.

Each event is an envelope (id, project, version, business time, actor, reason, schema
version) around a typed payload. They form a pydantic discriminated union on `type`, so a
stored event round-trips through JSON without loss.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from domain.actors import Actor
from domain.application import Application, Lab, Person, Reviewer
from domain.imports import ImportedPast, ImportSource
from domain.instruments import InstrumentCode
from domain.policy import Policy


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Recommendation(StrEnum):
    FUND = "fund"
    FUND_WITH_CHANGES = "fund_with_changes"
    DO_NOT_FUND = "do_not_fund"


class ReminderKind(StrEnum):
    REVIEW_DUE = "review_due"
    REPORT_DUE = "report_due"
    REPORT_OVERDUE = "report_overdue"  # a tranche is withheld until the report is accepted
    RENEWAL_WINDOW = "renewal_window"
    TERM_ENDING = "term_ending"  # IEA: not renewable, a successor IRP may follow
    FINAL_REPORT_DUE = "final_report_due"


class AmendmentKind(StrEnum):
    """What an amendment changes (`collab amend PROJECT KIND`)."""

    BUDGET = "budget"
    ADD_LAB = "add-lab"
    REMOVE_LAB = "remove-lab"
    COORDINATOR = "coordinator"
    LOCATION = "location"
    EXTEND = "extend"
    SUSPEND = "suspend"
    RESUME = "resume"


class TranchePlan(_Frozen):
    year: int
    due_at: AwareDatetime
    amount_eur: int


class ReportPlan(_Frozen):
    report_id: str
    year: int | None  # None for the final report
    due_at: AwareDatetime


# --- payloads ---------------------------------------------------------------------------


class ApplicationSubmittedData(_Frozen):
    application: Application
    call_id: str | None = None
    call_closes_at: AwareDatetime | None = None  # eligibility is checked when the call closes
    term_starts_at: AwareDatetime | None = None  # fixed by the IEA call
    # the policy the project runs with: its workflow decides with it, and the read side
    # (deadlines, open steps) must too. None in events recorded before it was recorded:
    # those projects ran with DEFAULT_POLICY (see domain.state.policy_of)
    policy: Policy | None = None


class EligibilityConfirmedData(_Frozen):
    evaluation_deadline: AwareDatetime


class ApplicationDeclaredIneligibleData(_Frozen):
    findings: tuple[str, ...]


class ReviewerAssignedData(_Frozen):
    reviewer: Reviewer


class ReviewSubmittedData(_Frozen):
    reviewer_id: str
    scores: dict[str, Annotated[int, Field(ge=1, le=5)]]
    recommendation: Recommendation


class ReminderSentData(_Frozen):
    kind: ReminderKind
    key: str  # identifies the reminder so it is sent once
    due_at: AwareDatetime
    recipients: tuple[str, ...]
    subject: str


class ApplicationApprovedData(_Frozen):
    awarded_eur: int
    term_starts_at: AwareDatetime
    # the call whose round decided it (domain.call_round), whose closing tells the coordinator
    call_id: str | None = Field(default=None, exclude_if=lambda v: v is None)


class ApplicationRejectedData(_Frozen):
    call_id: str | None = Field(default=None, exclude_if=lambda v: v is None)


class TermStartedData(_Frozen):
    term_number: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    awarded_eur: int
    tranches: tuple[TranchePlan, ...]
    reports: tuple[ReportPlan, ...]


class TrancheReleasedData(_Frozen):
    term_number: int
    year: int
    amount_eur: int


class TrancheWithheldData(_Frozen):
    term_number: int
    year: int
    amount_eur: int
    awaiting_report_id: str


class TrancheForfeitedData(_Frozen):
    term_number: int
    year: int
    amount_eur: int
    awaiting_report_id: str


class ReportSubmittedData(_Frozen):
    report_id: str
    summary: str


class ReportAcceptedData(_Frozen):
    report_id: str


class ReportRejectedData(_Frozen):
    report_id: str


class RenewalRequestedData(_Frozen):
    term_number: int
    requested_eur: int


class RenewalGrantedData(_Frozen):
    term_number: int  # the term being renewed
    awarded_eur: int  # for the next term
    # the policy in force on the next term's first day, which governs that term (None: a
    # renewal granted before this was recorded keeps the project's policy)
    policy: Policy | None = Field(default=None, exclude_if=lambda v: v is None)


class RenewalRefusedData(_Frozen):
    term_number: int


class ProjectClosedData(_Frozen):
    final_report_due_at: AwareDatetime


class ProjectTerminatedData(_Frozen):
    pass


class SuccessorLinkedData(_Frozen):
    successor_project_id: str
    successor_instrument: InstrumentCode


class ProjectImportedData(_Frozen):
    """A project running before the service knew it, as its import file states it: the
    application, the current term as it stands, and where the statement came from. Nothing
    before the import is made up as events of its own."""

    application: Application
    past: ImportedPast
    source: ImportSource
    policy: Policy  # the project runs with it, as a submitted one with its recorded policy
    term_number: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    tranches: tuple[TranchePlan, ...]
    reports: tuple[ReportPlan, ...]


# amendments: an officer changes what was approved, each with a reason (the envelope's)


class BudgetAmendedData(_Frozen):
    term_number: int
    previous_eur: int
    awarded_eur: int
    # the tranches not yet paid, recomputed: with what is paid they add up to the budget
    tranches: tuple[TranchePlan, ...]


class PartnerLabAddedData(_Frozen):
    lab: Lab


class PartnerLabRemovedData(_Frozen):
    lab: Lab


class CoordinatorReplacedData(_Frozen):
    previous: Person
    coordinator: Person


class LocationChangedData(_Frozen):
    previous: str | None
    location: str


class TermExtendedData(_Frozen):
    term_number: int
    months: int
    previous_ends_at: AwareDatetime
    ends_at: AwareDatetime


class ProjectSuspendedData(_Frozen):
    term_number: int


class ProjectResumedData(_Frozen):
    term_number: int
    suspended_since: AwareDatetime


class AmendmentRequestedData(_Frozen):
    """A coordinator asks for an amendment; an officer applies it (or not)."""

    amendment: AmendmentKind
    details: str


class ContributionSource(StrEnum):
    """Who adds to CNRS's funding: a CNRS institute, or a partner institution abroad."""

    INSTITUTE = "institute"
    PARTNER = "partner"


class ContributionRecordedData(_Frozen):
    """Co-funding for one year, as stated: the amount in its currency and its value in euros
    at the rate given (with the rate's date and source), computed once by the decider."""

    year: int
    source_kind: ContributionSource
    source: str
    country: str  # FR for a CNRS institute
    amount: int
    currency: str
    eur_rate: Decimal
    rate_date: date
    rate_source: str
    eur_value: int


# --- envelopes --------------------------------------------------------------------------


class EventEnvelope(_Frozen):
    event_id: UUID
    project_id: str
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    actor: Actor
    reason: str | None = None
    schema_version: int = 1


class ApplicationSubmitted(EventEnvelope):
    type: Literal["ApplicationSubmitted"] = "ApplicationSubmitted"
    data: ApplicationSubmittedData


class EligibilityConfirmed(EventEnvelope):
    type: Literal["EligibilityConfirmed"] = "EligibilityConfirmed"
    data: EligibilityConfirmedData


class ApplicationDeclaredIneligible(EventEnvelope):
    type: Literal["ApplicationDeclaredIneligible"] = "ApplicationDeclaredIneligible"
    data: ApplicationDeclaredIneligibleData


class ReviewerAssigned(EventEnvelope):
    type: Literal["ReviewerAssigned"] = "ReviewerAssigned"
    data: ReviewerAssignedData


class ReviewSubmitted(EventEnvelope):
    type: Literal["ReviewSubmitted"] = "ReviewSubmitted"
    data: ReviewSubmittedData


class ReminderSent(EventEnvelope):
    type: Literal["ReminderSent"] = "ReminderSent"
    data: ReminderSentData


class ApplicationApproved(EventEnvelope):
    type: Literal["ApplicationApproved"] = "ApplicationApproved"
    data: ApplicationApprovedData


class ApplicationRejected(EventEnvelope):
    type: Literal["ApplicationRejected"] = "ApplicationRejected"
    data: ApplicationRejectedData = ApplicationRejectedData()


class TermStarted(EventEnvelope):
    type: Literal["TermStarted"] = "TermStarted"
    data: TermStartedData


class TrancheReleased(EventEnvelope):
    type: Literal["TrancheReleased"] = "TrancheReleased"
    data: TrancheReleasedData


class TrancheWithheld(EventEnvelope):
    type: Literal["TrancheWithheld"] = "TrancheWithheld"
    data: TrancheWithheldData


class TrancheForfeited(EventEnvelope):
    """A tranche still withheld when its term ends is not paid: the term's funds lapse."""

    type: Literal["TrancheForfeited"] = "TrancheForfeited"
    data: TrancheForfeitedData


class ReportSubmitted(EventEnvelope):
    type: Literal["ReportSubmitted"] = "ReportSubmitted"
    data: ReportSubmittedData


class ReportAccepted(EventEnvelope):
    type: Literal["ReportAccepted"] = "ReportAccepted"
    data: ReportAcceptedData


class ReportRejected(EventEnvelope):
    type: Literal["ReportRejected"] = "ReportRejected"
    data: ReportRejectedData


class RenewalRequested(EventEnvelope):
    type: Literal["RenewalRequested"] = "RenewalRequested"
    data: RenewalRequestedData


class RenewalGranted(EventEnvelope):
    type: Literal["RenewalGranted"] = "RenewalGranted"
    data: RenewalGrantedData


class RenewalRefused(EventEnvelope):
    type: Literal["RenewalRefused"] = "RenewalRefused"
    data: RenewalRefusedData


class ProjectClosed(EventEnvelope):
    type: Literal["ProjectClosed"] = "ProjectClosed"
    data: ProjectClosedData


class ProjectTerminated(EventEnvelope):
    type: Literal["ProjectTerminated"] = "ProjectTerminated"
    data: ProjectTerminatedData = ProjectTerminatedData()


class SuccessorLinked(EventEnvelope):
    type: Literal["SuccessorLinked"] = "SuccessorLinked"
    data: SuccessorLinkedData


class BudgetAmended(EventEnvelope):
    type: Literal["BudgetAmended"] = "BudgetAmended"
    data: BudgetAmendedData


class PartnerLabAdded(EventEnvelope):
    type: Literal["PartnerLabAdded"] = "PartnerLabAdded"
    data: PartnerLabAddedData


class PartnerLabRemoved(EventEnvelope):
    type: Literal["PartnerLabRemoved"] = "PartnerLabRemoved"
    data: PartnerLabRemovedData


class CoordinatorReplaced(EventEnvelope):
    type: Literal["CoordinatorReplaced"] = "CoordinatorReplaced"
    data: CoordinatorReplacedData


class LocationChanged(EventEnvelope):
    type: Literal["LocationChanged"] = "LocationChanged"
    data: LocationChangedData


class TermExtended(EventEnvelope):
    type: Literal["TermExtended"] = "TermExtended"
    data: TermExtendedData


class ProjectSuspended(EventEnvelope):
    type: Literal["ProjectSuspended"] = "ProjectSuspended"
    data: ProjectSuspendedData


class ProjectResumed(EventEnvelope):
    type: Literal["ProjectResumed"] = "ProjectResumed"
    data: ProjectResumedData


class ProjectImported(EventEnvelope):
    type: Literal["ProjectImported"] = "ProjectImported"
    data: ProjectImportedData


class AmendmentRequested(EventEnvelope):
    type: Literal["AmendmentRequested"] = "AmendmentRequested"
    data: AmendmentRequestedData


class ContributionRecorded(EventEnvelope):
    type: Literal["ContributionRecorded"] = "ContributionRecorded"
    data: ContributionRecordedData


DomainEvent = Annotated[
    ApplicationSubmitted
    | EligibilityConfirmed
    | ApplicationDeclaredIneligible
    | ReviewerAssigned
    | ReviewSubmitted
    | ReminderSent
    | ApplicationApproved
    | ApplicationRejected
    | TermStarted
    | TrancheReleased
    | TrancheWithheld
    | TrancheForfeited
    | ReportSubmitted
    | ReportAccepted
    | ReportRejected
    | RenewalRequested
    | RenewalGranted
    | RenewalRefused
    | ProjectClosed
    | ProjectTerminated
    | SuccessorLinked
    | BudgetAmended
    | PartnerLabAdded
    | PartnerLabRemoved
    | CoordinatorReplaced
    | LocationChanged
    | TermExtended
    | ProjectSuspended
    | ProjectResumed
    | AmendmentRequested
    | ProjectImported
    | ContributionRecorded,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[DomainEvent] = TypeAdapter(DomainEvent)
EVENT_LIST_ADAPTER: TypeAdapter[list[DomainEvent]] = TypeAdapter(list[DomainEvent])

EVENT_TYPES: tuple[str, ...] = tuple(
    cls.model_fields["type"].default
    for cls in EventEnvelope.__subclasses__()
    if "type" in cls.model_fields
)

# the facts amendments record (a coordinator's request included)
AMENDMENT_EVENT_TYPES: frozenset[str] = frozenset(
    {
        "BudgetAmended",
        "PartnerLabAdded",
        "PartnerLabRemoved",
        "CoordinatorReplaced",
        "LocationChanged",
        "TermExtended",
        "ProjectSuspended",
        "ProjectResumed",
        "AmendmentRequested",
    }
)

# The payload schema version each event type is written with today. Stored events of older
# versions are upcast on read (see domain.upcasters); they are never rewritten.
CURRENT_SCHEMA_VERSION: dict[str, int] = dict.fromkeys(EVENT_TYPES, 1)


def event_from_record(
    *,
    event_id: UUID,
    project_id: str,
    version: int,
    type: str,
    schema_version: int,
    occurred_at: datetime,
    actor_id: str,
    actor_role: str,
    reason: str | None,
    data: dict[str, object],
) -> DomainEvent:
    """Rebuild a typed event from the store's columns."""
    return EVENT_ADAPTER.validate_python(
        {
            "event_id": event_id,
            "project_id": project_id,
            "version": version,
            "type": type,
            "schema_version": schema_version,
            "occurred_at": occurred_at,
            "actor": {"id": actor_id, "role": actor_role},
            "reason": reason,
            "data": data,
        }
    )

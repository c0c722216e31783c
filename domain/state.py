"""The state of one project, as folded from its events."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from domain.application import Application, Reviewer
from domain.events import ContributionRecordedData, Recommendation
from domain.fields import annual_report_id as annual_report_id
from domain.instruments import CATALOG, Instrument, InstrumentCode
from domain.policy import DEFAULT_POLICY, Policy, shared


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Phase(StrEnum):
    NEW = "new"
    SUBMITTED = "submitted"
    INELIGIBLE = "ineligible"
    UNDER_EVALUATION = "under_evaluation"
    APPROVED = "approved"
    REJECTED = "rejected"
    ACTIVE = "active"
    CLOSED = "closed"  # term over, no renewal; the final report is still due
    TERMINATED = "terminated"


FINAL_PHASES = frozenset({Phase.INELIGIBLE, Phase.REJECTED, Phase.TERMINATED})


class TrancheStatus(StrEnum):
    PLANNED = "planned"
    RELEASED = "released"
    WITHHELD = "withheld"
    FORFEITED = "forfeited"  # still withheld when the term ended


class ReportStatus(StrEnum):
    DUE = "due"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class RenewalStatus(StrEnum):
    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"


class Tranche(_Frozen):
    year: int
    due_at: AwareDatetime
    amount_eur: int
    status: TrancheStatus = TrancheStatus.PLANNED
    withheld_at: AwareDatetime | None = None
    awaiting_report_id: str | None = None


class Report(_Frozen):
    report_id: str
    term_number: int
    year: int | None  # None: the final report
    opens_at: AwareDatetime
    due_at: AwareDatetime
    status: ReportStatus = ReportStatus.DUE


class Term(_Frozen):
    number: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    awarded_eur: int
    tranches: tuple[Tranche, ...]
    # extensions without new funding (TermExtended): how many, how many months in all,
    # and when the latest was decided. ends_at is the term's end as extended
    extensions: int = 0
    extended_months: int = 0
    extended_at: AwareDatetime | None = None


class Assignment(_Frozen):
    reviewer: Reviewer
    assigned_at: AwareDatetime


class Review(_Frozen):
    reviewer_id: str
    scores: dict[str, int]
    recommendation: Recommendation
    submitted_at: AwareDatetime


class Renewal(_Frozen):
    term_number: int
    status: RenewalStatus
    requested_eur: int
    awarded_eur: int | None = None


class ProjectState(_Frozen):
    project_id: str | None = None
    version: int = 0
    phase: Phase = Phase.NEW
    application: Application | None = None
    call_id: str | None = None
    submitted_at: AwareDatetime | None = None
    eligibility_check_at: AwareDatetime | None = None
    evaluation_deadline: AwareDatetime | None = None
    assignments: tuple[Assignment, ...] = ()
    reviews: tuple[Review, ...] = ()
    awarded_eur: int | None = None  # the award of the current (or next) term
    next_term_starts_at: AwareDatetime | None = None
    term: Term | None = None
    reports: tuple[Report, ...] = ()
    renewals_granted: int = 0
    renewal: Renewal | None = None
    released_eur: int = 0
    closed_at: AwareDatetime | None = None
    final_report_due_at: AwareDatetime | None = None
    successor_project_id: str | None = None
    successor_instrument: InstrumentCode | None = None
    reminders_sent: tuple[str, ...] = ()
    # a suspension is a flag on an active project, not a phase: every rule of the phase
    # holds, and the automatic steps wait (domain.automation) until it is resumed
    suspended_since: AwareDatetime | None = None
    resumed_at: AwareDatetime | None = None  # the latest resumption
    imported_at: AwareDatetime | None = None  # brought in running (domain.imports)
    contributions: tuple[ContributionRecordedData, ...] = ()  # co-funding, as recorded
    last_event_at: AwareDatetime | None = None
    # as recorded by ApplicationSubmitted; None before it, or if recorded without one.
    # Read it through policy_of
    policy: Policy | None = None
    # A renewal granted since this release names the policy in force on its next term's
    # first day (RenewalGranted.policy): waiting for that term, then governing it. Left out
    # when unset, so that a worker of the previous release reads every state.
    next_policy: Policy | None = Field(default=None, exclude_if=lambda v: v is None)
    term_policy: Policy | None = Field(default=None, exclude_if=lambda v: v is None)

    @field_validator("policy", "next_policy", "term_policy")
    @classmethod
    def _shared_policy(cls, policy: Policy | None) -> Policy | None:
        return None if policy is None else shared(policy)

    @property
    def instrument(self) -> Instrument:
        if self.application is None:
            raise ValueError("project has no application yet")
        return CATALOG[self.application.instrument]

    def report(self, report_id: str) -> Report | None:
        return next((r for r in self.reports if r.report_id == report_id), None)

    def tranche(self, year: int) -> Tranche | None:
        if self.term is None:
            return None
        return next((t for t in self.term.tranches if t.year == year), None)

    def reviewer_ids(self) -> tuple[str, ...]:
        return tuple(a.reviewer.id for a in self.assignments)

    def reviewed_by(self, reviewer_id: str) -> bool:
        return any(r.reviewer_id == reviewer_id for r in self.reviews)

    def reminder_sent(self, key: str) -> bool:
        return key in self.reminders_sent

    @property
    def cofunding_eur(self) -> int:
        """Co-funding beside CNRS's, in euros at the rates stated, over every year."""
        return sum(c.eur_value for c in self.contributions)

    @property
    def suspended(self) -> bool:
        return self.suspended_since is not None

    @property
    def lifecycle_complete(self) -> bool:
        """Nothing more can happen: a final phase, or closed with the final report accepted."""
        if self.phase in FINAL_PHASES:
            return True
        if self.phase is Phase.CLOSED:
            final = self.report(FINAL_REPORT_ID)
            return final is not None and final.status is ReportStatus.ACCEPTED
        return False


FINAL_REPORT_ID = "final"


def policy_of(state: ProjectState) -> Policy:
    """The policy that governs a project: the one its ApplicationSubmitted recorded (the
    one its workflow was started with and decides with), or DEFAULT_POLICY for a project
    submitted before events recorded it, which is the policy those ran with; from a term
    renewed under a later version, that version. Whatever
    shows a project's deadlines or steps must use this, not the code's DEFAULT_POLICY."""
    if state.term_policy is not None:
        return state.term_policy
    return DEFAULT_POLICY if state.policy is None else state.policy


def governing(state: ProjectState, started_with: Policy) -> Policy:
    """The policy a workflow decides with: the one it started with (its input's), until a
    term that began under a later version (a renewal granted since the policy changed)."""
    return state.term_policy or started_with

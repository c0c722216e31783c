"""What a person gives for each human step: the API's request bodies, the pages' forms and
the CLI's flags are these models. The matching command extends its input with who acts,
when, and its id (domain.commands), so each field is declared once."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from domain.application import Application
from domain.events import AmendmentKind, ContributionSource, Recommendation
from domain.fields import (
    Amount,
    Country,
    Currency,
    Day,
    Details,
    Email,
    Eur,
    EurRate,
    Institution,
    LabName,
    Months,
    OptionalReason,
    PersonId,
    PersonName,
    Place,
    ProjectId,
    Reason,
    Scores,
    Summary,
    TermStart,
    Verdict,
    Year,
)
from domain.instruments import InstrumentCode


class StepInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubmitInput(StepInput):
    project_id: ProjectId
    application: Application


class ReviewerInput(StepInput):
    reviewer_id: PersonId  # a registered reviewer: the directory says who they are


class ReviewInput(StepInput):
    scores: Scores
    recommendation: Recommendation


class DecisionInput(StepInput):
    approve: Verdict
    awarded_eur: Eur | None = None
    term_starts_at: TermStart | None = None  # direct-contact instruments; default: now
    reason: Reason


class ReportInput(StepInput):
    summary: Summary


class ReportReviewInput(StepInput):
    accept: Verdict
    reason: Reason


class RenewalInput(StepInput):
    requested_eur: Eur


class RenewalDecisionInput(StepInput):
    grant: Verdict
    awarded_eur: Eur | None = None
    reason: Reason


class TerminationInput(StepInput):
    reason: Reason


class SuccessorInput(StepInput):
    successor_project_id: ProjectId
    successor_instrument: InstrumentCode = InstrumentCode.IRP
    reason: OptionalReason = None


# --- amendments: an officer changes an active project, always with a reason -----------------


class BudgetInput(StepInput):
    awarded_eur: Eur  # the current term's new budget
    reason: Reason


class AddLabInput(StepInput):
    lab_name: LabName
    lab_country: Country
    lab_cnrs: Annotated[StrictBool, Field(description="a CNRS lab (in France)")] = False
    reason: Reason


class RemoveLabInput(StepInput):
    lab_name: LabName
    reason: Reason


class CoordinatorInput(StepInput):
    coordinator_id: PersonId
    coordinator_name: PersonName
    coordinator_email: Email
    coordinator_lab: LabName  # a CNRS lab of the project
    reason: Reason


class LocationInput(StepInput):
    location: Place
    reason: Reason


class ExtensionInput(StepInput):
    months: Months
    reason: Reason


class SuspensionInput(StepInput):
    reason: Reason


class ResumptionInput(StepInput):
    reason: Reason


class ContributionInput(StepInput):
    """Co-funding beside CNRS's: a CNRS institute's (source: its code, such as INSU) or a
    partner institution's abroad (its name and country), for one year, in its currency."""

    year: Year
    source_kind: ContributionSource
    source: Institution
    country: Country | None = None  # a partner's; an institute's is France
    amount: Amount
    currency: Currency
    eur_rate: EurRate
    rate_date: Day
    rate_source: Institution
    reason: Reason


class AmendmentRequestInput(StepInput):
    """A coordinator asks the officers for an amendment."""

    amendment: AmendmentKind
    details: Details
    reason: Reason

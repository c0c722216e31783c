"""What a person gives for each human step: the API's request bodies, the pages' forms and
the CLI's flags are these models. The matching command extends its input with who acts,
when, and its id (domain.commands), so each field is declared once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.application import Application
from domain.events import Recommendation
from domain.fields import (
    Eur,
    OptionalReason,
    PersonId,
    ProjectId,
    Reason,
    Scores,
    Summary,
    TermStart,
    Verdict,
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

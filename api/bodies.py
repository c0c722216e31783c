"""Request bodies. None carries an actor: who acts is the authenticated person."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.application import Application
from domain.events import Recommendation
from domain.instruments import InstrumentCode

Reason = Annotated[str, Field(min_length=1, max_length=4000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmitBody(_Body):
    project_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    application: Application


class ReviewerBody(_Body):
    reviewer_id: str = Field(min_length=1, max_length=200, description="a registered reviewer")


class ReviewBody(_Body):
    scores: dict[str, Annotated[int, Field(ge=1, le=5)]] = Field(min_length=1)
    recommendation: Recommendation


class DecisionBody(_Body):
    approve: bool
    awarded_eur: int | None = Field(default=None, gt=0)
    term_starts_at: AwareDatetime | None = None
    reason: Reason


class ReportBody(_Body):
    summary: str = Field(min_length=1, max_length=20000)


class ReportReviewBody(_Body):
    accept: bool
    reason: Reason


class RenewalBody(_Body):
    requested_eur: int = Field(gt=0)


class RenewalDecisionBody(_Body):
    grant: bool
    awarded_eur: int | None = Field(default=None, gt=0)
    reason: Reason


class TerminationBody(_Body):
    reason: Reason


class SuccessorBody(_Body):
    successor_project_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    successor_instrument: InstrumentCode = InstrumentCode.IRP
    reason: str | None = Field(default=None, max_length=4000)

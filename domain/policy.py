"""Policy values CNRS changes from year to year: data with defaults, never code.

A running project keeps the policy it was started with (it travels in the workflow input,
and its ApplicationSubmitted event records it for the read side: domain.state.policy_of),
so a change of policy applies to new projects unless an operator migrates old ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

from domain.errors import RuleViolation
from domain.institutes import Institute
from domain.instruments import CATALOG, Instrument, InstrumentCode
from domain.said import Eur, Listed, phrase, said


class FundingPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    funding_min_eur: int = Field(gt=0)
    funding_max_eur: int = Field(gt=0)
    max_renewals: int = Field(ge=0)

    @model_validator(mode="after")
    def _range_is_ordered(self) -> FundingPolicy:
        if self.funding_min_eur > self.funding_max_eur:
            raise ValueError("funding_min_eur must not exceed funding_max_eur")
        return self


def _default_funding() -> dict[InstrumentCode, FundingPolicy]:
    return {
        code: FundingPolicy(
            funding_min_eur=inst.funding_min_eur,
            funding_max_eur=inst.funding_max_eur,
            max_renewals=inst.max_renewals,
        )
        for code, inst in CATALOG.items()
    }


class CallCalendar(BaseModel):
    """The IEA annual call: opens in June, closes at the September deadline, and the
    selected projects start on 1 January of the next year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    opens_month: int = Field(default=6, ge=1, le=12)
    opens_day: int = Field(default=1, ge=1, le=28)
    closes_month: int = Field(default=9, ge=1, le=12)
    closes_day: int = Field(default=15, ge=1, le=28)
    # The round's budget: what the call's approvals may come to in all, and how many IEAs
    # each institute may have at most (domain.call_round). Without an envelope the call's
    # applications are decided one by one, as before. Both are left out of the policy's
    # document when unset, so that a worker of the previous release reads every policy a
    # newer one sends it (the policy travels in every workflow's input).
    envelope_eur: int | None = Field(default=None, gt=0, exclude_if=lambda v: v is None)
    per_institute: dict[Institute, NonNegativeInt] = Field(
        default_factory=dict, exclude_if=lambda v: not v
    )


# the fields every policy recorded before the award rule holds (a recorded policy is a full
# dump): such a policy lacks `award_may_exceed_request` and keeps what its projects started
# with, awards above the request allowed. Their replayed histories depend on it.
_RECORDED_BEFORE_AWARD_RULE = frozenset(
    {"funding", "evaluation_period_days", "min_reviews_to_approve", "iea_call"}
)


def _eur(amount: int) -> Eur:
    return Eur(amount)


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    funding: dict[InstrumentCode, FundingPolicy] = Field(default_factory=_default_funding)
    evaluation_period_days: int = Field(default=60, gt=0)
    review_reminder_days_before_deadline: tuple[int, ...] = (14, 3)
    min_reviews_to_approve: int = Field(default=1, ge=0)
    report_due_days_before_anniversary: int = Field(default=30, ge=0)
    report_reminder_days_before_due: tuple[int, ...] = (30, 7)
    overdue_reminder_every_days: int = Field(default=30, gt=0)
    overdue_reminders_max: int = Field(default=6, ge=0)
    renewal_window_months_before_end: int = Field(default=12, gt=0)
    renewal_reminder_months_before_end: tuple[int, ...] = (6, 3)
    final_report_due_months_after_end: int = Field(default=3, ge=0)
    # how long after its term an IEA may still be linked to the IRP that follows it up
    successor_link_months_after_end: int = Field(default=24, ge=0)
    coi_refuse_partner_country: bool = False
    iea_call: CallCalendar = Field(default_factory=CallCalendar)
    # what a review scores, each from 1 to 5 (a review scores some or all of them)
    review_criteria: tuple[str, ...] = Field(
        default=("science", "feasibility", "partnership"), min_length=1
    )
    # an institute awards what was asked or less: more is a typing slip far more often than
    # a decision (60,000 asked, 75,000 awarded)
    award_may_exceed_request: bool = False
    # how many months in all a term may be extended without new funding (an amendment).
    # A policy recorded before this field reads with the default: no recorded history
    # holds an extension, so none depends on what it was
    max_extension_months: int = Field(default=12, ge=0)
    # personal data of people linked only to projects ended this many years ago is erased
    # (domain.personal_data.retention); left out of the document at its default, so that a
    # worker of the previous release reads every policy a newer one sends it
    personal_data_retention_years: int = Field(default=10, ge=1, exclude_if=lambda v: v == 10)

    @model_validator(mode="before")
    @classmethod
    def _recorded_before_award_rule(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and data.keys() >= _RECORDED_BEFORE_AWARD_RULE
            and "award_may_exceed_request" not in data
        ):
            return {**data, "award_may_exceed_request": True}
        return data

    def funding_for(self, code: InstrumentCode) -> FundingPolicy:
        return self.funding[code]

    def check_amount(
        self, instrument: Instrument, amount_eur: int, what: str, field: str | None = None
    ) -> None:
        rng = self.funding_for(instrument.code)
        if not rng.funding_min_eur <= amount_eur <= rng.funding_max_eur:
            raise RuleViolation(
                "funding.range",
                said(
                    "{what} {amount_eur} EUR outside {instrument_code} range "
                    "{funding_min_eur}–{funding_max_eur}",
                    what=what,
                    amount_eur=amount_eur,
                    instrument_code=instrument.code,
                    funding_min_eur=rng.funding_min_eur,
                    funding_max_eur=rng.funding_max_eur,
                ),
                field,
            )

    def check_award(self, awarded_eur: int, requested_eur: int, field: str) -> None:
        if awarded_eur > requested_eur and not self.award_may_exceed_request:
            raise RuleViolation(
                "award.above_request",
                said(
                    "{field}: the award ({awarded_eur}) exceeds the amount requested "
                    "({requested_eur})",
                    field=field,
                    awarded_eur=_eur(awarded_eur),
                    requested_eur=_eur(requested_eur),
                ),
                field,
            )

    def check_scores(self, scores: Mapping[str, int]) -> None:
        unknown = [name for name in scores if name not in self.review_criteria]
        if unknown:
            named = Listed((repr(name) for name in unknown), ",")
            template = (
                phrase(
                    "scores: {named} is not a criterion of this review; score {criteria} (1 to 5)"
                )
                if len(unknown) == 1
                else phrase(
                    "scores: {named} are not criteria of this review; score {criteria} (1 to 5)"
                )
            )
            raise RuleViolation(
                "review.criteria",
                said(template, named=named, criteria=Listed(self.review_criteria, ",")),
                "scores",
            )


class CallWindow(BaseModel):
    """One year's IEA call, as announced by the call workflow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    call_id: str
    year: int
    opens_at: datetime
    closes_at: datetime
    term_starts_at: datetime

    def is_open_at(self, moment: datetime) -> bool:
        return self.opens_at <= moment <= self.closes_at


def iea_call_window(year: int, policy: Policy) -> CallWindow:
    cal = policy.iea_call
    return CallWindow(
        call_id=f"IEA-{year}",
        year=year,
        opens_at=datetime(year, cal.opens_month, cal.opens_day, tzinfo=UTC),
        # the deadline is the end of the closing day
        closes_at=datetime(year, cal.closes_month, cal.closes_day, 23, 59, 59, tzinfo=UTC),
        term_starts_at=datetime(year + 1, 1, 1, tzinfo=UTC),
    )


DEFAULT_POLICY = Policy()

_SHARED: list[Policy] = [DEFAULT_POLICY]
_MAX_SHARED = 16  # distinct policies are few: one a year or so


def shared(policy: Policy) -> Policy:
    """An instance equal to `policy`, the same one for every project that runs with it.

    Each project's state holds its policy (about 4 KB once parsed); the projector keeps
    tens of thousands of states in memory, and their policies are a handful. Policies are
    frozen, so sharing one instance changes nothing but the memory."""
    for known in _SHARED:
        if known is policy or known == policy:
            return known
    if len(_SHARED) < _MAX_SHARED:
        _SHARED.append(policy)
    return policy

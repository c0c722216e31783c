"""What falls due for a project, for people to see: the dates the read models and
calendars show. Derived from the state alone, like the automatic steps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, SkipValidation

from domain import wording
from domain.calendar import add_months
from domain.policy import Policy
from domain.said import Day, Listed, Said, phrase, said
from domain.state import (
    Phase,
    ProjectState,
    RenewalStatus,
    ReportStatus,
    TrancheStatus,
    policy_of,
)
from domain.term_plan import split_award


class DeadlineKind(StrEnum):
    EVALUATION = "evaluation"
    TERM_START = "term_start"
    TRANCHE = "tranche"
    REPORT = "report"
    RENEWAL = "renewal"
    TERM_END = "term_end"
    FINAL_REPORT = "final_report"


class Deadline(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: DeadlineKind
    ref: str
    due_at: AwareDatetime
    # a message (domain.said): English as it reads, French from the catalogue
    label: SkipValidation[str]


def _first_tranche(s: ProjectState) -> Said:
    """What the term's start pays: its first tranche, as the term's plan will split it."""
    assert s.awarded_eur is not None
    years = s.instrument.term_years
    first = split_award(s.awarded_eur, years)[0]
    return said(
        "term starts; tranche 1 of {years}: {amount}", years=years, amount=wording.eur(first)
    )


def _day(moment: datetime) -> Day:
    return wording.day(moment)


def open_deadlines(state: ProjectState, policy: Policy | None = None) -> list[Deadline]:
    """Every date still ahead of the project (or passed and not yet met), earliest first.

    By the project's own policy (domain.state.policy_of), the one its workflow decides
    with, unless `policy` says otherwise."""
    s = state
    if policy is None:
        policy = policy_of(state)
    out: list[Deadline] = []
    if s.phase is Phase.UNDER_EVALUATION and s.evaluation_deadline is not None:
        # by name: the officers who read it know people, not directory ids
        missing = [a.reviewer.name for a in s.assignments if not s.reviewed_by(a.reviewer.id)]
        # who is late comes after ";": the part the coordinator does not see (readmodels)
        closes = (
            said("evaluation closes; awaiting {reviewers}", reviewers=Listed(missing, ","))
            if missing
            else said("evaluation closes")
        )
        out.append(
            Deadline(
                kind=DeadlineKind.EVALUATION,
                ref="evaluation",
                due_at=s.evaluation_deadline,
                label=closes,
            )
        )
    if s.phase is Phase.APPROVED and s.next_term_starts_at is not None:
        out.append(
            Deadline(
                kind=DeadlineKind.TERM_START,
                ref="term1",
                due_at=s.next_term_starts_at,
                label=_first_tranche(s),
            )
        )
    if s.phase is Phase.ACTIVE and s.term is not None:
        term = s.term
        for t in term.tranches:
            if t.status in (TrancheStatus.RELEASED, TrancheStatus.FORFEITED):
                continue
            values = {"year": t.year, "of": len(term.tranches), "amount": wording.eur(t.amount_eur)}
            if t.status is TrancheStatus.WITHHELD and t.awaiting_report_id:
                label = said(
                    "tranche {year} of {of}: {amount} (withheld until report {report} is accepted)",
                    report=t.awaiting_report_id,
                    **values,
                )
            elif t.status is TrancheStatus.WITHHELD:
                label = said(
                    "tranche {year} of {of}: {amount} (withheld until its report is accepted)",
                    **values,
                )
            else:
                label = said("tranche {year} of {of}: {amount}", **values)
            out.append(
                Deadline(
                    kind=DeadlineKind.TRANCHE,
                    ref=f"term{term.number}-tranche{t.year}",
                    due_at=t.due_at,
                    label=label,
                )
            )
        inst = s.instrument
        renewable = (
            inst.renewable
            and s.renewals_granted < policy.funding_for(inst.code).max_renewals
            and (s.renewal is None or s.renewal.term_number != term.number)
        )
        if renewable:
            opens = add_months(term.ends_at, -policy.renewal_window_months_before_end)
            out.append(
                Deadline(
                    kind=DeadlineKind.RENEWAL,
                    ref=f"term{term.number}-renewal",
                    due_at=term.ends_at,
                    label=said(
                        "renewal request window {opens} to {closes}",
                        opens=_day(opens),
                        closes=_day(term.ends_at),
                    ),
                )
            )
        outlook = phrase("term {number} ends; closure unless renewed")
        if s.renewal is not None and s.renewal.term_number == term.number:
            outlook = {
                RenewalStatus.GRANTED: phrase("term {number} ends; renewed"),
                RenewalStatus.REQUESTED: phrase("term {number} ends; renewal decision pending"),
            }.get(s.renewal.status, outlook)
        out.append(
            Deadline(
                kind=DeadlineKind.TERM_END,
                ref=f"term{term.number}-end",
                due_at=term.ends_at,
                label=said(outlook, number=term.number),
            )
        )
    if s.phase in (Phase.ACTIVE, Phase.CLOSED):
        for r in s.reports:
            if r.status in (ReportStatus.ACCEPTED, ReportStatus.SUBMITTED):
                continue
            final = r.year is None
            if final != (s.phase is Phase.CLOSED):
                continue
            out.append(
                Deadline(
                    kind=DeadlineKind.FINAL_REPORT if final else DeadlineKind.REPORT,
                    ref=r.report_id,
                    due_at=r.due_at,
                    label=said("report {report} due (rejected: resubmit)", report=r.report_id)
                    if r.status is ReportStatus.REJECTED
                    else said("report {report} due", report=r.report_id),
                )
            )
    out.sort(key=lambda d: (d.due_at, d.kind.value, d.ref))
    return out

"""What falls due for a project, for people to see: the dates the read models and
calendars show. Derived from the state alone, like the automatic steps."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain import wording
from domain.calendar import add_months
from domain.policy import Policy
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
    label: str


def _first_tranche(s: ProjectState) -> str:
    """What the term's start pays: its first tranche, as the term's plan will split it."""
    assert s.awarded_eur is not None
    years = s.instrument.term_years
    first = split_award(s.awarded_eur, years)[0]
    return f"term starts; tranche 1 of {years}: {wording.eur(first)}"


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def open_deadlines(state: ProjectState, policy: Policy | None = None) -> list[Deadline]:
    """Every date still ahead of the project (or passed and not yet met), earliest first.

    By the project's own policy (domain.state.policy_of), the one its workflow decides
    with, unless `policy` says otherwise."""
    s = state
    if policy is None:
        policy = policy_of(state)
    out: list[Deadline] = []
    if s.phase is Phase.UNDER_EVALUATION and s.evaluation_deadline is not None:
        missing = [a.reviewer.id for a in s.assignments if not s.reviewed_by(a.reviewer.id)]
        waiting = f"; awaiting {', '.join(missing)}" if missing else ""
        out.append(
            Deadline(
                kind=DeadlineKind.EVALUATION,
                ref="evaluation",
                due_at=s.evaluation_deadline,
                label=f"evaluation closes{waiting}",
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
            state_note = ""
            if t.status is TrancheStatus.WITHHELD:
                report = t.awaiting_report_id or "its report"
                state_note = f" (withheld until report {report} is accepted)"
            out.append(
                Deadline(
                    kind=DeadlineKind.TRANCHE,
                    ref=f"term{term.number}-tranche{t.year}",
                    due_at=t.due_at,
                    label=f"tranche {t.year} of {len(term.tranches)}: "
                    f"{wording.eur(t.amount_eur)}{state_note}",
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
                    label=f"renewal request window {_day(opens)} to {_day(term.ends_at)}",
                )
            )
        outlook = "; closure unless renewed"
        if s.renewal is not None and s.renewal.term_number == term.number:
            outlook = {
                RenewalStatus.GRANTED: "; renewed",
                RenewalStatus.REQUESTED: "; renewal decision pending",
            }.get(s.renewal.status, outlook)
        out.append(
            Deadline(
                kind=DeadlineKind.TERM_END,
                ref=f"term{term.number}-end",
                due_at=term.ends_at,
                label=f"term {term.number} ends{outlook}",
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
                    label=f"report {r.report_id} due"
                    + (" (rejected: resubmit)" if r.status is ReportStatus.REJECTED else ""),
                )
            )
    out.sort(key=lambda d: (d.due_at, d.kind.value, d.ref))
    return out

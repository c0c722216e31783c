"""The money ahead of one project: every tranche not yet paid, by the calendar year it falls
due, what a pending renewal would add if granted, and its co-funding by year.

What was paid is not here: it is in the record (each TrancheReleased, and the tranches an
import says were paid), copied by the projector with the year it was paid. Whether a
scheduled tranche is at risk depends on the day it is asked (its prerequisite report
overdue), so each line says which report it waits for and when that report is due, and the
question is answered at read time (readmodels.forecast)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.calendar import add_years
from domain.state import (
    Phase,
    ProjectState,
    RenewalStatus,
    ReportStatus,
    TrancheStatus,
    annual_report_id,
    policy_of,
)
from domain.term_plan import plan_reports, plan_tranches, split_award


class LineKind(StrEnum):
    SCHEDULED = "scheduled"  # planned: paid on its due date if its report is accepted
    WITHHELD = "withheld"  # its due date passed, waiting for its report
    RENEWAL = "renewal"  # what a pending renewal request would add if granted
    COFUNDING = "cofunding"  # beside CNRS's funding, in EUR at the rate stated


class Line(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int
    kind: LineKind
    amount_eur: int
    # a scheduled tranche's prerequisite report, while it is not accepted: the tranche is
    # at risk once that report is overdue
    report_id: str | None = None
    report_due_at: AwareDatetime | None = None


def forecast_lines(s: ProjectState) -> list[Line]:
    if s.application is None or s.phase not in (Phase.APPROVED, Phase.ACTIVE, Phase.CLOSED):
        return [_cofunding_line(c.year, c.eur_value) for c in s.contributions]
    lines: list[Line] = []
    if s.phase is Phase.APPROVED and s.next_term_starts_at and s.awarded_eur:
        lines += _planned_term(s, 1, s.next_term_starts_at, s.awarded_eur)
    if s.phase is Phase.ACTIVE and s.term is not None:
        lines += _current_term(s)
        renewal = s.renewal
        if renewal is not None and renewal.term_number == s.term.number:
            if renewal.status is RenewalStatus.REQUESTED:
                years = s.instrument.term_years
                for i, amount in enumerate(split_award(renewal.requested_eur, years)):
                    due = add_years(s.term.ends_at, i)
                    lines.append(Line(year=due.year, kind=LineKind.RENEWAL, amount_eur=amount))
            elif renewal.status is RenewalStatus.GRANTED and s.awarded_eur:
                lines += _planned_term(s, s.term.number + 1, s.term.ends_at, s.awarded_eur)
    lines += [_cofunding_line(c.year, c.eur_value) for c in s.contributions]
    return lines


def _cofunding_line(year: int, eur: int) -> Line:
    return Line(year=year, kind=LineKind.COFUNDING, amount_eur=eur)


def _current_term(s: ProjectState) -> list[Line]:
    assert s.term is not None
    out: list[Line] = []
    for t in s.term.tranches:
        if t.status is TrancheStatus.WITHHELD:
            out.append(Line(year=t.due_at.year, kind=LineKind.WITHHELD, amount_eur=t.amount_eur))
        elif t.status is TrancheStatus.PLANNED:
            report_id = annual_report_id(s.term.number, t.year - 1) if t.year > 1 else None
            report = s.report(report_id) if report_id else None
            waiting = report is not None and report.status is not ReportStatus.ACCEPTED
            out.append(
                Line(
                    year=t.due_at.year,
                    kind=LineKind.SCHEDULED,
                    amount_eur=t.amount_eur,
                    report_id=report_id if waiting else None,
                    report_due_at=report.due_at if waiting and report else None,
                )
            )
    return out


def _planned_term(s: ProjectState, number: int, starts_at: datetime, award: int) -> list[Line]:
    """A term a decision has fixed and that has not started: its tranches as they will be
    planned, each but the first waiting for the previous year's report."""
    years = s.instrument.term_years
    reports = {r.year: r for r in plan_reports(number, starts_at, years, policy_of(s))}
    out: list[Line] = []
    for t in plan_tranches(starts_at, years, award):
        before = reports.get(t.year - 1)
        out.append(
            Line(
                year=t.due_at.year,
                kind=LineKind.SCHEDULED,
                amount_eur=t.amount_eur,
                report_id=before.report_id if before else None,
                report_due_at=before.due_at if before else None,
            )
        )
    return out

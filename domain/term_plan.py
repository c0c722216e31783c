"""How a term is laid out: yearly tranches that add up to the award, and annual reports."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.calendar import add_years
from domain.events import ReportPlan, TranchePlan
from domain.policy import Policy
from domain.state import annual_report_id


def split_award(awarded_eur: int, years: int) -> list[int]:
    """Yearly amounts in whole euros that sum exactly to the award; the odd euros go to
    the first years so no cent is ever lost to rounding."""
    if years < 1:
        raise ValueError("a term lasts at least one year")
    base, extra = divmod(awarded_eur, years)
    return [base + (1 if i < extra else 0) for i in range(years)]


def plan_tranches(starts_at: datetime, years: int, awarded_eur: int) -> tuple[TranchePlan, ...]:
    """Tranche n falls due on the (n-1)th anniversary of the term start."""
    return tuple(
        TranchePlan(year=i + 1, due_at=add_years(starts_at, i), amount_eur=amount)
        for i, amount in enumerate(split_award(awarded_eur, years))
    )


def plan_reports(
    term_number: int, starts_at: datetime, years: int, policy: Policy
) -> tuple[ReportPlan, ...]:
    """The report on year n is due shortly before the nth anniversary, so it can be
    accepted before the next tranche falls due."""
    lead = timedelta(days=policy.report_due_days_before_anniversary)
    return tuple(
        ReportPlan(
            report_id=annual_report_id(term_number, y),
            year=y,
            due_at=add_years(starts_at, y) - lead,
        )
        for y in range(1, years + 1)
    )

"""The money ahead (`/ui/forecast`) and the policy's versions (`/ui/policy`): read-only pages
over application.reads.forecast and application.policies, as `collab forecast` and
`collab policy show` read them. Who may read the forecast is the application's rule (a
reviewer is refused it, a coordinator reads their own projects'); the policy is shown to
the officers and the auditors, the people who apply and check it. Setting a version stays
on the CLI (`collab policy set`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from application.reads import MAX_FORECAST_YEARS
from application.refusals import HTTP_STATUS, Kind, Refusal
from application.service import Application
from domain.actors import Role
from domain.policy_versions import PolicyVersion
from identity.people import Person
from readmodels.forecast import ForecastRow
from web.i18n import translator
from web.imports_page import Render
from web.narration import day
from web.page_input import refused_query
from web.pages import Who

# the columns of the forecast, each with its colour in app.css (--ahead-<name>), in the
# table's order and the chart's stacking order
CATEGORIES = ("paid", "scheduled", "withheld", "at_risk", "renewals_pending", "cofunding")
POLICY_READERS = frozenset({Role.INSTITUTE_OFFICER, Role.DERCI_OFFICER, Role.AUDITOR})
FORECAST_READERS = POLICY_READERS | {Role.COORDINATOR}


def may_forecast(person: Person | None) -> bool:
    """The navigation's link; the page itself asks the application."""
    return person is not None and person.role in FORECAST_READERS


def may_read_policy(person: Person | None) -> bool:
    return person is not None and person.role in POLICY_READERS


@dataclass
class Year:
    year: int
    rows: list[ForecastRow] = field(default_factory=list)
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))


def by_year(rows: list[ForecastRow], first: int, years: int) -> list[Year]:
    """Every year asked, with its rows (by instrument, then institute) and its totals; a
    year with nothing ahead is still shown, empty."""
    shown = {y: Year(y) for y in range(first, first + years)}
    for r in sorted(rows, key=lambda r: (r.year, r.instrument, r.institute or "")):
        year = shown.setdefault(r.year, Year(r.year))
        year.rows.append(r)
        for name in CATEGORIES:
            year.total[name] += getattr(r, f"{name}_eur")
    return [shown[y] for y in sorted(shown)]


def _chart(years: list[Year]) -> dict[str, Any]:
    return {
        "years": [str(y.year) for y in years],
        "series": {name: [y.total[name] for y in years] for name in CATEGORIES},
    }


def _month_day(month: int, on: int, lang: str) -> str:
    """1 Jun / 1er juin: a day of every year."""
    return day(date(2001, month, on), lang).rsplit(" ", 1)[0]


def mount_ahead_pages(router: APIRouter, application: Application, render: Render) -> None:
    reads = application.reads
    policies = application.policies

    @router.get("/forecast", response_class=HTMLResponse)
    async def forecast_page(
        request: Request,
        who: Who,
        first_year: Annotated[int | None, Query(alias="from", ge=2000, le=2100)] = None,
        years: Annotated[int, Query(ge=1, le=MAX_FORECAST_YEARS)] = 5,
    ) -> HTMLResponse:
        start = first_year or datetime.now(UTC).year
        form: dict[str, Any] = {"first_year": start, "years": years, "most": MAX_FORECAST_YEARS}
        try:
            rows = await reads.forecast(who.person.actor, start, years)
        except Refusal as refusal:
            if refusal.kind in (Kind.INPUT, Kind.RULE):
                raise refused_query(refusal) from refusal
            status = HTTP_STATUS[refusal.kind]
            # a reviewer: said at the top, nothing else
            return render(request, "forecast.html", who, status, refusal=refusal.message, **form)
        shown = by_year(rows, start, years)
        return render(
            request,
            "forecast.html",
            who,
            refusal=None,
            shown=shown,
            categories=CATEGORIES,
            chart=_chart(shown),
            labels={c: translator(who.lang)(f"forecast.{c}") for c in CATEGORIES},
            mine=who.person.role is Role.COORDINATOR,
            **form,
        )

    @router.get("/policy", response_class=HTMLResponse)
    async def policy_page(request: Request, who: Who) -> HTMLResponse:
        if not may_read_policy(who.person):
            status = HTTP_STATUS[Kind.PERMISSION]
            return render(request, "policy.html", who, status, refused=True)
        book = await policies.book()
        current = book.in_force(datetime.now(UTC))
        return render(
            request,
            "policy.html",
            who,
            refused=False,
            current=current,
            versions=list(reversed(book.versions)),
            call=_call(current, who.lang),
        )


def _call(version: PolicyVersion, lang: str) -> dict[str, str]:
    c = version.policy.iea_call
    return {
        "opens": _month_day(c.opens_month, c.opens_day, lang),
        "closes": _month_day(c.closes_month, c.closes_day, lang),
    }

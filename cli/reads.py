"""Questions from the command line. They read PostgreSQL only, so they work whether or not
`collab up` is running (the read models are as its projector last left them)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from application.language import deadline_in, terminal_language
from application.portfolio_query import PortfolioQuery
from application.reads import OPERATOR
from application.service import Application
from cli.errors import USAGE, CliError
from readmodels.forecast import ForecastRow
from readmodels.queries import DeadlineRow, ProjectRow

_DURATION = re.compile(r"^(\d+)([dwy])$")


def parse_within(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise CliError(f"--within: expected a duration like 30d, 12w or 1y; got {text!r}", USAGE)
    n, unit = int(match[1]), match[2]
    return timedelta(days=n * {"d": 1, "w": 7, "y": 365}[unit])


def _progress(label: str) -> Any:
    def show(n: int) -> None:
        print(f"\r{label}: {n} events", end="", file=sys.stderr, flush=True)

    return show


def _eur(amount: int | None) -> str:
    return "-" if amount is None else f"{amount:,}"


def _day(moment: datetime | None) -> str:
    return "-" if moment is None else moment.date().isoformat()


def portfolio_table(rows: Sequence[ProjectRow]) -> str:
    head = (
        f"{'project':<16} {'instr':<5} {'state':<17} {'countries':<14} "
        f"{'term awd':>9} {'all awd':>9} {'released':>9} {'withheld':>9} {'to come':>9} "
        f"{'co-fund':>9}  term"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        term = f"{_day(r.term_starts_at)} → {_day(r.term_ends_at)}" if r.term_number else "-"
        lines.append(
            f"{r.project_id:<16} {r.instrument:<5} {r.phase:<17} {','.join(r.countries):<14} "
            f"{_eur(r.awarded_eur):>9} {_eur(r.total_awarded_eur):>9} {_eur(r.released_eur):>9} "
            f"{_eur(r.withheld_eur):>9} {_eur(r.to_come_eur):>9} {_eur(r.cofunding_eur):>9}  {term}"
        )
    return "\n".join(lines)


def deadlines_table(rows: list[DeadlineRow], lang: str = "en") -> str:
    rows = [deadline_in(d, lang) for d in rows]
    lines = [f"{'due':<10} {'project':<16} {'kind':<12} what", "-" * 60]
    lines += [f"{_day(d.due_at):<10} {d.project_id:<16} {d.kind:<12} {d.label}" for d in rows]
    return "\n".join(lines)


def forecast_table(rows: Sequence[ForecastRow]) -> str:
    head = (
        f"{'year':<5} {'instr':<5} {'institute':<9} {'paid':>9} {'scheduled':>9} "
        f"{'withheld':>9} {'at risk':>9} {'renewals':>9} {'co-fund':>9}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.year:<5} {r.instrument:<5} {r.institute or '-':<9} {_eur(r.paid_eur):>9} "
            f"{_eur(r.scheduled_eur):>9} {_eur(r.withheld_eur):>9} {_eur(r.at_risk_eur):>9} "
            f"{_eur(r.renewals_pending_eur):>9} {_eur(r.cofunding_eur):>9}"
        )
    return "\n".join(lines)


def _more(shown: int, total: int, following: str | None) -> str:
    if following is None:
        return ""
    return f"\n({shown} of {total} shown; the next page: --cursor {following})"


async def run_read(app: Application, args: argparse.Namespace) -> tuple[Any, str]:
    """(JSON-ready object, text for people). The operator on the service's host sees the
    whole portfolio; nothing here writes (the projector keeps the read models)."""
    if args.command == "projections":
        n = await app.maintenance.rebuild(progress=_progress("rebuilding read models"))
        print(file=sys.stderr)
        return {"rebuilt_events": n}, f"read models rebuilt from {n} events"
    if args.command == "list":
        query = PortfolioQuery(instrument=args.instrument, state=args.state)
        shown = await app.reads.portfolio(OPERATOR, query, limit=args.limit, cursor=args.cursor)
        rows, total = shown.rows, shown.totals.projects
        return {
            "projects": [r.model_dump(mode="json") for r in rows],
            "next": shown.next,
            "total": total,
        }, portfolio_table(rows) + _more(len(rows), total, shown.next)
    if args.command == "forecast":
        first = args.first_year or datetime.now(UTC).year
        ahead = await app.reads.forecast(OPERATOR, first, args.years, args.project)
        return {"rows": [r.model_dump(mode="json") for r in ahead]}, forecast_table(ahead)
    if args.command == "deadlines":
        within = parse_within(args.within)
        page = await app.reads.deadlines(OPERATOR, within, limit=args.limit, cursor=args.cursor)
        return (
            {
                "within_days": within.days,
                "deadlines": [d.model_dump(mode="json") for d in page.rows],
                "next": page.next,
                "total": page.total,
            },
            deadlines_table(page.rows, terminal_language())
            + _more(len(page.rows), page.total, page.next),
        )
    if args.command == "status":
        project = await app.reads.project(OPERATOR, args.project)
        due = await app.reads.project_deadlines(OPERATOR, args.project)
        text = portfolio_table([project]) + "\n\n" + deadlines_table(due, terminal_language())
        return {
            "project": ProjectRow.model_validate(project, from_attributes=True).model_dump(
                mode="json"
            ),
            "deadlines": [d.model_dump(mode="json") for d in due],
        }, text
    if args.command == "history":
        found = await app.reads.history(OPERATOR, args.project)
        lines = [
            f"{e.version:>3} {e.type:<30} {_day(e.occurred_at)}  {e.actor.role}:{e.actor.id}"
            + (f"  — {e.reason}" if e.reason else "")
            for e in found.events
        ]
        return found.model_dump(mode="json"), "\n".join(lines)
    raise CliError(f"unknown command {args.command}", USAGE)

"""Questions from the command line. They read PostgreSQL only, so they work whether or not
`collab up` is running: the read models are brought up to date first (exactly once)."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from collab.database import open_store
from collab.errors import USAGE, CliError
from collab.settings import Settings
from readmodels.projector import Projector
from readmodels.queries import (
    DeadlineRow,
    ProjectRow,
    get_project,
    history,
)
from readmodels.views import OPERATOR, PortfolioFilter, deadlines_for, portfolio

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


def portfolio_table(rows: list[ProjectRow]) -> str:
    head = (
        f"{'project':<16} {'instr':<5} {'state':<17} {'countries':<14} "
        f"{'awarded':>9} {'released':>9}  term"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        term = f"{_day(r.term_starts_at)} → {_day(r.term_ends_at)}" if r.term_number else "-"
        lines.append(
            f"{r.project_id:<16} {r.instrument:<5} {r.phase:<17} {','.join(r.countries):<14} "
            f"{_eur(r.awarded_eur):>9} {_eur(r.released_eur):>9}  {term}"
        )
    return "\n".join(lines)


def deadlines_table(rows: list[DeadlineRow]) -> str:
    lines = [f"{'due':<10} {'project':<16} {'kind':<12} what", "-" * 60]
    lines += [f"{_day(d.due_at):<10} {d.project_id:<16} {d.kind:<12} {d.label}" for d in rows]
    return "\n".join(lines)


async def run_read(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    """(JSON-ready object, text for people)."""
    async with open_store(settings) as store:
        projector = Projector(store)
        if args.command == "projections":
            await projector.rebuild(progress=_progress("rebuilding read models"))
            print(file=sys.stderr)
            # not rebuild's own count: `collab up`'s projector may have folded some batches
            n = await projector.projected_events()
            return {"rebuilt_events": n}, f"read models rebuilt from {n} events"
        await projector.catch_up()
        if args.command == "audit":
            broken = await store.verify()
            if broken is None:
                return {"intact": True, "first_break": None}, "every hash chain is intact"
            detail = {
                "project_id": broken.stream_id,
                "version": broken.version,
                "event_id": str(broken.event_id),
                "detail": broken.detail,
            }
            raise CliError(
                f"hash chain broken at {broken.stream_id} v{broken.version} "
                f"(event {broken.event_id}): {broken.detail}",
                payload={"intact": False, "first_break": detail},
            )
        if args.command == "list":
            where = PortfolioFilter(instrument=args.instrument, phase=args.state)
            rows = await portfolio(store, OPERATOR, where)
            return {"projects": [r.model_dump(mode="json") for r in rows]}, portfolio_table(rows)
        if args.command == "deadlines":
            within = parse_within(args.within)
            rows = await deadlines_for(store, OPERATOR, datetime.now(UTC), within)
            return (
                {
                    "within_days": within.days,
                    "deadlines": [d.model_dump(mode="json") for d in rows],
                },
                deadlines_table(rows),
            )
        if args.command == "status":
            project = await get_project(store, args.project)
            if project is None:
                raise CliError(f"project {args.project} not found")
            due = await deadlines_for(
                store, OPERATOR, datetime.now(UTC), timedelta(days=365 * 30), args.project
            )
            text = portfolio_table([project]) + "\n\n" + deadlines_table(due)
            return {
                "project": project.model_dump(mode="json"),
                "deadlines": [d.model_dump(mode="json") for d in due],
            }, text
        if args.command == "history":
            found = await history(store, args.project)
            if found is None:
                raise CliError(f"project {args.project} not found")
            lines = [
                f"{e.version:>3} {e.type:<30} {_day(e.occurred_at)}  {e.actor.role}:{e.actor.id}"
                + (f"  — {e.reason}" if e.reason else "")
                for e in found.events
            ]
            return found.model_dump(mode="json"), "\n".join(lines)
    raise CliError(f"unknown command {args.command}", USAGE)

"""`collab call show YEAR [--json]`, `collab call rank YEAR --institute CODE PROJECT...
--reason ... --as ...` (an institute officer) and `collab call close YEAR --reason ...
[--amount PROJECT=EUR ...] [--refuse PROJECT ...] --as ...` (DERCI): the IEA call round."""

from __future__ import annotations

import argparse
from typing import Any

from application.calls import CallView
from application.language import in_language, terminal_language
from application.service import Application
from cli.errors import USAGE, CliError
from cli.steps import acting_person
from domain.institutes import Institute
from domain.said import Eur

_WHY = {
    "within": "approved",
    "envelope": "beyond the envelope",
    "quota": "beyond the quota",
    "unranked": "not ranked",
    "reviews": "too few reviews",
    "adjusted": "not retained",
}


def add_call_parser(sub: Any, common: Any) -> None:
    p = sub.add_parser("call", help="the IEA call round: applications, rankings, closing")
    call = p.add_subparsers(dest="call_command", required=True)
    s = common(call.add_parser("show", help="a year's call: by institute, the envelope"))
    s.add_argument("year", type=int)
    r = common(call.add_parser("rank", help="an institute's ranking (institute officer)"))
    r.set_defaults(step="rank")
    r.add_argument("year", type=int)
    r.add_argument("projects", nargs="+", metavar="PROJECT", help="best first")
    r.add_argument("--institute", required=True, choices=[i.value for i in Institute])
    r.add_argument("--reason", required=True, help="why this order, in a sentence")
    r.add_argument("--as", dest="actor", metavar="PERSON", help="an institute officer")
    r.add_argument("--role", help=argparse.SUPPRESS)
    c = common(call.add_parser("close", help="close the round and decide every application"))
    c.set_defaults(step="close")
    c.add_argument("year", type=int)
    c.add_argument("--reason", required=True, help="why, in a sentence")
    c.add_argument(
        "--amount", action="append", default=[], metavar="PROJECT=EUR", help="an adjusted award"
    )
    c.add_argument("--refuse", action="append", default=[], metavar="PROJECT")
    c.add_argument("--as", dest="actor", metavar="PERSON", help="a DERCI officer")
    c.add_argument("--role", help=argparse.SUPPRESS)


def _adjustments(args: argparse.Namespace) -> dict[str, int]:
    adjusted = dict.fromkeys(args.refuse, 0)
    for given in args.amount:
        project, _, amount = given.partition("=")
        digits = amount.replace(",", "").replace(" ", "").replace("\u00a0", "")
        if not project or not digits.isdigit() or len(digits) > 9:
            raise CliError(f"--amount: {given!r} is not PROJECT=EUR (e.g. IEA-12=11000)", USAGE)
        adjusted[project] = int(digits)
    return adjusted


async def run_call(app: Application, args: argparse.Namespace) -> tuple[Any, str]:
    if args.call_command == "rank":
        person = await acting_person(app, args, {})
        ranking = await app.calls.rank(
            person, args.year, Institute(args.institute), args.projects, args.reason
        )
        shown = ranking.model_dump(mode="json")
        return shown, f"{ranking.institute} ranking of IEA-{args.year}: " + ", ".join(
            f"{n}. {p}" for n, p in enumerate(ranking.ranking, start=1)
        )
    if args.call_command == "close":
        adjustments = _adjustments(args)
        person = await acting_person(app, args, {})
        outcome = await app.calls.close(person, args.year, args.reason, adjustments)
        text = (
            f"{outcome.call_id} closed: {outcome.approved} approved, {outcome.refused} not "
            f"retained, {in_language(Eur(outcome.used_eur), terminal_language())} used"
        )
        for pid, why in sorted(outcome.pending.items()):
            text += f"\n  {pid}: not decided yet ({why}); close again to retry"
        return outcome.model_dump(mode="json"), text
    view = await app.calls.show(args.year)
    return view.model_dump(mode="json"), call_text(view)


def call_text(view: CallView) -> str:
    lang = terminal_language()

    def eur(amount: int | None) -> str:
        return "-" if amount is None else in_language(Eur(amount), lang)

    lines = [
        f"{view.call_id} ({view.stage}): open {view.window.opens_at.date()} to "
        f"{view.window.closes_at.date()}; envelope {eur(view.envelope_eur)}, "
        f"{'used' if view.stage == 'closed' else 'proposed'} {eur(view.used_eur)}, "
        f"left {eur(view.left_eur)}"
    ]
    by_institute: dict[str, list[Any]] = {}
    for row in view.applications:
        key = row.candidate.institute.value if row.candidate.institute else "-"
        by_institute.setdefault(key, []).append(row)
    for institute, rows in sorted(by_institute.items()):
        quota = view.quotas.get(Institute(institute)) if institute != "-" else None
        lines.append(f"{institute}" + (f" (quota {quota})" if quota is not None else ""))
        rows.sort(key=lambda r: (r.rank or 10_000, r.candidate.project_id))
        for row in rows:
            c, placed = row.candidate, row.placement
            score = f"{c.mean_score:.2f}" if c.mean_score is not None else "-"
            verdict = _WHY[placed.why] if placed else c.phase.value
            amount = f" {eur(placed.amount_eur)}" if placed and placed.approve else ""
            lines.append(
                f"  {row.rank or '-':>3} {c.project_id:<20} {c.phase.value:<16} score {score:<5}"
                f" asks {eur(c.requested_eur):<12} {verdict}{amount}"
            )
    for title, rates in (("by institute", view.by_institute), ("by country", view.by_country)):
        if rates:
            lines.append(
                f"success {title}: "
                + ", ".join(f"{s.key} {s.funded}/{s.applications}" for s in rates)
            )
    return "\n".join(lines)

"""`collab recover [--dry-run]` and `collab reconcile`: the lives back from the record when
Temporal's store was lost (application.recovery). Run on the service's host, as the
operator."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from application.service import Application


def add_recovery_parsers(sub: Any, common: Any) -> None:
    p = common(
        sub.add_parser(
            "recover",
            help="start again, from their events, the unfinished projects no workflow runs",
        )
    )
    p.add_argument("--dry-run", action="store_true", help="list them; start nothing")
    common(
        sub.add_parser(
            "reconcile", help="compare each running workflow's state with its events' fold"
        )
    )


async def run_recovery(app: Application, args: argparse.Namespace) -> tuple[Any, str]:
    if args.command == "recover":
        done = await app.recovery.recover(dry_run=args.dry_run)
        verb = "would start" if args.dry_run else "started"
        lines = [f"{len(done)} project(s) {verb} again from their events"]
        lines += [f"  {r.project_id}: {r.phase}, version {r.version}" for r in done]
        return {"recovered": [asdict(r) for r in done], "dry_run": args.dry_run}, "\n".join(lines)
    found = await app.recovery.reconcile()
    lines = [f"{len(found)} difference(s) between the workflows and the record"]
    lines += [f"  {d.project_id}: record {d.recorded}, workflow {d.running}" for d in found]
    return {"differences": [asdict(d) for d in found]}, "\n".join(lines)

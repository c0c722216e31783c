"""`collab import FILE [--dry-run]`: bring running projects in from a YAML, JSON or CSV file
(application.imports). Exit 0 when no entry was refused, 1 otherwise; `--json` prints
`{"created", "unchanged", "refused": [{"index", "line", "project_id", "message"}]}`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from application.imports import ImportReport
from application.service import Application
from cli.errors import REFUSED, USAGE, CliError
from cli.steps import acting_person
from domain.actors import Role


def add_import_parser(sub: Any, common: Any) -> None:
    p = common(
        sub.add_parser(
            "import",
            help="bring running projects in from a YAML, JSON or CSV file (DERCI officers)",
        )
    )
    p.set_defaults(step="import", parser=p)
    p.add_argument("file", help="a list of entries (.yaml, .json) or a spreadsheet (.csv)")
    p.add_argument("--dry-run", action="store_true", help="check every entry; create nothing")
    p.add_argument("--as", dest="actor", metavar="PERSON", help="who imports: a DERCI officer")
    p.add_argument("--role", choices=[r.value for r in Role if r is not Role.SYSTEM])


async def run_import(app: Application, args: argparse.Namespace) -> tuple[Any, str, int]:
    path = Path(args.file)
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError as err:
        raise CliError(f"{path}: cannot read ({err.strerror})", USAGE) from err
    person = await acting_person(app, args, {})
    report = await app.imports.run(person, path.name, content, dry_run=args.dry_run)
    return report.as_json(), _text(report), REFUSED if report.refused else 0


def _text(report: ImportReport) -> str:
    verb = "would be created" if report.dry_run else "created"
    lines = [
        f"{len(report.created)} {verb}, {len(report.unchanged)} unchanged (already imported), "
        f"{len(report.refused)} refused"
    ]
    lines += [f"  created: {pid}" for pid in report.created]
    lines += [f"  unchanged: {pid}" for pid in report.unchanged]
    for r in report.refused:
        where = f"line {r.line}" if r.line is not None else f"entry {r.index}"
        lines.append(f"  refused ({where}, {r.project_id or 'no project id'}): {r.message}")
    return "\n".join(lines)

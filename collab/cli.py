"""`collab`: run the service, take human steps, ask questions.

Exit codes: 0 ok; 1 refused by a rule or not found (one line on stderr); 2 usage.
Every command takes --json (stable shapes, documented in the README) and --data-dir.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import warnings
from pathlib import Path
from typing import Any

from collab.catalog import instruments_catalog
from collab.errors import USAGE, CliError
from collab.logging_setup import configure_logging
from collab.settings import Settings
from domain.actors import Role
from domain.events import Recommendation
from domain.instruments import InstrumentCode
from domain.state import Phase
from eventstore.errors import EventStoreError


def _instruments_text(rows: list[dict[str, Any]]) -> str:
    header = (
        f"{'code':<5} {'name':<34} {'term':>4}  {'CNRS funding (EUR)':<18} {'entry':<15} partners"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        funding = f"{r['funding_min_eur']:,}–{r['funding_max_eur']:,}"
        lines.append(
            f"{r['code']:<5} {r['name']:<34} {r['term_years']:>2} y  {funding:<18} "
            f"{r['entry']:<15} {r['partner_rules']['summary']}"
        )
    return "\n".join(lines)


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


def _print(args: argparse.Namespace, obj: Any, text: str) -> None:
    if args.json:
        print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))
    else:
        print(text)


async def _until_signal(main: Any) -> None:
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def dispatch(args: argparse.Namespace) -> int:
    settings = _settings(args)
    command = args.command
    service = command in ("up", "worker", "projector", "api")
    configure_logging(settings.log_format, settings.log_level if service else "WARNING")
    if command == "instruments":
        rows = instruments_catalog()
        _print(args, rows, _instruments_text(rows))
        return 0
    if command == "up":
        from collab.runtime import run_service

        asyncio.run(_until_signal(run_service(settings)))
        return 0
    if command == "worker":
        import worker

        asyncio.run(_until_signal(worker.run_worker(settings)))
        return 0
    if command == "projector":
        from collab.runtime import run_projector

        asyncio.run(_until_signal(run_projector(settings)))
        return 0
    if command == "api":
        from collab.runtime import run_api

        asyncio.run(_until_signal(run_api(settings)))
        return 0
    if command == "demo":
        from collab.demo import run_demo

        # the demo's projects live years ahead on a clock of their own, with no workflow on
        # the service's Temporal: never mix them with the service's data (nor e-mail their
        # reminders), so by default they go to a data dir of their own
        demo_dir = settings.data_dir if args.data_dir else settings.data_dir / "demo"
        demo = settings.model_copy(update={"data_dir": demo_dir, "database_url": None})
        return run_demo(demo, as_json=args.json)
    if command == "step":
        from collab.cli_steps import run_step

        result = asyncio.run(run_step(args, settings))
        _print(
            args,
            result.model_dump(mode="json"),
            f"{result.project_id}: {', '.join(result.events)} → {result.phase.value} "
            f"(version {result.version})",
        )
        return 0
    if command == "users":
        from collab.cli_users import run_users

        obj, text = asyncio.run(run_users(args, settings))
        _print(args, obj, text)
        return 0
    from collab.cli_reads import run_read

    obj, text = asyncio.run(run_read(args, settings))
    _print(args, obj, text)
    return 0


def _common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--data-dir", help="data directory of the embedded servers (COLLAB_DATA_DIR)")
    return p


def _step(
    sub: Any, name: str, help: str, role: Role | None, *, project: bool = True
) -> argparse.ArgumentParser:
    # every step names who acts, but for a submission, whose coordinator it is by default
    p = _common(sub.add_parser(name, help=help))
    p.set_defaults(command="step", step=name)
    if project:
        p.add_argument("project", help="project id")
    p.add_argument("--as", dest="actor", required=project, help="who acts (person id)")
    roles = [r.value for r in Role]
    p.add_argument(
        "--role", default=(role or Role.COORDINATOR).value, choices=roles, help="the actor's role"
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collab", description="Lifecycle of CNRS international collaboration instruments"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    _common(sub.add_parser("instruments", help="the four instruments and their rules"))
    _common(sub.add_parser("up", help="run everything (embedded servers unless configured)"))
    _common(sub.add_parser("worker", help="run only the worker, against configured servers"))
    _common(sub.add_parser("projector", help="run only the read-model projector"))
    _common(sub.add_parser("api", help="run only the HTTP API, against configured servers"))
    _common(sub.add_parser("demo", help="a realistic portfolio on the time-skipping server"))

    p = _step(sub, "submit", "submit an application (JSON or YAML file)", None, project=False)
    p.add_argument("file", help="the application: project_id and the application's fields")
    p = _step(sub, "assign-reviewer", "assign a reviewer", Role.INSTITUTE_OFFICER)
    p.add_argument("--reviewer", required=True, help="reviewer id")
    p.add_argument("--name", required=True)
    p.add_argument("--lab", required=True)
    p.add_argument("--country", required=True, help="ISO 3166-1 alpha-2")
    p = _step(sub, "review", "submit a review", Role.REVIEWER)
    p.add_argument("--score", action="append", default=[], help="NAME=1..5 (repeatable)")
    p.add_argument("--recommendation", required=True, choices=[r.value for r in Recommendation])
    p = _step(sub, "decide", "approve or reject an application", Role.INSTITUTE_OFFICER)
    p.add_argument("decision", choices=["approve", "reject"])
    p.add_argument("--amount", type=int, help="awarded EUR (approve)")
    p.add_argument("--start", help="term start: YYYY-MM-DD or ISO timestamp (direct contact)")
    p.add_argument("--reason", required=True)
    p = _step(sub, "report-submit", "hand in a report (coordinator)", None)
    p.add_argument("report", help="report id, e.g. term1-year1 or final")
    p.add_argument("--summary", required=True)
    p = _step(sub, "report-review", "accept or reject a report", Role.DERCI_OFFICER)
    p.add_argument("report")
    p.add_argument("verdict", choices=["accept", "reject"])
    p.add_argument("--reason", required=True)
    p = _step(sub, "renewal-request", "request renewal (coordinator)", None)
    p.add_argument("--amount", type=int, required=True, help="requested EUR for the next term")
    p = _step(sub, "renewal-decide", "grant or refuse a renewal", Role.INSTITUTE_OFFICER)
    p.add_argument("decision", choices=["grant", "refuse"])
    p.add_argument("--amount", type=int, help="awarded EUR for the next term (grant)")
    p.add_argument("--reason", required=True)
    p = _step(sub, "terminate", "terminate a project early (DERCI)", Role.DERCI_OFFICER)
    p.add_argument("--reason", required=True)
    p = _step(sub, "link-successor", "link an IEA to its successor IRP", Role.DERCI_OFFICER)
    p.add_argument("successor", help="the successor project id")
    p.add_argument(
        "--successor-instrument", default=InstrumentCode.IRP.value, choices=["IRP", "IRL", "IRN"]
    )

    p = _common(sub.add_parser("status", help="a project's state and what falls due"))
    p.add_argument("project")
    p = _common(sub.add_parser("list", help="the portfolio"))
    p.add_argument("--instrument", choices=[c.value for c in InstrumentCode])
    p.add_argument("--state", choices=[ph.value for ph in Phase])
    p = _common(sub.add_parser("deadlines", help="what falls due (overdue included)"))
    p.add_argument("--within", default="90d", help="horizon, e.g. 30d, 12w, 1y (default 90d)")
    p = _common(sub.add_parser("history", help="a project's decision history"))
    p.add_argument("project")
    p = sub.add_parser("audit", help="tamper evidence")
    audit = p.add_subparsers(dest="audit_command", required=True)
    _common(audit.add_parser("verify", help="re-check every hash chain"))
    p = sub.add_parser("users", help="people, their roles and tokens")
    users = p.add_subparsers(dest="users_command", required=True)
    u = _common(users.add_parser("add", help="register a person; prints their token once"))
    u.add_argument("person_id")
    u.add_argument("--name", required=True)
    u.add_argument("--email", required=True)
    u.add_argument("--lab", required=True)
    u.add_argument("--country", required=True, help="ISO 3166-1 alpha-2")
    u.add_argument("--role", required=True, choices=[r.value for r in Role if r is not Role.SYSTEM])
    _common(users.add_parser("list", help="everyone registered"))
    u = _common(users.add_parser("revoke", help="revoke a person's token"))
    u.add_argument("person_id")
    p = sub.add_parser("projections", help="read models")
    proj = p.add_subparsers(dest="projections_command", required=True)
    _common(proj.add_parser("rebuild", help="rebuild the read models from the events"))
    return parser


def main(argv: list[str] | None = None) -> None:
    # platformdirs (under the embedded PostgreSQL) warns when XDG_RUNTIME_DIR is unset
    warnings.filterwarnings("ignore", module="platformdirs")
    args = build_parser().parse_args(argv)
    try:
        code = dispatch(args)
    except EventStoreError as err:
        print(f"collab: database: {err}", file=sys.stderr)
        code = 1
    except CliError as err:
        if args.json and err.payload is not None:
            print(json.dumps(err.payload, indent=2, ensure_ascii=False, default=str))
        print(f"collab: {err.message}", file=sys.stderr)
        code = err.code
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    # Temporal's core runtime can abort the interpreter while it finalizes ("PyGILState_
    # Release"), turning a clean exit into SIGABRT: the work is done and flushed, leave now
    os._exit(code if code is not None else USAGE)


if __name__ == "__main__":
    main()

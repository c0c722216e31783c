"""`collab`'s command line: its parser, and the commands that are not the service's own
(human steps, questions, the directory), run over the application layer they are given.

Exit codes: 0 ok; 1 refused by a rule, not found or not permitted (one line on stderr);
2 usage. Every command takes --json (stable shapes, documented in the README) and
--data-dir.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from application.catalog import instruments_catalog
from application.language import in_language, terminal_language
from application.refusals import Refusal
from application.service import Application
from cli.audit import check_proof_offline, run_audit
from cli.backup import add_backup_parsers, run_backup
from cli.calls import add_call_parser, run_call
from cli.errors import REFUSED, CliError
from cli.imports import add_import_parser, run_import
from cli.policy import add_policy_parser, run_policy
from cli.privacy import add_privacy_parser, run_privacy
from cli.reads import run_read
from cli.recovery import add_recovery_parsers, run_recovery
from cli.steps import add_step_parsers, run_step
from cli.users import run_users
from domain.actors import Role
from domain.instruments import InstrumentCode
from domain.state import Phase
from readmodels.paging import MAX_PAGE_SIZE, PAGE_SIZE


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


def show(args: argparse.Namespace, obj: Any, text: str) -> None:
    if args.json:
        print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))
    else:
        print(text)


# the commands the composition root runs itself (collab.main); the others come here
SERVICE_COMMANDS = ("up", "worker", "projector", "api", "demo", "migrate")


def needs_workflows(args: argparse.Namespace) -> bool:
    """Whether the command takes a step (and so needs Temporal)."""
    if args.command in ("recover", "reconcile"):
        return True
    if args.command == "call" and args.call_command == "close":
        return True
    if args.command == "privacy" and args.privacy_command == "erase":
        return True  # running projects are told to forget the person
    return bool(args.command == "step" or (args.command == "import" and not args.dry_run))


def offline(args: argparse.Namespace) -> bool:
    """Commands that need neither the database nor Temporal."""
    command: str = args.command
    return command == "instruments" or (
        command == "audit" and getattr(args, "audit_command", None) == "check-proof"
    )


def run_offline(args: argparse.Namespace) -> int:
    try:
        if args.command == "instruments":
            rows = instruments_catalog()
            show(args, rows, _instruments_text(rows))
        else:
            show(args, *check_proof_offline(args))
    except Refusal as refusal:
        raise CliError(in_language(refusal.message, terminal_language()), REFUSED) from refusal
    return 0


async def run(app: Application, args: argparse.Namespace) -> int:
    """A step, a question or a directory command, as `app` answers it. A refusal becomes
    one line on stderr (and, with --json, its shape on stdout) and exit code 1."""
    try:
        if args.command == "step":
            result = await run_step(app, args)
            obj: Any = result.model_dump(mode="json")
            text = (
                f"{result.project_id}: {', '.join(result.events)} → {result.phase.value} "
                f"(version {result.version})"
            )
        elif args.command == "import":
            obj, text, code = await run_import(app, args)
            show(args, obj, text)
            return code
        elif args.command == "users":
            obj, text = await run_users(app, args)
        elif args.command == "policy":
            obj, text = await run_policy(app, args)
        elif args.command == "call":
            obj, text = await run_call(app, args)
        elif args.command == "privacy":
            obj, text = await run_privacy(app, args)
        elif args.command in ("recover", "reconcile"):
            obj, text = await run_recovery(app, args)
        elif args.command == "audit":
            obj, text = await run_audit(app, args)
        elif args.command in ("backup", "restore"):
            obj, text = await run_backup(app, args)
        else:
            obj, text = await run_read(app, args)
    except Refusal as refusal:
        message = in_language(refusal.message, terminal_language())
        raise CliError(
            message,
            REFUSED,
            {
                "refused": {
                    "kind": refusal.kind.value,
                    "rule": refusal.rule,
                    "field": refusal.field,
                    "message": message,
                }
            },
        ) from refusal
    show(args, obj, text)
    return 0


def _common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--data-dir", help="data directory of the embedded servers (COLLAB_DATA_DIR)")
    return p


def _paged(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--limit",
        type=_page_size,
        metavar="N",
        help=f"rows a page holds, 1 to {MAX_PAGE_SIZE} (default {PAGE_SIZE})",
    )
    parser.add_argument(
        "--cursor", metavar="NEXT", help="the page after the one that printed this cursor"
    )


def _page_size(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"a page holds 1 to {MAX_PAGE_SIZE} rows, not {value!r}")
    return int(value)


def _key_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key-id",
        metavar="ID",
        type=_hex16,
        help="the signing key's id you were given: refuse a digest signed by any other",
    )


def _hex16(value: str) -> str:
    if len(value) != 16 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise argparse.ArgumentTypeError(f"a key id is 16 hexadecimal digits, not {value!r}")
    return value


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
    _common(
        sub.add_parser(
            "migrate",
            help="migrate the database as its owner (COLLAB_DATABASE_URL), then exit: "
            "the step before services that hold only COLLAB_DATABASE_APP_URL",
        )
    )

    add_step_parsers(sub, _common)
    add_import_parser(sub, _common)

    p = _common(sub.add_parser("status", help="a project's state and what falls due"))
    p.add_argument("project")
    p = _common(sub.add_parser("list", help="the portfolio"))
    p.add_argument("--instrument", choices=[c.value for c in InstrumentCode])
    p.add_argument("--state", choices=[ph.value for ph in Phase])
    _paged(p)
    p = _common(sub.add_parser("deadlines", help="what falls due (overdue included)"))
    p.add_argument("--within", default="90d", help="horizon, e.g. 30d, 12w, 1y (default 90d)")
    _paged(p)
    p = _common(sub.add_parser("forecast", help="the money ahead, year by year"))
    p.add_argument("--from", dest="first_year", type=int, help="first year (default: this one)")
    p.add_argument("--years", type=int, default=5, help="how many years (default 5, at most 10)")
    p.add_argument("--project", help="one project only")
    p = _common(sub.add_parser("history", help="a project's decision history"))
    p.add_argument("project")
    p = sub.add_parser("audit", help="tamper evidence")
    audit = p.add_subparsers(dest="audit_command", required=True)
    a = _common(
        audit.add_parser(
            "verify",
            help="re-check every hash chain and the ledger; with --digest, that it extends it",
        )
    )
    a.add_argument("--digest", metavar="FILE", help="a signed digest kept from `audit digest`")
    _key_id(a)
    a = _common(audit.add_parser("digest", help="seal the ledger and sign its head"))
    a.add_argument("--out", metavar="FILE", help="write the digest there (default: stdout)")
    a = _common(audit.add_parser("prove", help="an event's inclusion proof against a digest"))
    a.add_argument("event_id", metavar="EVENT_ID")
    a.add_argument("--digest", metavar="FILE", required=True)
    _key_id(a)
    a = _common(audit.add_parser("check-proof", help="check an inclusion proof; needs no database"))
    a.add_argument("proof", metavar="PROOF")
    a.add_argument("--digest", metavar="FILE", required=True)
    _key_id(a)
    add_policy_parser(sub, _common)
    add_call_parser(sub, _common)
    add_privacy_parser(sub, _common)
    add_recovery_parsers(sub, _common)
    add_backup_parsers(sub, _common)
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
    u = _common(
        users.add_parser(
            "link-subject", help="the subject the identity provider gives a person (sign-on)"
        )
    )
    u.add_argument("person_id")
    u.add_argument("--issuer", required=True, help="the provider's issuer (its discovery's)")
    u.add_argument("--subject", required=True, help="the person's `sub` at that provider")
    u = _common(users.add_parser("changes", help="who changed the directory, and when"))
    u.add_argument("person_id", nargs="?", help="one person's changes (default: all)")
    u = _common(users.add_parser("revoke", help="revoke a person's token"))
    u.add_argument("person_id")
    p = sub.add_parser("projections", help="read models")
    proj = p.add_subparsers(dest="projections_command", required=True)
    _common(proj.add_parser("rebuild", help="rebuild the read models from the events"))
    return parser

"""`collab policy show [--json]` and `collab policy set FILE --effective DATE --reason ...
--as ...`: the policy in force, its versions, and a DERCI officer's new version (a YAML or
JSON document of domain.policy.Policy's fields; those it omits keep the code's defaults)."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from application.service import Application
from cli.errors import USAGE, CliError
from cli.steps import acting_person
from domain.actors import Role
from domain.policy_versions import PolicyVersion


def add_policy_parser(sub: Any, common: Any) -> None:
    p = sub.add_parser("policy", help="the policy in force and its versions")
    policy = p.add_subparsers(dest="policy_command", required=True)
    common(policy.add_parser("show", help="the policy in force today and every version"))
    s = common(policy.add_parser("set", help="a new version, effective from a day (DERCI)"))
    s.set_defaults(step="policy")
    s.add_argument("file", help="the policy document (.yaml or .json)")
    s.add_argument("--effective", required=True, help="its first day, YYYY-MM-DD")
    s.add_argument("--reason", required=True, help="why, in a sentence")
    s.add_argument("--as", dest="actor", metavar="PERSON", help="who sets it: a DERCI officer")
    s.add_argument("--role", choices=[r.value for r in Role if r is not Role.SYSTEM])


def _version(v: PolicyVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "effective_at": v.effective_at.date().isoformat(),
        "set_by": v.set_by,
        "set_at": v.set_at.isoformat() if v.set_at else None,
        "reason": v.reason,
        "policy": v.policy.model_dump(mode="json"),
    }


async def run_policy(app: Application, args: argparse.Namespace) -> tuple[Any, str]:
    if args.policy_command == "set":
        try:
            effective = date.fromisoformat(args.effective)
        except ValueError as err:
            raise CliError(
                f"--effective: {args.effective} is not a day (YYYY-MM-DD)", USAGE
            ) from err
        path = Path(args.file)
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8")
            document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (OSError, ValueError, yaml.YAMLError) as err:
            raise CliError(f"{path}: cannot read a policy document ({err})", USAGE) from err
        person = await acting_person(app, args, {})
        made = await app.policies.set(person, document or {}, effective, args.reason)
        return _version(made), (
            f"policy version {made.version} set by {made.set_by}, in force from "
            f"{made.effective_at.date()} for what starts from then"
        )
    book = await app.policies.book()
    now = datetime.now(UTC)
    current = book.in_force(now)
    lines = [f"in force today: version {current.version}"]
    for v in book.versions:
        who = f"set by {v.set_by} on {v.set_at.date()}: {v.reason}" if v.set_at else "the default"
        lines.append(f"  version {v.version}, from {v.effective_at.date()} ({who})")
    shown = {"in_force": current.version, "versions": [_version(v) for v in book.versions]}
    return shown, "\n".join(lines)

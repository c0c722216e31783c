"""The human steps as subcommands, derived from their declarations (domain.declarations):
each input field becomes a flag, a positional or a verdict word, and what is typed goes to
the application layer as the API's body would. Who acts is a registered person: `--as`
names them in the directory (on the service's host), or `COLLAB_TOKEN` holds their token;
their role, lab and country are the directory's."""

from __future__ import annotations

import argparse
import enum
import os
import sys
import typing
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from application.refusals import Kind, Refusal
from application.service import Application
from cli.application_file import load_application
from cli.errors import USAGE, CliError
from domain.actors import Role
from domain.declarations import BY_CLI_NAME, Declaration, PersonStep
from domain.fields import plain_type
from identity.people import Person
from workflows.messages import StepResult

TOKEN_ENV = "COLLAB_TOKEN"


def add_step_parsers(sub: Any, common: Any) -> None:
    groups: dict[str, Any] = {}  # "amend budget" is `amend PROJECT budget ...`
    for name, declared in BY_CLI_NAME.items():
        step = declared.person
        assert step is not None
        group, _, kind = name.partition(" ")
        if kind:
            assert step.on_project, name
            if group not in groups:
                g = sub.add_parser(group, help=f"{group} a project: {group} PROJECT KIND ...")
                g.add_argument("project", metavar="PROJECT", help="project id")
                groups[group] = g.add_subparsers(
                    dest=f"{group}_kind", metavar="KIND", required=True
                )
            p = common(groups[group].add_parser(kind, help=_help(declared)))
        else:
            p = common(sub.add_parser(name, help=_help(declared)))
            if step.on_project:
                p.add_argument("project", help="project id")
        p.set_defaults(command="step", step=name, parser=p)
        for key in step.path_fields:
            p.add_argument(key, metavar=step.cli.get(key, key).upper(), help=key)
        if step.from_file:
            p.add_argument("file", help="JSON or YAML: project_id and the application's fields")
        else:
            for field, info in step.input.model_fields.items():
                _add_field(p, step, field, info)
        p.add_argument(
            "--as",
            dest="actor",
            metavar="PERSON",
            help="who acts: a person of the directory"
            + (" (default: the file's coordinator)" if step.from_file else "")
            + f"; or set {TOKEN_ENV} to their token",
        )
        p.add_argument(
            "--role",
            choices=[r.value for r in Role if r is not Role.SYSTEM],
            help="the role you expect to act in: refused if the directory says otherwise",
        )


def _help(declared: Declaration) -> str:
    roles = ", ".join(sorted(r.value for r in declared.roles if r is not Role.SYSTEM))
    return f"{declared.name} ({roles})"


def _add_field(p: argparse.ArgumentParser, step: PersonStep, field: str, info: FieldInfo) -> None:
    kind = plain_type(info.annotation)
    if step.verdict is not None and kind is bool:
        p.add_argument(field, choices=list(step.verdict), metavar="|".join(step.verdict))
        return
    flag = step.cli.get(field, "--" + field.replace("_", "-"))
    if kind is bool:  # a yes/no beside the step's verdict: a flag, given or not
        p.add_argument(flag, dest=field, action="store_true", help=info.description)
        return
    enumerated = isinstance(kind, type) and issubclass(kind, enum.Enum)
    choices = [m.value for m in kind] if enumerated else None
    if not flag.startswith("-"):
        p.add_argument(field, metavar=flag.upper(), help=info.description, choices=choices)
        return
    if typing.get_origin(kind) is dict or kind is dict:
        p.add_argument(
            flag,
            dest=field,
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help=(info.description or field) + " (repeatable)",
        )
        return
    p.add_argument(
        flag,
        dest=field,
        required=info.is_required(),
        help=info.description,
        choices=choices,
        default=None,
    )


def typed_input(args: argparse.Namespace, declared: Declaration) -> dict[str, Any]:
    """What was typed, as the step's input (and path) fields."""
    step = declared.person
    assert step is not None
    if step.from_file:
        return load_application(Path(args.file))
    typed: dict[str, Any] = {key: getattr(args, key) for key in step.path_fields}
    for field, info in step.input.model_fields.items():
        value = getattr(args, field, None)
        kind = plain_type(info.annotation)
        if step.verdict is not None and kind is bool:
            typed[field] = value == step.verdict[0]
        elif typing.get_origin(kind) is dict:
            typed[field] = _pairs(step.cli.get(field, field), value or [])
        elif value is not None:
            typed[field] = value
    return typed


def _pairs(flag: str, pairs: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CliError(f"{flag}: expected NAME=VALUE; got {pair!r}", USAGE)
        found[name.strip()] = value.strip()
    return found


async def acting_person(
    app: Application, args: argparse.Namespace, typed: dict[str, Any]
) -> Person:
    """The directory's person behind --as or COLLAB_TOKEN (a submission: by default its
    coordinator). A --role the directory contradicts is refused, never taken."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        person = await app.identities.by_token(token)
        if args.actor and args.actor != person.person_id:
            raise Refusal(
                Kind.IDENTITY,
                f"--as: {args.actor} is not the person of {TOKEN_ENV} ({person.person_id})",
                "person.token",
                "as",
            )
    elif args.actor:
        # on the service's host, with the database's rights: an operator acting for them
        person = await app.identities.by_id(args.actor)
    elif args.step == "submit" and isinstance(typed.get("application"), dict):
        coordinator = typed["application"].get("coordinator") or {}
        if not isinstance(coordinator, dict) or not coordinator.get("id"):
            raise CliError("--as: name who submits (the file names no coordinator id)", USAGE)
        person = await app.identities.by_id(str(coordinator["id"]))
    else:
        args.parser.error(f"who acts is required: --as PERSON, or {TOKEN_ENV}")
    if args.role and args.role != person.role.value:
        raise Refusal(
            Kind.IDENTITY,
            f"--role: {person.person_id} is a {person.role.value} in the directory, "
            f"not a {args.role}",
            "person.role",
            "role",
        )
    return person


async def run_step(app: Application, args: argparse.Namespace) -> StepResult:
    declared = BY_CLI_NAME[args.step]
    typed = typed_input(args, declared)
    person = await acting_person(app, args, typed)
    try:
        result = await app.steps.take(declared, person, typed, getattr(args, "project", None))
    except Refusal as refusal:
        if declared.person is not None and declared.person.from_file:
            # the file has the application's fields at its top level: name them so
            refusal.message = refusal.message.removeprefix("application.")
        raise
    # read-your-writes for the next command: the read models reflect this step
    if not await app.reads.settle(result.position):
        print(
            "collab: recorded; the read models do not show it yet (is the projector running?)",
            file=sys.stderr,
        )
    return result

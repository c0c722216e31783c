"""Every command is declared once (domain.declarations) and every entry point is derived
from that declaration: a command missing its endpoint, form, CLI subcommand, roles or
labels in either language fails here."""

from __future__ import annotations

import ast
import secrets
import typing
from pathlib import Path

import pytest

from application.service import assemble
from cli.commands import build_parser
from collab.http import http_app
from domain.actors import Role
from domain.call_round import ROUND_STEPS
from domain.commands import Command, CommandBase
from domain.declarations import BY_CLI_NAME, DECLARATIONS, DECLARED, PERSON_STEPS
from web.forms import FORMS
from web.i18n import MESSAGES

ROOT = Path(__file__).resolve().parents[1]
PERSON_DECLARATIONS = [d for d in DECLARATIONS if d.person is not None]


def test_every_command_is_declared_once_with_a_handler_and_roles():
    union = set(typing.get_args(typing.get_args(Command)[0]))
    assert set(DECLARED) == union
    assert len(DECLARATIONS) == len(DECLARED)  # no command declared twice
    for d in DECLARATIONS:
        assert callable(d.handler) and d.roles, d.name
        assert d.phases is None or d.phases, d.name


@pytest.mark.parametrize("declared", PERSON_DECLARATIONS, ids=lambda d: d.name)
def test_a_persons_command_is_its_input_and_who_acts_when(declared):
    step = declared.person
    own = set(declared.command.model_fields) - set(CommandBase.model_fields) - {"kind"}
    typed = set(step.input.model_fields) | set(step.path_fields)
    # what the record fills in: a reviewer from the directory, a call from the workflow,
    # whether DERCI's closing of a call round takes the decision (application.calls)
    filled = {
        "AssignReviewer": ({"reviewer"}, {"reviewer_id"}),
        "SubmitApplication": ({"call"}, set()),
        "DecideApplication": ({"call_closing"}, set()),
        "DecideRenewal": ({"policy"}, set()),
    }
    extra, replaced = filled.get(declared.name, (set(), set()))
    assert own == (typed - replaced - set(CommandBase.model_fields)) | extra


@pytest.fixture(scope="module")
def openapi() -> dict:
    app = http_app(assemble(None, None), secrets.token_bytes(8))  # type: ignore[arg-type]
    return app.openapi()


@pytest.mark.parametrize("declared", PERSON_DECLARATIONS, ids=lambda d: d.name)
def test_every_persons_step_has_its_endpoint_form_subcommand_and_labels(declared, openapi):
    step = declared.person
    # the API: POST at the declared path, the input as its body
    post = openapi["paths"][step.path]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith(f"/{step.input.__name__}")
    # the CLI: a subcommand of its name, with a way to give every field
    parser = build_parser()
    sub = next(a for a in parser._subparsers._group_actions if a.dest == "command")
    group, _, kind = step.name.partition(" ")
    cli = sub.choices[group]
    if kind:  # `amend PROJECT KIND ...`: the kind's own parser, under its group's
        kinds = next(a for a in cli._subparsers._group_actions if a.dest == f"{group}_kind")
        assert "project" in {a.dest for a in cli._actions}
        cli = kinds.choices[kind]
    dests = {a.dest for a in cli._actions}
    wanted = {"file"} if step.from_file else set(step.input.model_fields) | set(step.path_fields)
    assert wanted <= dests, (step.name, wanted - dests)
    assert BY_CLI_NAME[step.name] is declared
    # the pages: a form (a submission is made by file or API), and labels in both languages
    labels = {declared.name}
    if not step.from_file:
        form = FORMS[declared.name]
        labels |= {f.name for f in form.fields}
    for lang, table in MESSAGES.items():
        missing = sorted(k for k in labels if k not in table)
        assert not missing, f"{lang} labels missing for {declared.name}: {missing}"
    # who may take it is a person's role
    assert declared.roles - {Role.SYSTEM}


def test_the_api_has_no_step_endpoint_beyond_the_declared_ones(openapi):
    declared = {d.person.path for d in PERSON_STEPS.values()}
    posts = {path for path, ops in openapi["paths"].items() if "post" in ops}
    assert posts == declared
    # the call round's steps are the call's, not a project's (domain.call_round)
    puts = {path for path, ops in openapi["paths"].items() if "put" in ops}
    assert puts == {path for path, _ in ROUND_STEPS.values()}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_import_cycle_between_top_level_packages_and_bench_never_imports_tests():
    tops = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    tops |= {"worker", "bench"}
    edges: dict[str, set[str]] = {}
    for top in tops:
        files = [ROOT / "worker.py"] if top == "worker" else list((ROOT / top).rglob("*.py"))
        for path in files:
            edges.setdefault(top, set()).update(_imports(path) & tops - {top})
    assert "tests" not in edges["bench"]

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(
        (a, b) for a in tops - {"tests"} for b in reach(a) if b != a and a in reach(b) and a < b
    )
    assert not cycles, cycles

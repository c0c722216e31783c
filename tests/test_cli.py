"""The `collab` console script as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

COLLAB = str(Path(sys.executable).parent / "collab")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COLLAB, *args], capture_output=True, text=True, timeout=60)


def test_instruments_json_lists_the_catalog_with_partner_rules():
    done = run("instruments", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["code"]: r for r in json.loads(done.stdout)}
    assert list(rows) == ["IEA", "IRN", "IRP", "IRL"]
    assert {
        c: (r["term_years"], r["funding_min_eur"], r["funding_max_eur"]) for c, r in rows.items()
    } == {
        "IEA": (2, 10_000, 14_000),
        "IRN": (5, 50_000, 75_000),
        "IRP": (5, 50_000, 75_000),
        "IRL": (5, 75_000, 100_000),
    }
    assert rows["IEA"]["entry"] == "annual_call" and rows["IRL"]["entry"] == "direct_contact"
    assert rows["IEA"]["partner_rules"]["foreign_countries_max"] == 1
    assert rows["IRP"]["partner_rules"]["prior_collaboration_required"] is True
    assert rows["IRL"]["partner_rules"]["location_required"] is True
    assert rows["IRN"]["partner_rules"]["foreign_labs_min"] == 2


def test_instruments_table_for_people():
    done = run("instruments")
    assert done.returncode == 0
    assert "International Research Laboratory" in done.stdout
    assert "75,000–100,000" in done.stdout


def test_usage_error_exits_2():
    done = run("no-such-command")
    assert done.returncode == 2
    assert "invalid choice" in done.stderr


def _parse(*words: str):
    from cli.commands import build_parser
    from cli.steps import typed_input
    from domain.declarations import BY_CLI_NAME

    args = build_parser().parse_args(list(words))
    return args, typed_input(args, BY_CLI_NAME[args.step])


def test_amend_takes_the_project_then_the_kind_then_the_kinds_own_options():
    args, typed = _parse(
        "amend", "IRP-1", "budget", "--amount", "60000", "--reason", "cut", "--as", "derci-martin"
    )
    assert (args.command, args.step, args.project, args.actor) == (
        "step",
        "amend budget",
        "IRP-1",
        "derci-martin",
    )
    assert typed == {"awarded_eur": "60000", "reason": "cut"}
    args, typed = _parse(
        "amend", "IRN-2", "add-lab", "--name", "LAAS", "--country", "FR", "--cnrs",
        "--reason", "joins", "--json",
    )  # fmt: skip
    assert (args.step, args.project, args.json) == ("amend add-lab", "IRN-2", True)
    assert typed == {"lab_name": "LAAS", "lab_country": "FR", "lab_cnrs": True, "reason": "joins"}
    _, typed = _parse(
        "amend", "IRN-2", "add-lab", "--name", "USP", "--country", "BR", "--reason", "r"
    )
    assert typed["lab_cnrs"] is False
    _, typed = _parse(
        "amend", "IRL-3", "coordinator", "--id", "pi-moreau", "--name", "Julie Moreau",
        "--email", "j.moreau@cnrs.fr", "--lab", "LIG", "--reason", "retires",
    )  # fmt: skip
    assert typed == {
        "coordinator_id": "pi-moreau",
        "coordinator_name": "Julie Moreau",
        "coordinator_email": "j.moreau@cnrs.fr",
        "coordinator_lab": "LIG",
        "reason": "retires",
    }
    for kind, options, fields in [
        ("remove-lab", ["--name", "USP"], {"lab_name": "USP"}),
        ("location", ["--location", "Kyoto"], {"location": "Kyoto"}),
        ("extend", ["--months", "6"], {"months": "6"}),
        ("suspend", [], {}),
        ("resume", [], {}),
    ]:
        args, typed = _parse("amend", "P-1", kind, *options, "--reason", "why")
        assert (args.step, args.project) == (f"amend {kind}", "P-1")
        assert typed == {**fields, "reason": "why"}
    # a coordinator asks; the other steps parse as before
    args, typed = _parse(
        "request-amendment", "P-1", "extend", "--details", "6 months", "--reason", "late"
    )
    assert typed == {"amendment": "extend", "details": "6 months", "reason": "late"}
    args, typed = _parse("decide", "P-1", "approve", "--amount", "60000", "--reason", "ok")
    assert (args.step, args.project, typed["approve"]) == ("decide", "P-1", True)


def test_amend_refuses_an_unknown_kind_and_a_missing_reason_as_usage():
    done = run("amend", "IRP-1", "rename", "--reason", "x")
    assert done.returncode == 2 and "invalid choice: 'rename'" in done.stderr
    done = run("amend", "IRP-1", "extend", "--months", "3")
    assert done.returncode == 2 and "--reason" in done.stderr
    done = run("amend", "--help")
    assert done.returncode == 0
    for kind in ("budget", "add-lab", "remove-lab", "coordinator", "location", "extend"):
        assert kind in done.stdout

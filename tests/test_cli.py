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

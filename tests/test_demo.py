"""`collab demo` lives a whole portfolio through the real workflows and store, and leaves
data the other commands read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

COLLAB = str(Path(sys.executable).parent / "collab")


def collab(data_dir: Path, *args: str, flag: bool = True) -> subprocess.CompletedProcess[str]:
    """`collab` on `data_dir`, named by --data-dir or (flag=False) by COLLAB_DATA_DIR."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLLAB_DATABASE_URL",)}
    env["COLLAB_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [COLLAB, *args, *(["--data-dir", str(data_dir)] if flag else [])],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_portfolio_covers_every_path(tmp_path):
    service_dir, tmp_path = tmp_path, tmp_path / "demo"
    done = collab(service_dir, "demo", "--json", flag=False)
    assert done.returncode == 0, done.stderr
    # the demo's projects stay out of the service's data: a data dir of their own
    assert not (service_dir / "postgres").exists() and (tmp_path / "postgres").exists()
    projects = json.loads(done.stdout)["projects"]
    by_scenario = {p["scenario"]: p for p in projects}
    assert set(by_scenario) == {
        "approved_and_closed",
        "rejected",
        "renewed",
        "iea_succeeded_by_irp",
        "successor_irp",
        "late_report",
        "terminated_early",
    }
    assert {p["instrument"] for p in projects} == {"IEA", "IRN", "IRP", "IRL"}
    for p in projects:
        assert set(p) == {
            "id",
            "instrument",
            "scenario",
            "final_state",
            "awarded_eur",
            "total_awarded_eur",
            "released_eur",
            "withheld_eur",
            "to_come_eur",
            "events",
        }
    finals = {s: p["final_state"] for s, p in by_scenario.items()}
    assert finals == {
        "approved_and_closed": "closed",
        "rejected": "rejected",
        "renewed": "closed",
        "iea_succeeded_by_irp": "closed",
        "successor_irp": "active",
        "late_report": "closed",
        "terminated_early": "terminated",
    }
    assert by_scenario["approved_and_closed"]["released_eur"] == 70_000
    renewed = by_scenario["renewed"]
    # its second term's award, every term's award, every term's payments: apart
    assert (renewed["awarded_eur"], renewed["total_awarded_eur"]) == (90_000, 95_000 + 90_000)
    assert renewed["released_eur"] == 95_000 + 90_000 and renewed["to_come_eur"] == 0
    assert by_scenario["late_report"]["released_eur"] == 55_000
    assert by_scenario["rejected"]["released_eur"] == 0

    listed = json.loads(collab(tmp_path, "list", "--json").stdout)["projects"]
    assert {p["project_id"] for p in listed} == {p["id"] for p in projects}
    iea = by_scenario["iea_succeeded_by_irp"]["id"]
    history = json.loads(collab(tmp_path, "history", iea, "--json").stdout)
    linked = next(e for e in history["events"] if e["type"] == "SuccessorLinked")
    assert linked["data"]["successor_project_id"] == by_scenario["successor_irp"]["id"]
    assert len(history["events"]) == by_scenario["iea_succeeded_by_irp"]["events"]
    late = by_scenario["late_report"]["id"]
    late_types = [
        e["type"] for e in json.loads(collab(tmp_path, "history", late, "--json").stdout)["events"]
    ]
    assert late_types.index("TrancheWithheld") < late_types.index("ReportAccepted")
    verified = collab(tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout

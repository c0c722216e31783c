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
        "imported",
        "amended",
        "co_funded",
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
            "cofunding_eur",
            "all_funding_eur",
            "events",
        }
        assert p["all_funding_eur"] == p["total_awarded_eur"] + p["cofunding_eur"]
    finals = {s: p["final_state"] for s, p in by_scenario.items()}
    assert finals == {
        "imported": "closed",
        "amended": "closed",
        "co_funded": "closed",
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

    def events_of(scenario: str) -> list[dict]:
        pid = by_scenario[scenario]["id"]
        told = json.loads(collab(tmp_path, "history", pid, "--json").stdout)["events"]
        assert len(told) == by_scenario[scenario]["events"]
        return told

    # a running IRL brought in by a DERCI officer: one fact first, then its own life
    brought = events_of("imported")
    first = brought[0]
    assert (first["type"], first["version"]) == ("ProjectImported", 1)
    assert first["actor"] == {"id": "derci-officer", "role": "derci_officer"}
    assert first["data"]["past"]["tranches_released"] == 3
    assert "ApplicationSubmitted" not in {e["type"] for e in brought}
    paid = [e for e in brought if e["type"] == "TrancheReleased"]
    assert [e["data"]["year"] for e in paid] == [4, 5]  # nothing invented before the import
    accepted = next(
        e
        for e in brought
        if e["type"] == "ReportAccepted" and e["data"]["report_id"] == "term1-year3"
    )
    assert first["occurred_at"] < accepted["occurred_at"] <= paid[0]["occurred_at"]
    assert by_scenario["imported"]["released_eur"] == 90_000  # 3 before, 2 after, of 18,000

    # an IRP amended by an institute officer, each change with its reason
    amendments = {
        e["type"]: e
        for e in events_of("amended")
        if e["type"]
        in {
            "BudgetAmended",
            "PartnerLabAdded",
            "TermExtended",
            "ProjectSuspended",
            "ProjectResumed",
        }
    }
    assert len(amendments) == 5
    for e in amendments.values():
        assert e["actor"] == {"id": "insb-officer", "role": "institute_officer"} and e["reason"]
    budget = amendments["BudgetAmended"]["data"]
    assert (budget["previous_eur"], budget["awarded_eur"]) == (60_000, 70_000)
    assert amendments["TermExtended"]["data"]["months"] == 6
    amended = by_scenario["amended"]
    assert amended["awarded_eur"] == amended["total_awarded_eur"] == 70_000
    assert amended["released_eur"] == 70_000
    listed_amended = next(p for p in listed if p["project_id"] == amended["id"])
    assert "MX" in listed_amended["countries"]  # the partner lab added abroad

    # an IRN co-funded by FAPESP in reais and by INSU in euros
    contributions = [e for e in events_of("co_funded") if e["type"] == "ContributionRecorded"]
    values = {e["data"]["source"]: e["data"]["eur_value"] for e in contributions}
    assert values == {"FAPESP": 20_808, "INSU": 8_000}  # 120,000 BRL at 0.1734; 8,000 EUR
    fapesp = next(e["data"] for e in contributions if e["data"]["source"] == "FAPESP")
    assert (fapesp["amount"], fapesp["currency"], fapesp["country"]) == (120_000, "BRL", "BR")
    co_funded = by_scenario["co_funded"]
    assert co_funded["cofunding_eur"] == 20_808 + 8_000
    assert co_funded["all_funding_eur"] == co_funded["total_awarded_eur"] + 20_808 + 8_000
    assert co_funded["total_awarded_eur"] == 60_000
    assert all(p["cofunding_eur"] == 0 for p in projects if p["scenario"] != "co_funded")

    verified = collab(tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout

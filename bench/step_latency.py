"""A person's step through the HTTP API against a bare Temporal update running one activity
that does one INSERT, on the same dev server, in the same run; then where the production
worker's CPU goes per step.

    python bench/step_latency.py               # 300 samples a side
    python bench/step_latency.py --quick       # 40 samples a side, a smoke run
    python bench/step_latency.py --profile     # also sample the processes with py-spy

On one Temporal dev server (`temporal server start-dev`, wall-clock time) and the embedded
PostgreSQL, each in a child process: the production worker (`build_worker`), a bare worker,
and the service's HTTP app (`collab.http.http_app` over `application.service.assemble`,
served by uvicorn on a local port, as `collab up` serves it).

- API step: a DERCI officer's budget amendment of an active IRP (`POST
  /projects/{id}/amendments/budget` with a bearer token; 60,000 <-> 61,000 EUR, so every
  step is a real change): token checked, input validated, command built, the workflow's
  Update (validator and decider), the `append_events` activity (one BudgetAmended through
  `PostgresEventStore.append`), the answer. Spread over `--projects` projects, round robin.
- Bare: a workflow whose Update runs one activity doing one INSERT (one transaction) through
  an asyncpg pool, the Update's result returned; as many workflows, round robin.

The two sides alternate one step at a time (one request in flight): p50 and p95 of each,
the ratio (target: API p50 ≤ RATIO_TARGET x bare p50). Then each side alone, back to back,
with the CPU seconds of every process per step; with `--profile`, py-spy samples the
production worker (and the API process) during more API steps, and the top frames are
reported. Written between `<!-- step_latency:start -->` / `<!-- step_latency:end -->`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import httpx
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench.children import free_port, stop_child, until_answering

START_MARK = "<!-- step_latency:start -->"
END_MARK = "<!-- step_latency:end -->"
HEADING = "## A person's step through the API against a bare Temporal update"
RATIO_TARGET = 1.3
HERE = Path(__file__).resolve().parent
BARE_TABLE = "bench_bare_steps"
# frames on every stack (event loops, threads, the entry point): left out of the
# inclusive table
GENERIC = (
    "(asyncio/base_events.py)",
    "(asyncio/runners.py)",
    "(asyncio/events.py)",
    "(threading.py)",
    "(concurrent/futures/thread.py)",
    "step_latency.py)",
    "burst.py)",
)


# --- the bare side (imported by name, `step_latency`, in the worker child) -----------------


class BareActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="bench_bare_insert")
    async def insert(self, n: int) -> int:
        """One INSERT, one transaction (autocommit), its row's id."""
        info = activity.info()
        async with self._pool.acquire() as conn:
            row_id: int = await conn.fetchval(
                f"INSERT INTO {BARE_TABLE} (workflow_id, n) VALUES ($1, $2) RETURNING id",
                info.workflow_id,
                n,
            )
        return row_id


@workflow.defn(name="BenchBareStep")
class BareStep:
    def __init__(self) -> None:
        self._done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._done)

    @workflow.update(name="step")
    async def step(self, n: int) -> int:
        row_id: int = await workflow.execute_activity(
            "bench_bare_insert", n, result_type=int, start_to_close_timeout=timedelta(seconds=30)
        )
        return row_id

    @workflow.signal(name="finish")
    def finish(self) -> None:
        self._done = True


async def bench_worker_parts(args: argparse.Namespace) -> tuple[list[Any], list[Any], Any]:
    """The bare worker: (workflows, activities, what to close at the end)."""
    pool = await asyncpg.create_pool(args.db, min_size=1, max_size=4)
    return [BareStep], [BareActivities(pool).insert], pool.close


# --- the API child process ------------------------------------------------------------------


async def api_main(args: argparse.Namespace) -> None:
    """The service's HTTP app over the production task queue, served by uvicorn."""
    import uvicorn

    from application.projects import ProjectService
    from application.service import assemble
    from collab.http import http_app
    from collab.logging_setup import configure_logging
    from collab.payload_sealing import sealing
    from eventstore.postgres import PostgresEventStore

    configure_logging("json", args.log_level)
    store = await PostgresEventStore.connect(args.db, run_migrations=False)
    # the service's converter: people's names sealed in every payload
    converter = sealing(pydantic_data_converter, store)
    client = await Client.connect(args.target, data_converter=converter)
    app = assemble(store, ProjectService(client, args.task_queue))
    config = uvicorn.Config(
        http_app(app, secrets.token_bytes(32), cookie_secure=False),
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    try:
        await server.serve()
    finally:
        await store.close()


class ApiProcess:
    def __init__(self, target: str, task_queue: str, db_url: str, log: Path, args: Any) -> None:
        self.port = free_port()
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                *("--api", "--target", target, "--task-queue", task_queue),
                *("--db", db_url, "--log-level", args.log_level, "--port", str(self.port)),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def ready(self, http: httpx.AsyncClient) -> None:
        async def answers() -> bool:
            try:
                return (await http.get("/instruments")).status_code in (200, 401)
            except httpx.TransportError:
                return False

        await until_answering(self.proc, self.log, answers, "API")

    def stop(self) -> None:
        stop_child(self.proc, timeout_s=15)
        self.log.close()


# --- setup ------------------------------------------------------------------------------------


async def active_projects(service: Any, ids: list[str]) -> None:
    """Each project submitted, evaluated, approved with its term starting now, active."""
    from uuid import uuid4

    from lives import application

    from collab.lives import OFFICER, REVIEWER
    from domain.actors import Actor, Role
    from domain.commands import AssignReviewer, DecideApplication, SubmitApplication, SubmitReview
    from domain.events import Recommendation
    from domain.state import Phase

    async def until(pid: str, phase: Any) -> None:
        for _ in range(600):
            if (await service.state(pid)).phase is phase:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{pid}: never {phase}")

    async def one(i: int, pid: str) -> None:
        app = application(i)
        pi = Actor(id=app.coordinator.id, role=Role.COORDINATOR)
        now = datetime.now(UTC)
        await service.submit(
            SubmitApplication(command_id=uuid4(), actor=pi, at=now, project_id=pid, application=app)
        )
        await until(pid, Phase.UNDER_EVALUATION)
        await service.execute(
            pid, AssignReviewer(command_id=uuid4(), actor=OFFICER, at=now, reviewer=REVIEWER)
        )
        reviewer = Actor(id=REVIEWER.id, role=Role.REVIEWER)
        await service.execute(
            pid,
            SubmitReview(
                command_id=uuid4(),
                actor=reviewer,
                at=now,
                scores={"science": 5, "partnership": 4},
                recommendation=Recommendation.FUND,
            ),
        )
        await service.execute(
            pid,
            DecideApplication(
                command_id=uuid4(),
                actor=OFFICER,
                at=now,
                approve=True,
                awarded_eur=60_000,
                reason="excellent reviews",
            ),
        )
        await until(pid, Phase.ACTIVE)

    await asyncio.gather(*(one(i, pid) for i, pid in enumerate(ids)))


# --- measuring ----------------------------------------------------------------------------------


class Sides:
    """One step of each side at a time."""

    def __init__(
        self, http: httpx.AsyncClient, token: str, ids: list[str], client: Client, bare: list[str]
    ) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}
        self.ids = ids
        self.amount = dict.fromkeys(ids, 60_000)
        self.client = client
        self.bare = bare
        self.i = 0
        self.j = 0

    async def api_step(self) -> float:
        pid = self.ids[self.i % len(self.ids)]
        self.i += 1
        amount = 61_000 if self.amount[pid] == 60_000 else 60_000
        body = {"awarded_eur": amount, "reason": "bench: budget revised"}
        t0 = time.perf_counter()
        r = await self.http.post(
            f"/projects/{pid}/amendments/budget", json=body, headers=self.headers
        )
        took = time.perf_counter() - t0
        if r.status_code != 200 or r.json()["events"] != ["BudgetAmended"]:
            raise AssertionError(f"{pid}: {r.status_code} {r.text[:500]}")
        self.amount[pid] = amount
        return took

    async def bare_step(self) -> float:
        wid = self.bare[self.j % len(self.bare)]
        self.j += 1
        t0 = time.perf_counter()
        await self.client.get_workflow_handle(wid).execute_update("step", self.j, result_type=int)
        return time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def py_spy() -> str | None:
    return shutil.which("py-spy") or shutil.which("py-spy", path="/tmp/pyspy/bin")


@dataclass
class Profile:
    samples: int
    steps: int
    inclusive: list[tuple[str, float]]
    own: list[tuple[str, float]]


def read_profile(path: Path, steps: int, top: int) -> Profile:
    """py-spy's raw (collapsed) stacks: the share of samples each function is on the stack
    (inclusive) and at its top (own), by function and file."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = []
        for frame in stack.split(";"):
            name, _, where = frame.partition(" (")
            where = where.rstrip(")").rsplit(":", 1)[0]
            if not where:
                continue  # the process and thread frames
            where = where.split("site-packages/")[-1].replace(str(HERE.parent) + "/", "")
            frames.append(f"{name} ({where})")
        if not frames:
            continue
        for key in set(frames):
            if not key.endswith(GENERIC):
                inclusive[key] += n
        own[frames[-1]] += n
    share = max(total, 1)
    return Profile(
        samples=total,
        steps=steps,
        inclusive=[(k, v / share) for k, v in inclusive.most_common(top)],
        own=[(k, v / share) for k, v in own.most_common(top)],
    )


@dataclass
class Outcome:
    samples: int
    projects: int
    api: list[float]
    bare: list[float]
    cpu_api: dict[str, float]  # CPU seconds a step, by process
    cpu_bare: dict[str, float]
    alone_api_ms: float
    alone_bare_ms: float
    profiles: dict[str, Profile] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return pct(self.api, 0.5) / pct(self.bare, 0.5)

    @property
    def met(self) -> bool:
        return self.ratio <= RATIO_TARGET


async def measure(args: argparse.Namespace, pg_url: str, tmp: Path) -> Outcome:
    from burst import WorkerProcess, start_dev_server
    from lives import CpuMeter, cpu_seconds, postmaster_pid

    from application.projects import ProjectService
    from collab.payload_sealing import sealing
    from domain.actors import Role
    from eventstore.embedded import with_database
    from eventstore.postgres import PostgresEventStore
    from identity.people import PeopleDirectory, Person, migrate_people
    from readmodels.projector import migrate_read_models

    name = f"steps_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    db_url = with_database(pg_url, name)
    store = await PostgresEventStore.connect(db_url)  # migrates
    await migrate_read_models(db_url)
    await migrate_people(db_url)
    owner = await asyncpg.connect(db_url)
    await owner.execute(
        f"CREATE TABLE {BARE_TABLE} (id bigserial PRIMARY KEY, workflow_id text NOT NULL,"
        " n integer NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())"
    )
    await owner.close()
    officer = Person(
        person_id="derci-bench",
        name="Paul Martin",
        email="paul.martin@cnrs.example.fr",
        lab="DERCI",
        country="FR",
        role=Role.DERCI_OFFICER,
    )
    token = (await PeopleDirectory(store).add(officer, operator="bench")).api

    env, server = await start_dev_server()
    target = env.client.service_client.config.target_host
    pm = postmaster_pid(pg_url)
    burst_py = HERE / "burst.py"
    me = Path(__file__).resolve()
    prod = WorkerProcess(burst_py, "production", target, db_url, tmp / "w-prod.log", args)
    bare = WorkerProcess(me, "step_latency", target, db_url, tmp / "w-bare.log", args)
    api = ApiProcess(target, prod.task_queue, db_url, tmp / "api.log", args)
    try:
        await asyncio.gather(prod.ready(), bare.ready())
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api.port}", timeout=60) as http:
            await api.ready(http)
            config = env.client.config()  # the service's own: names sealed (keys in store)
            config["data_converter"] = sealing(pydantic_data_converter, store)
            service = ProjectService(Client(**config), prod.task_queue)
            tag = uuid.uuid4().hex[:6]
            ids = [f"IRP-steps-{tag}-{i:03d}" for i in range(args.projects)]
            print(f"{len(ids)} active projects", flush=True)
            await active_projects(service, ids)
            bare_ids = [f"bare-{tag}-{i:03d}" for i in range(args.projects)]
            for wid in bare_ids:
                await env.client.start_workflow("BenchBareStep", id=wid, task_queue=bare.task_queue)
            sides = Sides(http, token, ids, env.client, bare_ids)
            for _ in range(args.warmup):
                await sides.api_step()
                await sides.bare_step()
            print(f"{args.samples} steps a side, alternating", flush=True)
            api_s: list[float] = []
            bare_s: list[float] = []
            for _ in range(args.samples):
                api_s.append(await sides.api_step())
                bare_s.append(await sides.bare_step())
            print(
                f"  API p50 {pct(api_s, 0.5) * 1e3:.1f} ms p95 {pct(api_s, 0.95) * 1e3:.1f};"
                f" bare p50 {pct(bare_s, 0.5) * 1e3:.1f} ms p95 {pct(bare_s, 0.95) * 1e3:.1f}",
                flush=True,
            )

            # each side alone: CPU seconds of each process a step
            def meter(worker_pid: int) -> CpuMeter:
                return CpuMeter(worker_pid, server, pm)

            k = args.cpu_steps
            cpu = meter(prod.pid)
            api_cpu0 = cpu_seconds(api.pid)
            t0 = time.perf_counter()
            for _ in range(k):
                await sides.api_step()
            alone_api = (time.perf_counter() - t0) / k
            used = cpu.since_start()
            used["api"] = cpu_seconds(api.pid) - api_cpu0
            cpu_api = {p: v / k for p, v in used.items()}
            cpu = meter(bare.pid)
            api_cpu0 = cpu_seconds(api.pid)
            t0 = time.perf_counter()
            for _ in range(k):
                await sides.bare_step()
            alone_bare = (time.perf_counter() - t0) / k
            used = cpu.since_start()
            used["api"] = cpu_seconds(api.pid) - api_cpu0
            cpu_bare = {p: v / k for p, v in used.items()}
            print(f"  CPU ms a step: API side {fmt_cpu(cpu_api)}; bare {fmt_cpu(cpu_bare)}")

            profiles: dict[str, Profile] = {}
            spy = py_spy()
            if args.profile and spy is None:
                print("py-spy not found: no profile", flush=True)
            elif args.profile and spy is not None:
                print(f"profiling {args.profile_steps} API steps with py-spy", flush=True)
                outs = {"worker": tmp / "worker.txt", "api": tmp / "api.txt"}
                spies = [
                    subprocess.Popen(
                        [
                            *(
                                spy,
                                "record",
                                "--format",
                                "raw",
                                "--rate",
                                "250",
                                "--nonblocking",
                                "--gil",
                            ),
                            *("-o", str(outs[who]), "-p", str(pid)),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    for who, pid in (("worker", prod.pid), ("api", api.pid))
                ]
                await asyncio.sleep(1.0)
                for _ in range(args.profile_steps):
                    await sides.api_step()
                for s in spies:
                    s.send_signal(signal.SIGINT)
                    s.wait(timeout=30)
                for who, out in outs.items():
                    if out.exists():
                        profiles[who] = read_profile(out, args.profile_steps, args.top)
                        if args.keep_profiles:
                            shutil.copy(out, args.keep_profiles / f"{who}.txt")
            for wid in bare_ids:
                await env.client.get_workflow_handle(wid).signal("finish")
    finally:
        api.stop()
        prod.stop()
        bare.stop()
        await store.close()
        await env.shutdown()
    return Outcome(
        samples=args.samples,
        projects=args.projects,
        api=api_s,
        bare=bare_s,
        cpu_api=cpu_api,
        cpu_bare=cpu_bare,
        alone_api_ms=alone_api * 1e3,
        alone_bare_ms=alone_bare * 1e3,
        profiles=profiles,
    )


def fmt_cpu(c: dict[str, float]) -> str:
    return " / ".join(
        f"{c[p] * 1e3:.1f}" for p in ("api", "worker", "temporal", "postgres", "driver")
    )


# --- reporting ------------------------------------------------------------------------------


def table(o: Outcome) -> str:
    return "\n".join(
        [
            "| side | p50 ms | p95 ms | mean ms | alone, back to back: ms a step "
            "| CPU ms a step: API / worker / temporal / postgres / driver |",
            "|---|---:|---:|---:|---:|---:|",
            f"| API step (budget amendment over HTTP) | {pct(o.api, 0.5) * 1e3:.1f} "
            f"| {pct(o.api, 0.95) * 1e3:.1f} | {sum(o.api) / len(o.api) * 1e3:.1f} "
            f"| {o.alone_api_ms:.1f} | {fmt_cpu(o.cpu_api)} |",
            f"| bare Update + one INSERT | {pct(o.bare, 0.5) * 1e3:.1f} "
            f"| {pct(o.bare, 0.95) * 1e3:.1f} | {sum(o.bare) / len(o.bare) * 1e3:.1f} "
            f"| {o.alone_bare_ms:.1f} | {fmt_cpu(o.cpu_bare)} |",
            "",
            "| measure | figure | target | met |",
            "|---|---:|---:|:---:|",
            f"| API p50 / bare p50 | {o.ratio:.2f}x | ≤ {RATIO_TARGET}x "
            f"| {'yes' if o.met else '**no**'} |",
            f"| API p95 / bare p95 | {pct(o.api, 0.95) / pct(o.bare, 0.95):.2f}x | (reported) | |",
        ]
    )


def profile_text(o: Outcome) -> str:
    parts = []
    for who, p in o.profiles.items():
        rows = "\n".join(f"| {share:.0%} | `{frame}` |" for frame, share in p.inclusive)
        own = "\n".join(f"| {share:.0%} | `{frame}` |" for frame, share in p.own)
        parts.append(
            f"py-spy, {who} process, {p.steps} API steps, {p.samples:,} samples at 250 Hz "
            "(non-blocking; only the thread holding the GIL: Python at work). "
            "On the stack (inclusive):\n\n"
            f"| share | frame |\n|---:|---|\n{rows}\n\nAt the top of the stack (own):\n\n"
            f"| share | frame |\n|---:|---|\n{own}\n"
        )
    return "\n".join(parts)


def section(o: Outcome, command: str, load: str) -> str:
    import temporalio

    from bench.report import machine

    profile = profile_text(o)
    return f"""{START_MARK}
{HEADING}

Run: `{command}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average before: {load}.
Machine: {machine()}. Python {platform.python_version()}, temporalio {temporalio.__version__},
Temporal dev server (in-memory, wall-clock time), embedded PostgreSQL (unix socket, fsync
on); the production worker, a bare worker and the HTTP app (uvicorn, `collab.http.http_app`)
each in a process of its own.

API step: a DERCI officer's budget amendment (`POST /projects/{{id}}/amendments/budget`,
bearer token; 60,000 <-> 61,000 EUR) on {o.projects} active IRPs in turn: the whole path
(token, input, command, the workflow's Update with its validator and decider, the
`append_events` activity through the store, the answer). Bare: a workflow's Update running
one activity that does one INSERT (autocommit) through an asyncpg pool, on {o.projects}
workflows in turn. {o.samples} steps a side, alternating one at a time (after warm-up);
then each side alone back to back for the CPU seconds of each process a step.

{table(o)}

{profile}{END_MARK}
"""


# --- entry ------------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> None:
    from eventstore.embedded import start_embedded_postgres

    if args.quick:
        args.samples, args.warmup, args.cpu_steps, args.profile_steps = 40, 5, 20, 20
    if args.worker_cache is None:
        from collab.settings import Settings

        args.worker_cache = Settings().worker_max_cached_workflows
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="steps-bench-") as tmp:
        pg_url, pg_server = await asyncio.to_thread(
            start_embedded_postgres, Path(tmp), cleanup_mode="delete"
        )
        try:
            outcome = await measure(args, pg_url, Path(tmp))
        finally:
            await asyncio.to_thread(pg_server.cleanup)
    print()
    print(table(outcome))
    if outcome.profiles:
        print()
        print(profile_text(outcome))
    if not args.no_write:
        from bench.report import RESULTS, write_section

        command = ("python bench/step_latency.py " + " ".join(sys.argv[1:])).strip()
        write_section(section(outcome, command, load), START_MARK, END_MARK, HEADING)
        print(f"\nwritten to {RESULTS}")
    if args.json:
        import json

        args.json.write_text(
            json.dumps(
                {
                    "ratio_target": RATIO_TARGET,
                    "load": load,
                    "api_p50_ms": pct(outcome.api, 0.5) * 1e3,
                    "api_p95_ms": pct(outcome.api, 0.95) * 1e3,
                    "bare_p50_ms": pct(outcome.bare, 0.5) * 1e3,
                    "bare_p95_ms": pct(outcome.bare, 0.95) * 1e3,
                    "ratio": outcome.ratio,
                    "cpu_api_ms": {k: v * 1e3 for k, v in outcome.cpu_api.items()},
                    "cpu_bare_ms": {k: v * 1e3 for k, v in outcome.cpu_bare.items()},
                    "met": outcome.met,
                },
                indent=1,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=300, help="steps a side, alternating")
    parser.add_argument("--warmup", type=int, default=20, help="steps a side first, not counted")
    parser.add_argument("--projects", type=int, default=10, help="projects (and bare workflows)")
    parser.add_argument("--cpu-steps", type=int, default=100, help="steps a side for the CPU")
    parser.add_argument("--quick", action="store_true", help="40 samples a side: a smoke run")
    parser.add_argument("--profile", action="store_true", help="sample with py-spy")
    parser.add_argument("--profile-steps", type=int, default=200, help="API steps profiled")
    parser.add_argument("--top", type=int, default=15, help="frames listed per profile")
    parser.add_argument("--keep-profiles", type=Path, help="copy py-spy's raw output there")
    parser.add_argument("--log-level", default="INFO", help="the processes' log level")
    parser.add_argument("--worker-cache", type=int, help="workflows a worker caches")
    parser.add_argument(
        "--unsandboxed",
        action="store_true",
        help="the production worker without the workflow sandbox (what the sandbox costs; "
        "not how production runs)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    # child processes
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--api", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--task-queue", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent))
    code = 0
    try:
        if args.worker:
            from burst import worker_main

            asyncio.run(worker_main(args))
        elif args.api:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(api_main(args))
        else:
            asyncio.run(bench(args))
    except Exception:
        import traceback

        traceback.print_exc()
        code = 1
    from lives import children

    for pid in children(os.getpid()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()

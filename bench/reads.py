"""The service's reads over a portfolio of 10,000 and 100,000 projects, each next to the bare
SQL of the same answer, measured in the same run.

    python bench/reads.py                        # 10,000 then 100,000 projects
    python bench/reads.py --sizes 10000 --reps 50 --no-write

1. A portfolio as it stands today. A few hundred lives are played in memory by the domain
   (`bench/lifegen.py`, with a portfolio's mix of instruments: IEA 25 %, IRP 35 %, IRN 20 %,
   IRL 20 %), each cut at a random instant of its life and moved in time so that the cut is
   now: the folded state as of today (in evaluation, approved, active, in its renewal
   window, closed with its final report due...), its portfolio row as the projector writes
   it (`readmodels.projector._portfolio_row`), its open deadlines (`domain.deadlines`), its
   releases and the total of its awards. Each project of the portfolio is one of those
   states under its own id, title, coordinator (three projects each) and leading
   institute, written by COPY into `project_states`, `portfolio`, `deadlines` and
   `releases`, and the charts' sums added up from them by migration 1011's own
   `fill_portfolio_charts()`; the 100,000 are the 10,000 and 90,000 more.
2. Reads, through the service's whole HTTP app (`collab.http.http_app`) served by uvicorn in
   a process of its own, as `collab up` serves it (bench/served_app.py: a kept-alive
   connection, the least client there is), each interleaved with its bare SQL
   (asyncpg on the owner's connection: the same rows, total and aggregates, nothing
   else: no visibility rule, no models, no JSON): the portfolio's first page as a DERCI
   officer (`GET /projects`, `/ui/portfolio` with its totals and charts), a filtered page
   (instrument, state, partner country, year), a coordinator's list (API and page),
   `GET /deadlines?within_days=90`, and the officer's calendar feed, cold (a new app, no
   label said yet) and polled with If-None-Match (304).

Targets (issue 19): a page p95 < 50 ms at 100,000 projects, within 3x the bare SQL; the
calendar feed < 200 ms cold. The section between `<!-- reads:start -->` and
`<!-- reads:end -->` of bench/RESULTS.md is rewritten (unless --no-write).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

if __package__ in (None, ""):  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import httpx

from api.calendar import SAID_LABELS
from application.service import assemble
from bench import lifegen
from bench.report import RESULTS, machine, table, write_section
from bench.served_app import BASE, Answer, ServedApp, Wire
from collab.http import http_app
from domain.deadlines import open_deadlines
from domain.events import ApplicationApproved, BudgetAmended, RenewalGranted, TrancheReleased
from domain.evolve import fold
from domain.institutes import Institute
from domain.instruments import InstrumentCode
from domain.said import as_data
from domain.state import ProjectState
from eventstore.embedded import start_embedded_postgres, with_database
from eventstore.postgres import PostgresEventStore
from identity.people import PeopleDirectory, Person, migrate_people
from readmodels.calendar_feed import MOST_ENTRIES, MOST_OVERDUE, window_on
from readmodels.projector import _portfolio_row, migrate_read_models

LIMIT_CASE = "coordinator's list, no framework: the same calls in a bare ASGI function"
START_MARK = "<!-- reads:start -->"
END_MARK = "<!-- reads:end -->"
HEADING = "## Reads at 10k and 100k projects"
PAGE_P95_MS = 50.0  # a page, at 100,000 projects
RATIO_TARGET = 3.0  # against the bare SQL of the same answer
ICS_COLD_MS = 200.0
# a portfolio's mix (bench/lifegen.py's own is a mature one, mostly long IRLs)
MIX = [
    (InstrumentCode.IEA, 0.25),
    (InstrumentCode.IRP, 0.35),
    (InstrumentCode.IRN, 0.20),
    (InstrumentCode.IRL, 0.20),
]
PROJECTS_A_COORDINATOR = 3
STORE_POOL = 4  # the store's connections, in the served app as in this process
FILTER = {"instrument": "IRP", "state": "active", "country": "BR"}  # and the year: this one

OFFICER = Person(
    person_id="derci-bench",
    name="Paul Martin",
    email="paul.martin@cnrs.example.fr",
    lab="DERCI",
    country="FR",
    role="derci_officer",
)


# --- 1. the portfolio --------------------------------------------------------------------------

_INSTANT = re.compile(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"')


@dataclass
class Template:
    """One life's state as of today, and what the read models hold for it."""

    project_id: str
    title: str
    coordinator_id: str
    coordinator: str
    email: str
    state: str  # JSON, as project_states holds it
    version: int
    portfolio: tuple[Any, ...]  # _portfolio_row's 25 columns and total_awarded_eur
    deadlines: list[tuple[str, str, datetime, str, str]]  # kind, ref, due_at, label, said
    releases: list[tuple[int, int]]  # year, amount


def _moved(text: str, by: timedelta) -> str:
    def move(m: re.Match[str]) -> str:
        at = datetime.fromisoformat(m.group(1)) + by
        return '"' + at.isoformat().replace("+00:00", "Z") + '"'

    return _INSTANT.sub(move, text)


def templates(lives: int, cuts: int, seed: int, now: datetime) -> list[Template]:
    """`lives` lives played in memory, each cut at `cuts` random instants moved to `now`."""
    lifegen.MIX[:] = MIX  # portfolio_life draws its instrument from this list
    rng = random.Random(seed)
    out = []
    for n in range(lives):
        life = lifegen.generate_life(n, seed)
        events = life.events
        first, last = events[0].occurred_at, events[-1].occurred_at
        for _ in range(cuts):
            cut = first + (last - first) * rng.random()
            seen = [e for e in events if e.occurred_at <= cut]
            by = now - cut
            state = ProjectState.model_validate_json(_moved(fold(seen).model_dump_json(), by))
            awards: dict[int, int] = {}
            releases = []
            for e in seen:
                if isinstance(e, ApplicationApproved):
                    awards[1] = e.data.awarded_eur
                elif isinstance(e, RenewalGranted):
                    awards[e.data.term_number + 1] = e.data.awarded_eur
                elif isinstance(e, BudgetAmended):
                    awards[e.data.term_number] = e.data.awarded_eur
                elif isinstance(e, TrancheReleased):
                    releases.append(((e.occurred_at + by).year, e.data.amount_eur))
            app = state.application
            assert app is not None and state.project_id is not None
            out.append(
                Template(
                    project_id=state.project_id,
                    title=app.title,
                    coordinator_id=app.coordinator.id,
                    coordinator=app.coordinator.name,
                    email=app.coordinator.email,
                    state=state.model_dump_json(),
                    version=state.version,
                    portfolio=(*_portfolio_row(state), sum(awards.values())),
                    deadlines=[
                        (d.kind.value, d.ref, d.due_at, d.label, json.dumps(as_data(d.label)))
                        for d in open_deadlines(state)
                    ],
                    releases=releases,
                )
            )
    return out


_PORTFOLIO_COLUMNS = [
    "project_id", "instrument", "title", "phase", "coordinator_id", "coordinator", "labs",
    "countries", "call_id", "requested_eur", "awarded_eur", "released_eur", "term_number",
    "term_starts_at", "term_ends_at", "renewals", "successor_id", "version", "updated_at",
    "withheld_eur", "to_come_eur", "cofunding_eur", "institute", "submitted_at", "closed_at",
    "total_awarded_eur",
]  # fmt: skip
_INSTITUTES = [i.value for i in Institute]


def coordinator_of(i: int) -> str:
    return f"pi-{i // PROJECTS_A_COORDINATOR:06d}"


async def fill(conn: asyncpg.Connection, shapes: list[Template], first: int, last: int) -> int:
    """Projects number first..last-1, each one of the shapes under its own names; how many
    deadlines were written."""
    rng = random.Random(first)
    states, rows, due, paid = [], [], [], []
    for i in range(first, last):
        t = rng.choice(shapes)
        code = t.portfolio[1]
        pid = f"{code}-{i:06d}"
        title = f"{t.title.rsplit('#', 1)[0]}#{i}"
        coordinator = coordinator_of(i)
        name = f"Coordinator {i // PROJECTS_A_COORDINATOR}"
        institute = rng.choice(_INSTITUTES)
        state = (
            t.state.replace(f'"{t.project_id}"', f'"{pid}"', 1)
            .replace(json.dumps(t.title, ensure_ascii=False), json.dumps(title), 1)
            .replace(f'"{t.email}"', f'"{coordinator}@cnrs.example.fr"', 1)
            .replace(f'"{t.coordinator_id}"', f'"{coordinator}"', 1)
            .replace(f'"{t.coordinator}"', f'"{name}"', 1)
            .replace('"institute":null', f'"institute":"{institute}"', 1)
        )
        states.append((pid, t.version, state))
        row = list(t.portfolio)
        row[0], row[2], row[4], row[5] = pid, title, coordinator, name
        row[7] = json.loads(row[7])
        row[22] = institute
        rows.append(tuple(row))
        due += [(pid, *d) for d in t.deadlines]
        paid += [(uuid.uuid4(), pid, year, amount) for year, amount in t.releases]
    await conn.copy_records_to_table(
        "project_states", records=states, columns=["project_id", "version", "state"]
    )
    await conn.copy_records_to_table("portfolio", records=rows, columns=_PORTFOLIO_COLUMNS)
    await conn.copy_records_to_table(
        "deadlines",
        records=due,
        columns=["project_id", "kind", "ref", "due_at", "label", "label_said"],
    )
    await conn.copy_records_to_table(
        "releases", records=paid, columns=["event_id", "project_id", "year", "amount_eur"]
    )
    # the charts' sums the projector keeps, added up again by migration 1011's own SQL
    await conn.execute("SELECT fill_portfolio_charts()")
    return len(due)


# --- 2. the reads and their bare SQL ---------------------------------------------------------

# the officer sees every project: the bare SQL has no visibility rule
_ROWS = "SELECT p.* FROM portfolio p"
_BARE_TOTALS = """SELECT count(*), sum(total_awarded_eur), sum(released_eur), sum(withheld_eur),
    sum(to_come_eur), sum(cofunding_eur) FROM portfolio p"""
# an officer's totals and charts: the cells the projector keeps (1012_portfolio_cells.sql),
# read the fewest ways they can be
_BARE_CELL_TOTALS = """SELECT sum(projects), sum(awarded_eur), sum(released_eur),
    sum(withheld_eur), sum(to_come_eur), sum(cofunding_eur) FROM portfolio_cells {where}"""
_BARE_CELL_CHARTS = [
    "SELECT instrument, year, sum(amount_eur) FROM released_cells {where} GROUP BY 1, 2",
    "SELECT phase, sum(projects) FROM portfolio_cells {where} GROUP BY phase",
    """SELECT partner, sum(projects) FROM partner_cells {where} AND partner <> 'FR'
       GROUP BY partner""",
]
_BARE_ALL_CELLS = "WHERE country = '*'"
# the filter (readmodels.views' year rule for the present year: submitted by its end, not
# ended before it or still running), on the keys of the portfolio's rows, then of the cells
_BARE_FILTER = """WHERE p.instrument = $1 AND p.phase = $2 AND $3 = ANY(p.countries)
    AND p.first_year <= $4 AND (p.last_year >= $4 OR p.runs)"""
_BARE_CELL_FILTER = """WHERE instrument = $1 AND phase = $2 AND country = $3
    AND first_year <= $4 AND (last_year >= $4 OR runs)"""
_BARE_COORDINATOR = "WHERE p.coordinator_id = $1"
_DEADLINE_COLUMNS = """SELECT d.project_id, p.title, d.kind, d.ref, d.due_at, d.label, d.label_said
FROM deadlines d JOIN portfolio p USING (project_id)"""
_DEADLINE_ORDER = "ORDER BY d.due_at, d.project_id, d.kind, d.ref"


@dataclass
class Case:
    name: str
    product: Callable[[], Awaitable[Any]]
    bare: Callable[[], Awaitable[Any]]
    page: bool  # a page a person reads: the 50 ms target
    product_ms: list[float] = field(default_factory=list)
    bare_ms: list[float] = field(default_factory=list)
    note: str = ""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _ms(work: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await work()
    return (time.perf_counter() - start) * 1000


@dataclass
class Size:
    projects: int
    deadlines: int
    load: float
    fill_s: float
    cases: list[Case]
    coordinator_projects: int
    filtered_total: int
    deadlines_90: int
    feed_entries: int
    feed_mib: float


R = TypeVar("R", httpx.Response, Answer)


def _check(r: R, status: int = 200) -> R:
    assert r.status_code == status, (r.status_code, r.text[:300])
    return r


async def people(store: PostgresEventStore) -> dict[str, Any]:
    """The officer and the coordinator of project 0, registered: their tokens by role."""
    directory = PeopleDirectory(store)
    coordinator = Person(
        person_id=coordinator_of(0),
        name="Coordinator 0",
        email=f"{coordinator_of(0)}@cnrs.example.fr",
        lab="CEREGE",
        country="FR",
        role="coordinator",
    )
    return {p.role.value: await directory.add(p, operator="bench") for p in (OFFICER, coordinator)}


async def signed_in(port: int, token: str) -> str:
    """The session cookie of the person of `token`, signed in on the pages of the served app."""
    own = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=own) as client:
        _check(
            await client.post(
                "/ui/signin",
                data={"token": token, "next": "/ui/portfolio"},
                headers={"Origin": own},
            ),
            303,
        )
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


async def measure(
    store: PostgresEventStore,
    owner: asyncpg.Connection,
    url: str,
    tokens: dict[str, Any],
    args: Any,
    log: Path,
) -> list[Case]:
    """Every read, its bare SQL interleaved, `args.reps` times each (the cold feed fewer)."""
    served = ServedApp(url, log, pool=STORE_POOL)
    limit = ServedApp(url, log.with_suffix(".limit.log"), pool=STORE_POOL, framework=False)
    try:
        await served.ready()
        await limit.ready()
        return await _measure(served.port, limit.port, store, owner, tokens, args)
    finally:
        served.stop()
        limit.stop()


async def _measure(
    port: int,
    limit_port: int,
    store: PostgresEventStore,
    owner: asyncpg.Connection,
    tokens: dict[str, Any],
    args: Any,
) -> list[Case]:
    officer_api = {"Authorization": f"Bearer {tokens['derci_officer'].api}"}
    pi_api = {"Authorization": f"Bearer {tokens['coordinator'].api}"}
    http = Wire(port)
    bare_app = Wire(limit_port)
    same = [(await w.get("/projects", headers=pi_api)).body for w in (http, bare_app)]
    assert same[0] == same[1], "the limit answers the coordinator's list in other bytes"
    pages = {}
    for role in ("derci_officer", "coordinator"):
        cookie = await signed_in(port, tokens[role].api)
        pages[role] = (Wire(port), {"Cookie": cookie})
    year = datetime.now(UTC).year
    filtered = {**FILTER, "year": str(year)}
    bare_filter = (FILTER["instrument"], FILTER["state"], FILTER["country"], year)
    pi = coordinator_of(0)

    async def bare_api(where: str = "", cells: str = _BARE_ALL_CELLS, *params: Any) -> None:
        await owner.fetch(f"{_ROWS} {where} ORDER BY p.project_id LIMIT 101", *params)
        await owner.fetchrow(_BARE_CELL_TOTALS.format(where=cells), *params)

    async def bare_page(where: str = "", cells: str = _BARE_ALL_CELLS, *params: Any) -> None:
        await owner.fetch(f"{_ROWS} {where} ORDER BY p.project_id LIMIT 101", *params)
        await owner.fetchrow(_BARE_CELL_TOTALS.format(where=cells), *params)
        for sql in _BARE_CELL_CHARTS:
            await owner.fetch(sql.format(where=cells), *params)

    async def bare_coordinator_api() -> None:
        await owner.fetch(f"{_ROWS} {_BARE_COORDINATOR} ORDER BY p.project_id LIMIT 101", pi)
        await owner.fetchval(f"SELECT count(*) FROM portfolio p {_BARE_COORDINATOR}", pi)

    async def bare_coordinator_page() -> None:
        rows = await owner.fetch(f"{_ROWS} {_BARE_COORDINATOR} ORDER BY p.project_id", pi)
        await owner.fetchrow(f"{_BARE_TOTALS} {_BARE_COORDINATOR}", pi)
        await owner.fetch(
            "SELECT DISTINCT ON (project_id) * FROM deadlines WHERE project_id = ANY($1) "
            "ORDER BY project_id, due_at, kind, ref",
            [r["project_id"] for r in rows],
        )

    horizon = datetime.now(UTC) + timedelta(days=90)

    async def bare_deadlines() -> None:
        await owner.fetch(
            f"{_DEADLINE_COLUMNS} WHERE d.due_at <= $1 {_DEADLINE_ORDER} LIMIT 101", horizon
        )
        await owner.fetchval("SELECT count(*) FROM deadlines WHERE due_at <= $1", horizon)

    start, end = window_on(datetime.now(UTC)).bounds()

    today = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), UTC)

    async def bare_feed() -> None:
        # the feed's rows: its latest overdue and its soonest coming, up to its bound
        overdue = await owner.fetch(
            f"{_DEADLINE_COLUMNS} WHERE d.due_at >= $1 AND d.due_at < $2 "
            "ORDER BY d.due_at DESC, d.project_id DESC, d.kind DESC, d.ref DESC LIMIT $3",
            start,
            today,
            MOST_OVERDUE,
        )
        await owner.fetch(
            f"{_DEADLINE_COLUMNS} WHERE d.due_at BETWEEN $1 AND $2 {_DEADLINE_ORDER} LIMIT $3",
            today,
            end,
            MOST_ENTRIES - len(overdue),
        )

    feed_path = f"/calendar/{tokens['derci_officer'].calendar}.ics"
    etag: dict[str, str] = {}

    async def feed_cold() -> None:
        # a new app in this process: its own process cache, no label said yet, as the first
        # request a new server takes (cold, what the client costs does not count)
        app = http_app(assemble(store, None), secrets.token_bytes(32), False, public_url=BASE)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            SAID_LABELS.clear()  # no label said yet, as in a process that just started
            r = _check(await client.get(feed_path, params={"lang": "fr"}))
            etag["tag"] = r.headers["etag"]

    async def feed_polled() -> None:
        r = await http.get(feed_path, params={"lang": "fr"}, headers={"If-None-Match": etag["tag"]})
        _check(r, 304)

    async def bare_version() -> None:
        # an officer's feed's version: the count of writes to the read models
        await owner.fetchval("SELECT changes FROM read_model_changes")

    async def get(wire: Wire, path: str, **kw: Any) -> None:
        _check(await wire.get(path, **kw))

    async def page(role: str, path: str, **kw: Any) -> None:
        wire, cookie = pages[role]
        _check(await wire.get(path, headers=cookie, **kw))

    cases = [
        Case(
            "portfolio, first page: GET /projects (officer)",
            lambda: get(http, "/projects", headers=officer_api),
            lambda: bare_api(),
            True,
            note="rows + kept totals",
        ),
        Case(
            "portfolio, first page: /ui/portfolio (officer)",
            lambda: page("derci_officer", "/ui/portfolio"),
            lambda: bare_page(),
            True,
            note="rows + kept totals + 3 kept charts",
        ),
        Case(
            "filtered: GET /projects?instrument=IRP&state=active&country=BR&year=" + str(year),
            lambda: get(http, "/projects", headers=officer_api, params=filtered),
            lambda: bare_api(_BARE_FILTER, _BARE_CELL_FILTER, *bare_filter),
            True,
            note="rows + kept totals",
        ),
        Case(
            "filtered: /ui/portfolio?(same filter)",
            lambda: page("derci_officer", "/ui/portfolio", params=filtered),
            lambda: bare_page(_BARE_FILTER, _BARE_CELL_FILTER, *bare_filter),
            True,
            note="rows + kept totals + 3 kept charts",
        ),
        Case(
            "coordinator's list: GET /projects (coordinator)",
            lambda: get(http, "/projects", headers=pi_api),
            lambda: bare_coordinator_api(),
            True,
            note="rows + count",
        ),
        Case(
            # the same calls of the same application in a bare ASGI function under the same
            # uvicorn (bench/served_app.py --no-framework): what the list costs at least
            LIMIT_CASE,
            lambda: get(bare_app, "/projects", headers=pi_api),
            lambda: bare_coordinator_api(),
            False,
            note="rows + count",
        ),
        Case(
            "coordinator's list: /ui/portfolio (coordinator)",
            lambda: page("coordinator", "/ui/portfolio"),
            bare_coordinator_page,
            True,
            note="rows + totals + next deadlines",
        ),
        Case(
            "GET /deadlines?within_days=90, first page (officer)",
            lambda: get(http, "/deadlines", headers=officer_api, params={"within_days": 90}),
            bare_deadlines,
            True,
            note="rows + count",
        ),
        Case(
            # what any answer of the app costs (the client, middleware, the token's look-up,
            # the person, JSON), next to the cheapest statement: the floor under the reads
            "the app's floor: GET /me (coordinator)",
            lambda: get(http, "/me", headers=pi_api),
            lambda: owner.fetchval("SELECT 1"),
            False,
            note="SELECT 1",
        ),
        Case(
            "calendar .ics cold (officer, fr)",
            feed_cold,
            bare_feed,
            False,
            note="the window's rows",
        ),
        Case(
            "calendar .ics If-None-Match: 304",
            feed_polled,
            bare_version,
            False,
            note="the version's aggregate",
        ),
    ]
    for case in cases:  # warm up: plans cached, pages read into memory
        for _ in range(1 if "cold" in case.name else 5):
            await case.product()
            await case.bare()
    for rep in range(args.reps):
        for case in cases:
            if "cold" in case.name and rep >= args.cold_reps:
                continue
            case.product_ms.append(await _ms(case.product))
            case.bare_ms.append(await _ms(case.bare))
    await http.close()
    await bare_app.close()
    for wire, _ in pages.values():
        await wire.close()
    return cases


async def facts(owner: asyncpg.Connection) -> dict[str, Any]:
    year = datetime.now(UTC).year
    start, end = window_on(datetime.now(UTC)).bounds()
    return {
        "coordinator_projects": await owner.fetchval(
            "SELECT count(*) FROM portfolio WHERE coordinator_id = $1", coordinator_of(0)
        ),
        "filtered_total": await owner.fetchval(
            f"SELECT count(*) FROM portfolio p {_BARE_FILTER}",
            FILTER["instrument"],
            FILTER["state"],
            FILTER["country"],
            year,
        ),
        "deadlines_90": await owner.fetchval(
            "SELECT count(*) FROM deadlines WHERE due_at <= $1",
            datetime.now(UTC) + timedelta(days=90),
        ),
        "feed_entries": await owner.fetchval(
            "SELECT count(*) FROM deadlines WHERE due_at BETWEEN $1 AND $2", start, end
        ),
        "phases": {
            r[0]: r[1]
            for r in await owner.fetch(
                "SELECT phase, count(*) FROM portfolio GROUP BY 1 ORDER BY 2 DESC"
            )
        },
        "instruments": {
            r[0]: r[1]
            for r in await owner.fetch(
                "SELECT instrument, count(*) FROM portfolio GROUP BY 1 ORDER BY 2 DESC"
            )
        },
        "active_deadlines": await owner.fetchval(
            "SELECT count(*)::float / greatest(1, count(DISTINCT p.project_id)) FROM portfolio p "
            "JOIN deadlines d USING (project_id) WHERE p.phase = 'active'"
        ),
        "active_projects": await owner.fetchval(
            "SELECT count(*) FROM portfolio WHERE phase = 'active'"
        ),
        "releases": await owner.fetchval("SELECT count(*) FROM releases"),
        "state_kb": await owner.fetchval(
            "SELECT (avg(octet_length(state::text)) / 1024)::float FROM project_states"
        ),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    now = datetime.now(UTC)
    started = time.perf_counter()
    shapes = templates(args.lives, args.cuts, args.seed, now)
    made_s = time.perf_counter() - started
    print(f"{len(shapes)} states of {args.lives} lives in {made_s:.1f} s", flush=True)
    sizes: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="reads-bench-") as tmp:
        root, server = await asyncio.to_thread(
            start_embedded_postgres, Path(tmp), cleanup_mode="delete"
        )
        try:
            admin = await asyncpg.connect(root)
            await admin.execute("CREATE DATABASE reads_bench")
            await admin.close()
            url = with_database(root, "reads_bench")
            store = await PostgresEventStore.connect(url, max_size=STORE_POOL)
            await migrate_read_models(url)
            await migrate_people(url)
            owner = await asyncpg.connect(url)
            try:
                have = deadlines = 0
                tokens = await people(store)
                for size in sorted(args.sizes):
                    t0 = time.perf_counter()
                    deadlines += await fill(owner, shapes, have, size)
                    have = size
                    await owner.execute("VACUUM ANALYZE")
                    await owner.execute("CHECKPOINT")
                    fill_s = time.perf_counter() - t0
                    load = os.getloadavg()[0]
                    print(f"{size:,} projects, {deadlines:,} deadlines in {fill_s:.1f} s; "
                          f"load {load:.1f}", flush=True)  # fmt: skip
                    log = Path(tmp) / f"app-{size}.log"
                    cases = await measure(store, owner, url, tokens, args, log)
                    about = await facts(owner)
                    for c in cases:
                        print(
                            f"  {c.name}: p50 {statistics.median(c.product_ms):.1f} / "
                            f"p95 {pct(c.product_ms, 0.95):.1f} ms; bare p50 "
                            f"{statistics.median(c.bare_ms):.1f} / p95 {pct(c.bare_ms, 0.95):.1f}",
                            flush=True,
                        )
                    sizes.append(
                        {
                            "projects": size,
                            "deadlines": deadlines,
                            "fill_s": fill_s,
                            "load_before": load,
                            "load_after": os.getloadavg()[0],
                            **about,
                            "cases": [
                                {
                                    "name": c.name,
                                    "page": c.page,
                                    "note": c.note,
                                    "n": len(c.product_ms),
                                    "p50": statistics.median(c.product_ms),
                                    "p95": pct(c.product_ms, 0.95),
                                    "bare_p50": statistics.median(c.bare_ms),
                                    "bare_p95": pct(c.bare_ms, 0.95),
                                }
                                for c in cases
                            ],
                        }
                    )
            finally:
                await owner.close()
                await store.close()
        finally:
            await asyncio.to_thread(server.cleanup)
    return {"templates": len(shapes), "lives": args.lives, "made_s": made_s, "sizes": sizes}


# --- reporting -------------------------------------------------------------------------------


def target_rows(result: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    rows = []
    largest = max(result["sizes"], key=lambda s: s["projects"])
    pages = [c for c in largest["cases"] if c["page"]]
    worst = max(pages, key=lambda c: c["p95"])
    rows.append(
        (
            f"a page at {largest['projects']:,} projects, p95 (slowest of {len(pages)})",
            f"{worst['p95']:.1f} ms ({_short(worst['name'])})",
            f"< {PAGE_P95_MS:.0f} ms",
            worst["p95"] < PAGE_P95_MS,
        )
    )
    under = [c for c in pages if c["p95"] < PAGE_P95_MS]
    rows.append(
        (
            f"pages with p95 < {PAGE_P95_MS:.0f} ms at {largest['projects']:,}",
            f"{len(under)} of {len(pages)}: "
            + "; ".join(f"{_short(c['name'])} {c['p95']:.1f}" for c in pages),
            f"all < {PAGE_P95_MS:.0f} ms",
            len(under) == len(pages),
        )
    )
    within = [c for c in pages if c["p50"] <= RATIO_TARGET * c["bare_p50"]]
    rows.append(
        (
            f"pages within {RATIO_TARGET:g}x their bare SQL at {largest['projects']:,}, p50",
            f"{len(within)} of {len(pages)}: "
            + "; ".join(f"{_short(c['name'])} {c['p50'] / c['bare_p50']:.1f}x" for c in pages),
            f"all ≤ {RATIO_TARGET:g}x",
            len(within) == len(pages),
        )
    )
    ratio = max(pages, key=lambda c: c["p50"] / c["bare_p50"])
    rows.append(
        (
            f"a page against its bare SQL at {largest['projects']:,}, p50 (highest ratio)",
            f"{ratio['p50'] / ratio['bare_p50']:.1f}x ({_short(ratio['name'])})",
            f"≤ {RATIO_TARGET:g}x",
            ratio["p50"] / ratio["bare_p50"] <= RATIO_TARGET,
        )
    )
    listed = {c["name"]: c for c in largest["cases"]}
    if LIMIT_CASE in listed:  # runs before 2026-12-04 had none
        bare = listed[LIMIT_CASE]
        app = listed["coordinator's list: GET /projects (coordinator)"]
        rows.append(
            (
                f"the coordinator's list in a bare ASGI function (no framework) at "
                f"{largest['projects']:,}, p50",
                f"{bare['p50'] / bare['bare_p50']:.1f}x its bare SQL "
                f"({bare['p50']:.2f} ms; the app {app['p50']:.2f} ms, "
                f"{app['p50'] / app['bare_p50']:.1f}x)",
                f"≤ {RATIO_TARGET:g}x",
                bare["p50"] <= RATIO_TARGET * bare["bare_p50"],
            )
        )
    for s in result["sizes"]:
        cold = next(c for c in s["cases"] if "cold" in c["name"])
        rows.append(
            (
                f"officer's .ics cold at {s['projects']:,} "
                f"({min(s['feed_entries'], MOST_ENTRIES):,} entries), p50",
                f"{cold['p50']:,.0f} ms (bare rows {cold['bare_p50']:,.0f} ms)",
                f"< {ICS_COLD_MS:.0f} ms",
                cold["p50"] < ICS_COLD_MS,
            )
        )
    return rows


def _short(name: str) -> str:
    return name.split(":")[0] + (": " + name.split(":")[1].strip() if ":" in name else "")


NOTES = """- Before the changes of 2026-12-03 (`--reps 30`, load 1.6), at 100,000 projects:
  `GET /projects` p50 88 / p95 204 ms (bare 6 / 26), the filtered list p50 1,723 ms (bare
  204), the filtered page 4,064 ms, `/ui/portfolio` 526 ms (bare 257), `GET /deadlines`
  104 ms (bare 4.7). Found with EXPLAIN ANALYZE on the same data:
  - one statement served every shape of a list (`$4 IS NULL OR p.instrument = $4` for each
    filter, the visibility rule for every role): its plan joined every portfolio row with
    its state's row for the totals and evaluated each condition on every row;
  - the institute and year filters read fields of each project's state, a JSON document
    of about 5 KiB that PostgreSQL stores compressed out of line: each candidate's
    document fetched and decompressed (and the year filter parsed its instants, text, on
    every row);
  - an officer's deadlines total joined every deadline due with its project to check a
    visibility that holds for every project (190 ms against 9 ms for the index alone).
- What changed (readmodels/views.py, migration 1010): a list's statement is put together
  from fixed fragments for the filters set and the asker's role, every value bound
  (`Sql`, `sees`, `_shown`), the states joined only when a filter or the rows need them;
  the state's institute and instants kept beside it as generated columns (parsed once a
  write, by an immutable cast of the domain's ISO 8601 with its offset); the totals read
  from an index on (instrument, phase) that includes the sums; an officer's deadlines
  counted from the index on due_at.
- The charts kept by the projector (issue 19, 2026-12-03, migration 1011): before, the
  officer's page aggregated its charts over the whole list at every view (the released
  tranches by year joined about 450,000 releases at 100,000 projects): `/ui/portfolio`
  (officer) p50 226 / p95 396 ms, its bare SQL 200 / 495 (`--reps 30`, load 2.4). Now
  the charts of every project, whole or by instrument, state or leading institute (an
  officer's or auditor's list), read sums the projector keeps by those keys
  (`portfolio_counts`, `portfolio_country_counts`, `released_by_year`) in the transaction
  of the rows they add up: each touched project's old contribution taken off before the
  batch writes its rows, its new one added after (readmodels/projector.py `_CHART_SUMS`),
  a few hundred rows read at each view whatever the portfolio's size. This run fills them
  after its COPY with the migration's own `fill_portfolio_charts()`; the page's bare SQL
  reads the same sums (rows + totals + 3 kept charts). A list the sums have no key for
  (a partner country, a year: the filtered page) or a coordinator's own counts its rows
  as before. A first run of the same command at load 4.3 (a busier machine: `GET
  /projects` p50 28.5 ms, the cold feed 6.1 s) gave the officer's page p50 39.0 / p95
  64.1 ms (bare 21.8 / 33.0). Reads this change does not touch ran slower in both runs
  than in the one before them, at a lower load (`GET /projects` at 10,000 p50 10.6
  against 5.6 ms, the cold feed at 10,000 741 against 422 ms): the tree measured holds
  other work in progress (collab/, eventstore/), not examined here; the filling times
  include the sums' `fill_portfolio_charts()` over the whole portfolio.
- The cells (issue 19, 2026-12-03, migration 1012): the sums of 1011 had no key for a
  partner country or a year, so a filtered list counted and charted the thousands of
  projects it matched: at 100,000 projects the filtered page p50 271 / p95 317 ms (its
  SQL alone 250 / 338: rows 81, totals 58, releases by year 89 ms), `GET /projects` with
  the same filter p50 122 / p95 156 ms (`--reps 30`, 07:16 UTC). Now an officer's or
  auditor's totals and charts, whatever the filter, read cells the projector keeps by
  instrument, state, leading institute, partner country (each project once under `*`,
  and once under each country it has a lab in) and the years it is live (the year of its
  submission, of its end, and whether it still runs: `live_in`), about 7,600 + 37,700 +
  41,300 rows at 100,000 projects; the filter reads a few hundred of them (EXPLAIN
  ANALYZE: totals 0.1, releases 0.4, partners 0.2 ms). The portfolio row carries those
  keys itself (its institute, its instants, generated columns for the years), so the
  filtered rows come from the index on (instrument, state, project_id) without reading
  the states (0.4 ms, was 81). The bare SQL of the pages and officer lists reads the same
  cells.
- The calendar feed (2026-12-03): an officer's window held 333,000 deadlines at 100,000
  projects (a 90 MB feed, 5.1 s cold, its bare rows 2.2 s) and 33,000 at 10,000 (741 ms).
  A feed now holds at most the 5,000 deadlines nearest its day (readmodels/calendar_feed.py
  `MOST_ENTRIES`, up to 1,000 of the latest overdue, then the soonest coming; at CNRS's
  thousand projects an officer's window holds about 3,300, all kept), read from the index
  on due_at at both ends; and an officer's or auditor's version, which every poll and every
  cold build reads, is the count of writes to the read models (migration 1013: a statement
  trigger on `portfolio` and `deadlines`), one row, not a digest of every portfolio row
  (65 ms at 100,000). A coordinator's or reviewer's version is still the digest of their
  own projects.
- The app's own cost (issue 19, 2026-12-03, afternoon). Until then the reads were
  measured through httpx over ASGI in this process: profiled (cProfile, 300 coordinator
  lists at 100,000 projects, 2.9 ms of CPU each), the httpx client alone took about 0.8 ms
  a request and shared the process with the bare SQL it is compared with. The app is now
  served as in production and read by the least client (above); the bare SQL's side has
  the same shape, a client here and a server in another process. In the app:
  - a portfolio row is validated once (`readmodels.queries.row_of`): it was validated,
    dumped and validated again; it names its closed sets itself (instrument, state,
    institute), so the API wrote a page's JSON once (then `api.app._json`), where FastAPI
    dumped every row and validated it again against the declared answer;
  - a page and its list's totals are one statement (the totals' row joined to the page's
    rows), where they were two round trips: a coordinator's `portfolio_page` 0.44, 0.51
    and 0.38 ms before, 0.25, 0.28 and 0.24 after (alternating runs, 10,000 projects);
  - uvicorn parses HTTP with httptools (a dependency now) instead of h11.
- The rows' JSON (issue 19, 2026-12-03, evening). Reading each of a page's rows into its
  model and writing it out again was two thirds of `GET /projects`'s time: for 100 rows at
  10,000 projects, 3.6-4.3 ms in the app's process where PostgreSQL writes the same JSON in
  1.3-1.5 ms. The API's page of projects is now written by the database
  (`readmodels.views.portfolio_page_documents`: each row's `row_to_json` of the model's
  fields in its order, instants as pydantic writes them), its rows spliced into the
  answer (`api.app._json_page`); the closed sets the models checked on the way out are
  the table's constraints (migration 1014), so a row written wrong is refused when
  written. The same run before this change: the officer's `GET /projects` 3.6x, filtered
  3.7x at 100,000. And the page: a row's labs (dicts) were written `{{ lab.name }}`, which
  made Jinja try the attribute, raise and take the key, for every lab of every row (18 %
  of the served filtered page's samples); they are joined by key now.
- Who asks (issue 19, 2026-12-03, night). Every request asked PostgreSQL who its token
  or its session names: one of a coordinator's list's two round trips, two of a page's
  three (the session, the person, then the list). A process serving requests now keeps
  those answers (identity/remembered.py) until a trigger's notification says people or
  sessions changed (`LISTEN directory_changed`, migration 2007); it keeps nothing while
  not listening and nothing older than 30 s. In the run of 17:49 UTC (before: the table
  of 16:23 UTC) at 100,000 projects: `/me` p50 0.9 -> 0.5 ms, the coordinator's list
  1.7 -> 1.1 ms (5.3x -> 3.4x), their page 2.8 -> 2.0 ms (5.2x -> 3.6x).
- The filtered page: a row's labs and countries are joined in one call a cell (Jinja's
  `map` and `join` escaped and joined each item apart, in Python: 13 % of the page's
  samples), its state's label taken from the page's own; the templates are not stat()ed
  at each render; the navigation's import link asks the declared roles instead of
  wording a refusal for every non-officer. In process, served, 10,000 projects: 7.1 ->
  6.5 ms. The rest of the page is the template's escaping (a Markup made for each of
  about 1,500 values: 14 % of the samples), the rows read into their models (15 %) and
  asyncpg decoding them (15 %, which the bare SQL pays too).
- The floor, and what PostgreSQL planned anew (issue 19, 2026-12-03, late). In a tight
  loop, nothing interleaved, 10,000 projects (the bare SQL of the coordinator's list
  0.15 ms, `/me` 0.27 ms):
  - FastAPI read a parameter at a time and asked each one's annotation again at every
    request (14 % of a coordinator's list's samples): `GET /projects` and `/deadlines` read
    their query string by one model in one validation, documented from its fields
    (api/query_string.py), the portfolio page and its export alike
    (`web.page_input.read_query`); the reader is async, FastAPI running a plain function in
    a thread. The list 0.77 -> 0.67 ms, the coordinator's page 1.62 -> 1.53.
  - The deadlines, the calendar feed, the forecast and a project were one statement for
    every role (`$2 = ANY($3) OR ($2 = 'coordinator' AND ...)`): PostgreSQL never kept a
    plan for it (600 custom plans in 600 calls, `pg_prepared_statements`) and planned it
    at each call, 0.3 ms of the 0.33 a coordinator's next deadlines took. Written for the
    asker's role (`readmodels.views.sees`, now the visibility rule's one copy), and a
    coordinator's next deadlines read a project at a time (a LATERAL first deadline, one
    plan kept): 304 -> 126 us; then in the page's own statement (`portfolio_page_due`),
    one round trip fewer: the coordinator's page 1.22 -> 1.14 ms.
  - An officer's page and its totals from the cells are two statements again: joined,
    PostgreSQL sorted the page's 100 wide rows a second time (0.83 ms against 0.57 for
    both). A person's own few rows keep the one statement.
  - The three charts are one statement, each one's rows as JSON in its order, where a
    read-only transaction of three was five round trips: a filtered list's charts 769 ->
    449 us.
  - An officer's rows are written in one pass (web/portfolio_rows.py: each value escaped,
    a number, a day, or a member of a closed set the model checked): as 1,300 template
    expressions they were 2.2 ms of the filtered page's 5.1. A row's labs are parsed by
    pydantic-core (0.9 us against json's 2.0).
  - The questions' routes come before the steps' (a request is matched in order), and
    the bearer scheme answers with its person, one dependency where there were two:
    the coordinator's list 0.69 -> 0.63 ms.
  The filtered page went from 5.34 to 4.0 ms, the coordinator's list from 0.77 to 0.63,
  their page from 1.62 to 1.14. Tried, not kept: building the language links without
  Starlette's URL, and the pages' routes ahead of the API's (no difference outside
  noise). What is left: the filtered page's rows read into their models (about 7 us a
  row: the dict, the labs, the validation) and the request's floor.
- Three runs of this benchmark after those changes (23:27-23:31 UTC, idle machine), at
  100,000 projects: the app's side the same in each (the coordinator's list p50 0.79 ms,
  their page 1.16-1.17, `/me` 0.39-0.40, the filtered page 4.71-4.80), the bare SQL's
  not: `SELECT 1` took 0.13 ms in the first run and 0.07 in the next two, the
  coordinator's two statements 0.26 then 0.17, their page's three 0.44 then 0.28-0.29.
  So the coordinator's list was 2.98x, 4.73x and 4.62x, their page 2.67x, 4.22x and
  3.97x, where the filtered page was 2.60-2.63x in all three (the table's run, a
  fourth, is of the fast kind). When a round trip to
  PostgreSQL takes 0.07 ms, the served app's floor (`/me`: HTTP, the routing, the token)
  is 5.8x it, and a list of three rows cannot be within 3x of its two statements; the
  pages whose bare SQL does some work are within it in every run.
- The routing, and the limit under a short list (issue 19, 2026-12-04). FastAPI 0.165
  tries a request's path against its routes in order, about 1 us a route, and an included
  router's routes twice: a page's path was tried against the API's 67 routes (each step's,
  and each address's OPTIONS) before the pages'. The pages are now mounted at `/ui` ahead
  of them (web/pages.py): a coordinator's page 795 -> 720 us in process, the API's reads
  unchanged (their paths are tried against one prefix more). Then the limit: the
  coordinator's list is now measured a second time with no framework at all, the same
  calls of the same application (the token's person, the list's one statement, its JSON,
  the same bytes, checked) in a bare ASGI function under the same uvicorn
  (bench/served_app.py `--no-framework`). In the first runs it took 0.63-0.66 ms where
  the app took 0.79-0.81, and its bare SQL (two statements of 0.06-0.08 ms each)
  0.16-0.21: 3.0x to 3.7x before any framework, routing, middleware or dependency. The
  request through uvicorn and back and the application's calls are already that; the
  framework adds 0.15-0.18 ms to it (in process: FastAPI about 30 us a request over
  Starlette, the rest the dependencies, the middleware and their code evicting the
  read's from the caches: the same read took 170 us called alone, 265 in a route).
  Three rows of a short list cannot be within 3x of their bare SQL in a Python HTTP app
  here; a page whose SQL does some work can, and is.
- Each read now 300 times (was 100): the bare SQL of a short list, 0.16 ms, moved by a
  fifth between two cases of one run that read the same statement."""


def section(result: dict[str, Any], command: str) -> str:
    lines = [
        "| read | projects | p50 ms | p95 ms | bare SQL p50 / p95 ms (what) | p50 ratio "
        "| p95 ratio |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for s in result["sizes"]:
        for c in s["cases"]:
            lines.append(
                f"| {c['name']} | {s['projects']:,} | {c['p50']:.1f} | {c['p95']:.1f} | "
                f"{c['bare_p50']:.1f} / {c['bare_p95']:.1f} ({c['note']}) | "
                f"{c['p50'] / c['bare_p50']:.1f}x | {c['p95'] / c['bare_p95']:.1f}x |"
            )
    sizes = "\n".join(
        f"- {s['projects']:,} projects: filled in {s['fill_s']:.1f} s; "
        f"{s['deadlines']:,} open deadlines ({s['active_deadlines']:.2f} an active project, "
        f"{s['active_projects']:,} active), {s['releases']:,} releases, states "
        f"{s['state_kb']:.1f} KiB of JSON on average; by state "
        + ", ".join(f"{k} {v:,}" for k, v in s["phases"].items())
        + "; by instrument "
        + ", ".join(f"{k} {v:,}" for k, v in s["instruments"].items())
        + f". The filter matches {s['filtered_total']:,}, coordinator {coordinator_of(0)} has "
        f"{s['coordinator_projects']} projects, {s['deadlines_90']:,} deadlines fall due within "
        f"90 days (overdue included), the feed's window holds {s['feed_entries']:,} (a feed "
        f"the {min(s['feed_entries'], MOST_ENTRIES):,} nearest today). Load average "
        f"{s['load_before']:.1f} before, {s['load_after']:.1f} after."
        for s in result["sizes"]
    )
    reps = max(c["n"] for s in result["sizes"] for c in s["cases"])
    return f"""{START_MARK}
{HEADING}

Run: `{command}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.
Machine: {machine()}; embedded PostgreSQL (unix socket, default settings: shared_buffers
128 MB). The machine is shared: each read and its bare SQL alternate, so both see the same
load.

{table(target_rows(result))}

{chr(10).join(lines)}

- Portfolio: {result["templates"]:,} states as of today, from {result["lives"]} lives played in
  memory by the domain ({result["made_s"]:.0f} s), each cut at a random instant of its life
  and moved in time so that the cut is now; each project one of them under its own id,
  title, coordinator ({PROJECTS_A_COORDINATOR} projects each) and institute (COPY).
{sizes}
- Each read {reps} times (the cold feed fewer), after 5 warm-up rounds, through the whole
  HTTP app (`collab.http.http_app`: uvicorn and its HTTP parser, middleware,
  authentication, the application layer, models, JSON or the page's template) served in a
  process of its own with the store's {STORE_POOL} connections (bench/served_app.py), read
  on one kept-alive connection by a client that writes the request and reads the answer
  by its length, each
  followed by its bare SQL on one asyncpg connection of the schema owner: the same rows
  (101, the page's and one to know there is a next), the same total or totals and charts,
  with no visibility rule, no model and no rendering. The pages are signed in (session
  cookie); the API reads carry the person's token. Wall times.
- The coordinator's list with no framework: the limit under it, measured alike: the same
  application's calls in a bare ASGI function served by the same uvicorn in a process of
  its own (bench/served_app.py `--no-framework`), its answer checked to be the app's
  bytes.
- The cold feed: a new app in this process (httpx over ASGI: its own process cache) and
  no label said yet, each time; its bare SQL
  the feed's rows alone, its latest overdue and soonest coming up to its bound
  (readmodels/calendar_feed.py; the feed also builds the text and says every label in
  French).
- Deadlines: the domain's own (`open_deadlines`): an active project lists every tranche and
  report still ahead in its term, about 5 each, more than the 2.6 a project of the mostly
  closed portfolio of bench/load.py.
{NOTES}
{END_MARK}
""".replace("{NOTES}", NOTES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[10_000, 100_000],
        help="projects, comma separated",
    )
    parser.add_argument("--reps", type=int, default=300, help="repetitions of each read")
    parser.add_argument("--cold-reps", type=int, default=5, help="cold calendar feeds")
    parser.add_argument("--lives", type=int, default=400, help="lives played for the states")
    parser.add_argument("--cuts", type=int, default=3, help="instants each life is cut at")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--json", type=Path, help="write the figures there too")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    print(f"{machine()}, load average {os.getloadavg()[0]:.1f}", flush=True)
    result = asyncio.run(run(args))
    command = ("python bench/reads.py " + " ".join(sys.argv[1:])).strip()
    result["rows"] = [
        (m, f, t, met) for m, f, t, met in target_rows(result)
    ]  # for bench/run_all.py's summary
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    if not args.no_write:
        write_section(section(result, command), START_MARK, END_MARK, HEADING)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

"""Run every benchmark, then rewrite bench/RESULTS.md with the figures against the targets.

    python bench/run_all.py                      # the suite, about 30 min on 2 cores
    python bench/run_all.py --quick              # a smoke run of a few minutes (small sizes:
                                                 # its figures are not the targets' figures)
    python bench/run_all.py --lives 100 --lives 1000 --projects 20000   # bigger runs
    python bench/run_all.py --skip lives         # leave a bench's section as it is
    python bench/run_all.py --reuse lives=/tmp/lives.json   # summarise an earlier run's
                                                 # figures (its --json) instead of running it

In order, each in its own process (each writes its own section of RESULTS.md):

1. bench/store_append.py: `PostgresEventStore.append` against raw asyncpg INSERTs, in the
   same run (target: store ≥ 80 % of raw);
2. bench/load.py: 10,000 project lives (over a million events) loaded through the store,
   then one project's history p50/p95 (target: p95 < 5 ms with ≥ 1 M events) and a
   projection rebuild (target: ≥ 50,000 events/s);
3. bench/lives.py: N concurrent five-year lives on the Temporal dev server (per-workflow
   time skipping) against N trivial workflows on the same server, worker RSS sampled
   (targets: ≤ 3x, RSS < 300 MB), N = 100;
4. bench/ledger.py: `Ledger.seal()` in a loop beside 8 writers (target: the lag, events
   stored but unsealed, stays bounded and is gone within 2 s of the writers stopping),
   then `Audit.verify(OPERATOR, digest)` over a store of the same 10,000 lives (target:
   time and peak RSS reported, against a bare SELECT of every event row);
5. bench/burst.py: N approved projects whose terms start at one instant (wall clock, dev
   server) against N timer + activity workflows (target: ≤ 1.5x), N = 1,000 (`--burst`);
6. bench/step_latency.py: a budget amendment through the HTTP API against a bare Update
   running one INSERT (target: p50 ≤ 1.3x);
7. bench/reads.py: the portfolio's pages, a filtered page, a coordinator's list, the
   deadlines and the calendar feed over 10,000 and 100,000 projects, each next to its bare
   SQL (targets: a page p95 < 50 ms at 100,000, within 3x the bare SQL; the feed < 200 ms
   cold).

Then the summary at the top of RESULTS.md (between `<!-- summary:start -->` and
`<!-- summary:end -->`) is rewritten: each target, its figure, met or not, the machine, the
date and how long each part took. The soak's section (tests/faults, written by hand from
its printed counts) is left as it is.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the repository's root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import RESULTS, machine

HERE = Path(__file__).resolve().parent
START_MARK = "<!-- summary:start -->"
END_MARK = "<!-- summary:end -->"
BENCHES = ("store_append", "load", "lives", "ledger", "burst", "step_latency", "reads")


def commands(args: argparse.Namespace, out: Path) -> dict[str, list[str]]:
    py = sys.executable
    store = [py, str(HERE / "store_append.py"), "--json", str(out / "store_append.json")]
    load = [py, str(HERE / "load.py"), "--json", str(out / "load.json")]
    lives = [py, str(HERE / "lives.py"), "--json", str(out / "lives.json")]
    ledger = [py, str(HERE / "ledger.py"), "--json", str(out / "ledger.json")]
    burst = [py, str(HERE / "burst.py"), "--json", str(out / "burst.json")]
    steps = [py, str(HERE / "step_latency.py"), "--json", str(out / "step_latency.json")]
    reads = [py, str(HERE / "reads.py"), "--json", str(out / "reads.json")]
    if args.quick:
        store += ["--events", "2000", "--rounds", "2"]
        load += ["--projects", "300", "--samples", "300"]
        lives += ["--quick"]
        ledger += ["--quick"]
        burst += ["--quick"]
        steps += ["--quick"]
        reads += ["--sizes", "2000", "--reps", "10", "--cold-reps", "2", "--lives", "60"]
    else:
        load += ["--projects", str(args.projects)]
        for n in args.lives or [100]:
            lives += ["--n", str(n)]
        ledger += ["--projects", str(args.projects)]
        for n in args.burst or [1000]:
            burst += ["--n", str(n)]
    return {
        "store_append": store,
        "load": load,
        "lives": lives,
        "ledger": ledger,
        "burst": burst,
        "step_latency": steps,
        "reads": reads,
    }


def run(name: str, command: list[str]) -> tuple[int, float]:
    print(f"\n=== {name}: {' '.join(Path(c).name if i < 2 else c for i, c in enumerate(command))}")
    started = time.perf_counter()
    code = subprocess.run(command, cwd=HERE.parent, check=False).returncode
    seconds = time.perf_counter() - started
    print(f"=== {name}: exit {code} after {seconds / 60:.1f} min", flush=True)
    return code, seconds


def seconds_of(outcome: dict[str, Any]) -> str:
    """The two runs a lives ratio was taken from (absent from older figures)."""
    if "lives_s" not in outcome or "trivial_s" not in outcome:
        return ""
    return f" ({outcome['lives_s']:.0f} s / {outcome['trivial_s']:.0f} s)"


def summary(
    figures: dict[str, Any],
    seconds: dict[str, float],
    codes: dict[str, int],
    command: str,
    notes: dict[str, str] | None = None,
) -> str:
    rows: list[tuple[str, str, str]] = []  # (target, figure, met)

    def mark(met: bool) -> str:
        return "yes" if met else "**no**"

    if "store_append" in figures:
        s = figures["store_append"]
        worst = min(s["results"], key=lambda r: r["ratio"])
        cases = "; ".join(
            f"{r['batch']} ev/append × {r['writers']} writer{'s' if r['writers'] > 1 else ''} "
            f"{r['ratio']:.0%}"
            for r in s["results"]
        )
        rows.append(
            (
                f"append ≥ {s['target']:.0%} of raw asyncpg (each case)",
                f"{cases} (lowest {worst['ratio']:.0%})",
                mark(worst["ratio"] >= s["target"]),
            )
        )
    if "load" in figures:
        lo = figures["load"]
        for measure, figure, target, met in lo["rows"]:
            rows.append((f"{measure}: {target}", figure, mark(met)))
    if "lives" in figures:
        li = figures["lives"]
        ratios = ", ".join(f"N={o['n']}: {o['ratio']:.2f}x{seconds_of(o)}" for o in li["outcomes"])
        rss = ", ".join(
            f"N={o['n']}: {o['lives_rss_mb']:.0f} MB (trivial {o['trivial_rss_mb']:.0f})"
            for o in li["outcomes"]
        )
        rows.append(
            (
                f"N concurrent lives ≤ {li['ratio_target']:g}x N trivial workflows"
                + (" (dev server)" if li.get("server") == "dev" else ""),
                ratios,
                mark(all(o["ratio"] <= li["ratio_target"] for o in li["outcomes"])),
            )
        )
        rows.append(
            (
                f"peak lives-worker RSS < {li['rss_target_mb']:.0f} MB",
                rss,
                mark(all(o["lives_rss_mb"] < li["rss_target_mb"] for o in li["outcomes"])),
            )
        )
    if "ledger" in figures:
        for measure, figure, target, met in figures["ledger"]["rows"]:
            rows.append((f"{measure}: {target}", figure, mark(met)))
    if "burst" in figures:
        b = figures["burst"]
        rows.append(
            (
                f"1-January burst: N term starts stored ≤ {b['ratio_target']:g}x N trivial "
                "timer + activity workflows (dev server, wall clock)",
                ", ".join(
                    f"N={o['n']:,}: {o['ratio']:.2f}x ({o['projects_all_s']:.1f} s / "
                    f"{o['trivial_all_s']:.1f} s), worker RSS peak {o['rss_burst_peak_mb']:.0f} MB"
                    for o in b["outcomes"]
                ),
                mark(all(o["met"] for o in b["outcomes"])),
            )
        )
    if "step_latency" in figures:
        st = figures["step_latency"]
        rows.append(
            (
                f"a person's step through the API: p50 ≤ {st['ratio_target']:g}x a bare "
                "Update + one INSERT",
                f"{st['ratio']:.2f}x (p50 {st['api_p50_ms']:.1f} / {st['bare_p50_ms']:.1f} ms; "
                f"p95 {st['api_p95_ms']:.1f} / {st['bare_p95_ms']:.1f} ms)",
                mark(st["met"]),
            )
        )
    if "reads" in figures:
        for measure, figure, target, met in figures["reads"]["rows"]:
            rows.append((f"{measure}: {target}", figure, mark(met)))
    table = ["| target | figure | met |", "|---|---|:---:|"]
    table += [f"| {t} | {f} | {m} |" for t, f, m in rows]
    notes = notes or {}
    parts = ", ".join(
        notes.get(name)
        or f"{name} {seconds[name] / 60:.1f} min" + ("" if codes[name] == 0 else " (FAILED)")
        for name in seconds
    )
    return f"""{START_MARK}
# Benchmark results

One command runs the whole suite and rewrites this file: `python bench/run_all.py` (about
30 minutes on 2 cores: store append, a store loaded with 10,000 lives, 100 concurrent
lives on the Temporal dev server, and the ledger: sealing beside 8 writers, verify over
another store of 10,000 lives). `--quick` is a smoke run of a few minutes; `--projects`,
`--lives N` (repeatable) and `--skip NAME` make bigger or partial runs. Each benchmark can
also run alone (`python bench/store_append.py`, `bench/load.py`, `bench/lives.py`,
`bench/ledger.py`) and rewrites only its own section below. The soak
(`pytest -m slow tests/faults`) is a test, not a benchmark: its counts are in the last
section.

Run: `{command}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {parts}.
Machine: {machine()}; Python {platform.python_version()}. The machine is shared: figures
move by several percent between runs, which is why each ratio is measured within one run.

{chr(10).join(table)}
{END_MARK}
"""


def write_summary(text: str) -> None:
    current = RESULTS.read_text() if RESULTS.exists() else ""
    start, end = current.find(START_MARK), current.find(END_MARK)
    if start != -1 and end > start:
        updated = current[:start] + text.rstrip("\n") + current[end + len(END_MARK) :]
    else:
        rest = current.removeprefix("# Benchmark results").lstrip("\n")
        updated = text.rstrip("\n") + "\n\n" + rest
    RESULTS.write_text(updated.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few minutes")
    parser.add_argument("--projects", type=int, default=10_000, help="lives loaded (load)")
    parser.add_argument("--lives", type=int, action="append", help="N for bench/lives.py")
    parser.add_argument("--burst", type=int, action="append", help="N for bench/burst.py")
    parser.add_argument("--skip", action="append", choices=BENCHES, default=[])
    parser.add_argument(
        "--reuse",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="do not run NAME: summarise the figures its --json wrote to FILE earlier",
    )
    parser.add_argument(
        "--json-dir", type=Path, help="keep each benchmark's figures there (NAME.json)"
    )
    args = parser.parse_args()
    reused: dict[str, Path] = {}
    for item in args.reuse:
        name, _, file = item.partition("=")
        if name not in BENCHES or not file:
            parser.error(f"--reuse {item}: expected NAME=FILE, NAME one of {', '.join(BENCHES)}")
        reused[name] = Path(file)
        if not reused[name].is_file():
            parser.error(f"--reuse {item}: no such file")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        out = args.json_dir or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        figures: dict[str, Any] = {}
        seconds: dict[str, float] = {}
        codes: dict[str, int] = {}
        notes: dict[str, str] = {}
        for name, command in commands(args, out).items():
            if name in args.skip:
                continue
            if name in reused:
                figures[name] = json.loads(reused[name].read_text())
                seconds[name], codes[name] = 0.0, 0
                when = datetime.fromtimestamp(reused[name].stat().st_mtime, UTC)
                notes[name] = f"{name} reused from a run of {when:%Y-%m-%d %H:%M} UTC"
                continue
            codes[name], seconds[name] = run(name, command)
            path = out / f"{name}.json"
            if codes[name] == 0 and path.exists():
                figures[name] = json.loads(path.read_text())
    line = "python bench/run_all.py " + " ".join(sys.argv[1:])
    text = summary(figures, seconds, codes, line.strip(), notes)
    write_summary(text)
    print("\n" + text)
    sys.exit(1 if any(codes.values()) else 0)


if __name__ == "__main__":
    main()

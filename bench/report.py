"""What every benchmark writes the same way: the machine it ran on, and its own section of
bench/RESULTS.md (each benchmark rewrites only its section; the others stay as they are)."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def table(rows: list[tuple[str, str, str, bool]]) -> str:
    """A benchmark's targets: (measure, figure, target, met) a row."""
    lines = ["| measure | figure | target | met |", "|---|---:|---:|:---:|"]
    for measure, figure, target, met in rows:
        lines.append(f"| {measure} | {figure} | {target} | {'yes' if met else '**no**'} |")
    return "\n".join(lines)


def machine() -> str:
    """Cores this process may use, processor, memory, kernel: what a figure depends on."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024**2:.0f} GiB"
    nproc = len(os.sched_getaffinity(0))
    return f"{nproc} cores ({model}){memory}, {platform.system()} {platform.release()}"


def write_section(
    text: str, start_mark: str, end_mark: str, heading: str, results: Path = RESULTS
) -> None:
    """Put `text` (which starts with `start_mark` and ends with `end_mark`) in place of
    the section between those markers, or of the section under `heading` that an older
    run wrote without markers (up to the next heading or marker), or at the end."""
    current = results.read_text() if results.exists() else "# Benchmark results\n"
    text = text.rstrip("\n")
    start, end = current.find(start_mark), current.find(end_mark)
    if start == -1 and end != -1:
        # a writer that ended its section at the next heading swallowed our start marker
        start = current.rfind(heading, 0, end)
    if start != -1 and end > start:
        updated = current[:start] + text + current[end + len(end_mark) :]
    elif (at := current.find(heading)) != -1:
        ends = [current.find(m, at + len(heading)) for m in ("\n## ", "\n<!-- ")]
        stop = min((e for e in ends if e != -1), default=len(current))
        updated = current[:at] + text + "\n" + current[stop:]
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    results.write_text(updated.rstrip("\n") + "\n")

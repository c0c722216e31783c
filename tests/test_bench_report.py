"""Each benchmark rewrites only its own section of bench/RESULTS.md."""

from __future__ import annotations

from bench.report import machine, write_section

A = ("<!-- a:start -->", "<!-- a:end -->", "## A")


def section(body: str) -> str:
    return f"{A[0]}\n{A[2]}\n\n{body}\n{A[1]}\n"


def test_a_section_replaces_its_old_self_and_nothing_else(tmp_path):
    results = tmp_path / "RESULTS.md"
    other = "<!-- b:start -->\n## B\n\nb figures\n<!-- b:end -->"
    results.write_text(f"# Benchmark results\n\n{section('old a')}\n{other}\n")

    write_section(section("new a"), *A, results=results)

    text = results.read_text()
    assert "new a" in text and "old a" not in text
    assert text.count(A[0]) == 1 and text.count(A[1]) == 1
    assert other in text and text.index("new a") < text.index("## B")


def test_a_section_written_before_markers_is_replaced_up_to_the_next_one(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## A\n\nold a\n\n## B\n\nb figures\n")

    write_section(section("new a"), *A, results=results)

    text = results.read_text()
    assert "old a" not in text and "new a" in text
    assert text.endswith("## B\n\nb figures\n")


def test_a_new_section_goes_at_the_end(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## B\n\nb figures\n")

    write_section(section("a"), *A, results=results)

    assert results.read_text() == f"# Benchmark results\n\n## B\n\nb figures\n\n{section('a')}"


def test_the_machine_is_named_with_its_cores_and_kernel():
    import os
    import platform

    described = machine()
    assert described.startswith(f"{len(os.sched_getaffinity(0))} cores (")
    assert platform.release() in described


def lives_figures(*outcomes: dict) -> dict:
    return {"lives": {"ratio_target": 3.0, "rss_target_mb": 300.0, "outcomes": list(outcomes)}}


def test_the_summary_gives_each_lives_ratio_with_the_two_runs_it_was_taken_from():
    from bench.run_all import summary

    over = {"n": 100, "ratio": 3.1, "lives_s": 93.0, "trivial_s": 30.0}
    over |= {"lives_rss_mb": 160.0, "trivial_rss_mb": 110.0}
    figures = lives_figures(over)
    figures["lives"]["server"] = "dev"
    text = summary(figures, {"lives": 300.0}, {"lives": 0}, "run_all")

    row = next(line for line in text.splitlines() if line.startswith("| N concurrent lives"))
    assert "(dev server)" in row
    assert "N=100: 3.10x (93 s / 30 s)" in row
    assert row.endswith("| **no** |")


def test_the_summary_reads_lives_figures_written_before_their_seconds_were_kept():
    from bench.run_all import summary

    old = {"n": 100, "ratio": 2.8, "lives_rss_mb": 113.0, "trivial_rss_mb": 103.0}
    text = summary(lives_figures(old), {"lives": 60.0}, {"lives": 0}, "run_all")

    row = next(line for line in text.splitlines() if line.startswith("| N concurrent lives"))
    assert "| N=100: 2.80x | yes |" in row


def test_the_summary_gives_the_ledger_rows_as_the_benchmark_wrote_them():
    from bench.run_all import summary

    rows = [
        ["sealer beside 8 writers", "1 ev/append: lag max 40", "lag bounded", True],
        ["verify --digest over 1,022,945 events", "95.0 s, peak RSS 300 MB", "reported", False],
    ]
    text = summary({"ledger": {"rows": rows}}, {"ledger": 600.0}, {"ledger": 0}, "run_all")

    lines = text.splitlines()
    assert "| sealer beside 8 writers: lag bounded | 1 ev/append: lag max 40 | yes |" in lines
    assert any(
        line.startswith("| verify --digest") and line.endswith("| **no** |") for line in lines
    )
    assert "ledger 10.0 min" in text

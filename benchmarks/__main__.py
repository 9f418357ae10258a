"""`python -m benchmarks [--short]`: every benchmark, then one report with charts:
benchmarks/results/report.md (with chart SVGs beside it)."""

from __future__ import annotations

import gzip
import sys
import time
from pathlib import Path

from benchmarks import cluster, erasure, ingest, memory, raw, rebuild, stats
from benchmarks.report import RESULTS, Bar, bar_chart_svg, percentile

SDK = Path(__file__).resolve().parents[1] / "sdk" / "dist" / "sdk.js"


def sdk_size() -> tuple[int, int]:
    """(raw, gzipped) bytes of the built SDK."""
    raw = SDK.read_bytes()
    return len(raw), len(gzip.compress(raw, compresslevel=9))


def main(argv: list[str]) -> int:
    """Run everything (`--short`: a few minutes) and write the report."""
    short = "--short" in argv
    started = time.perf_counter()
    figures = ingest.run(short)
    sizes = [200_000] if short else [1_000_000, 10_000_000]
    dashboards = [stats.run_size(n) for n in sizes]
    questions = [raw.run_size(n) for n in sizes]
    shards = cluster.run(short)
    rebuilds = rebuild.run(short)
    erasures = erasure.run(short)
    memories = memory.run(short)
    sdk_bytes, sdk_gzipped = sdk_size()
    RESULTS.mkdir(exist_ok=True)
    f = figures
    ingest_chart = bar_chart_svg("Ingestion through the gateway vs a bare XADD endpoint", [
        Bar("bare endpoint, single events", f.bare_single.requests_per_second, "#adb5bd"),
        Bar("gateway, single events", f.gateway_single.requests_per_second),
        Bar("bare endpoint, batches of 50", f.bare_batch.requests_per_second * 50, "#adb5bd"),
        Bar("gateway, batches of 50", f.gateway_batch.requests_per_second * 50),
        Bar("worker (stored + rolled up)", f.worker_events_per_second, "#12b886"),
    ], "events/s")  # fmt: skip
    (RESULTS / "ingest.svg").write_text(ingest_chart)
    bars = []
    for r in dashboards:
        label = f"{r['events']:,} events"
        bars += [Bar(f"{label}: Tracking System", percentile(r["redis"].sets, 95)),
                 Bar(f"{label}: chdb", percentile(r["chdb"].sets, 95), "#fd7e14")]  # fmt: skip
    (RESULTS / "dashboard.svg").write_text(
        bar_chart_svg("Dashboard set p95 (6 requests), lower is better", bars, "ms")
    )
    bars = []
    for r in questions:
        for name in raw.QUESTIONS:
            label = f"{r['events'] / 1e6:g}M: {name}"
            bars += [Bar(f"{label}, Tracking System", raw.median(r["ours"][name])),
                     Bar(f"{label}, chdb", raw.median(r["chdb"][name]), "#fd7e14")]  # fmt: skip
    (RESULTS / "raw.svg").write_text(
        bar_chart_svg("Raw questions, warm median, lower is better", bars, "ms", width=760)
    )
    bars = []
    for r in memories:
        label, n = f"{r['events'] / 1e6:g}M events, {r['days']} days", r["events"]
        bars += [Bar(f"{label}: all hashes kept", r["before_total"] / n, "#adb5bd"),
                 Bar(f"{label}: hot window", r["after_total"] / n)]  # fmt: skip
    (RESULTS / "memory.svg").write_text(
        bar_chart_svg("Redis bytes per stored event (target < 400)", bars, "bytes")
    )
    report = [
        "# Benchmark report",
        "",
        f"Mode: {'short' if short else 'full'}; machine: 2 cores; took "
        f"{(time.perf_counter() - started) / 60:.1f} min. Command: `make bench"
        f"{' BENCH_FLAGS=--short' if short else ''}`.",
        "",
        "![ingestion](ingest.svg)",
        "",
        ingest.table(figures).markdown(),
        "",
        "![dashboard](dashboard.svg)",
        "",
        stats.table(dashboards).markdown(),
        "",
        "![raw questions](raw.svg)",
        "",
        raw.table(questions).markdown(),
        "",
        cluster.table(shards).markdown(),
        "",
        rebuild.table(rebuilds).markdown(),
        "",
        erasure.table(erasures).markdown(),
        "",
        "![memory](memory.svg)",
        "",
        memory.table(memories).markdown(),
        "",
        "### SDK",
        "",
        f"`sdk/dist/sdk.js`: {sdk_bytes:,} bytes, {sdk_gzipped:,} bytes gzipped (target < 2,048).",
    ]
    path = RESULTS / "report.md"
    path.write_text("\n".join(report) + "\n")
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

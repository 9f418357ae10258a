"""Erasure benchmark: a site's generated events (90 days, stored and compacted as the worker does,
hashes past a 30-day hot window removed); its busiest visitor is erased. Timed: the erasure of its
events from the raw tiers (day blobs rewritten, tail, hashes, lifetime totals), the summary while
the rollups are rebuilt (the raw path), and the rebuild; the answers before and after side by
side.

Run: python -m benchmarks.erasure [--short]"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
from tests.support.redis_server import start_redis

from benchmarks.data import DAYS, TZ
from benchmarks.rebuild import summaries, timed_rebuild
from benchmarks.report import Table, percentile, save_results
from benchmarks.stats import compact, load
from tracking_system.common import keys
from tracking_system.common.redis import create_client
from tracking_system.tracking.stats.columnar import all_rows
from tracking_system.worker.erasure import erase_users
from tracking_system.worker.hot import evict_site

HOT_DAYS = 30


async def _busiest(url: str, site_id: str) -> tuple[str, int]:
    """The visitor with the most stored events, and how many."""
    redis = create_client(url)
    try:
        table = await all_rows(redis, site_id=site_id)
    finally:
        await redis.aclose()
    counts = pc.value_counts(table.column("userId")).to_pylist()
    best = max(counts, key=lambda c: c["counts"])
    return str(best["values"]), int(best["counts"])


async def _erase(url: str, site_id: str, user: str) -> tuple[float, int]:
    redis = create_client(url)
    try:
        await evict_site(redis, site_id, now_ms=int(time.time() * 1000), hot_days=HOT_DAYS)
        started = time.perf_counter()
        erased = await erase_users(redis, site_id, [user])
        seconds = time.perf_counter() - started
    finally:
        await redis.aclose()
    assert erased is not None, "the site was busy"
    return seconds, erased[user]


def run_size(events: int) -> dict[str, Any]:
    """One data set: load, compact, erase the busiest visitor, rebuild; the figures."""
    print(f"== erasure, {events:,} events")
    start_ms = int((datetime.now(UTC) - timedelta(days=DAYS)).timestamp() * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = start_redis(root / "redis")
        try:
            site_id = "erasurebench"
            server.client().json().set(keys.site(site_id), "$", {"id": site_id, "timezone": TZ})
            rows_dir = root / "rows"
            rows_dir.mkdir()
            load(server, site_id, events=events, seed=5, visitors=max(1000, events // 20),
                 rows_dir=rows_dir, start_ms=start_ms, label="site")  # fmt: skip
            compact(server, [site_id])
            user, theirs = asyncio.run(_busiest(server.url, site_id))
            _, before = asyncio.run(summaries(server.url, site_id, TZ, DAYS))
            erase_seconds, erased = asyncio.run(_erase(server.url, site_id, user))
            raw_times, during = asyncio.run(summaries(server.url, site_id, TZ, DAYS))
            rebuild_seconds, _ = asyncio.run(timed_rebuild(server.url, site_id, events))
            rollup_times, after = asyncio.run(summaries(server.url, site_id, TZ, DAYS))
        finally:
            server.stop()
    return {
        "events": events, "visitor_events": theirs, "erased": erased,
        "erase_seconds": erase_seconds, "rebuild_seconds": rebuild_seconds,
        "raw_ms": raw_times, "rollup_ms": rollup_times,
        "before": before, "during": during, "after": after,
    }  # fmt: skip


def table(results: list[dict[str, Any]]) -> Table:
    """The figures, the answers side by side."""
    rows = []
    for r in results:
        b, d, a = r["before"], r["during"], r["after"]
        rows.append((
            f"{r['events']:,}",
            f"{r['erased']:,} of {r['visitor_events']:,}",
            f"{r['erase_seconds']:.1f} s",
            f"{r['rebuild_seconds']:.1f} s",
            f"p95 {percentile(r['raw_ms'], 95):.1f} → {percentile(r['rollup_ms'], 95):.1f} ms",
            f"{b['events']:,} / {b['visitors']:,} → {d['events']:,} / {d['visitors']:,} → "
            f"{a['events']:,} / {a['visitors']:,}",
        ))  # fmt: skip
    return Table(
        "Erasing a visitor: raw tiers, then the rollups rebuilt without it",
        ("events", "visitor's events erased", "raw tiers", "rollup rebuild",
         "90-day summary during → after the rebuild",
         "events / visitors: before → during → after"),
        rows,
    )  # fmt: skip


def run(short: bool) -> list[dict[str, Any]]:
    """Every size of the mode."""
    return [run_size(n) for n in ([200_000] if short else [1_000_000])]


def main(argv: list[str] | None = None) -> int:
    """Run, print the table, save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="200,000 events instead of 1M")
    args = parser.parse_args(argv)
    results = run(args.short)
    print(table(results).markdown())
    save_results("erasure", {"sizes": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Zone-change benchmark: a site's generated events (90 days, stored and compacted as the worker
does) change zone; the rebuild of its rollups in the new zone is timed (events/s), and the
dashboard's summary in the new zone is timed before (the raw path: DuckDB over the columnar
tier) and after (the rebuilt rollups), with both answers side by side.

Run: python -m benchmarks.rebuild [--short]"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.redis_server import start_redis

from benchmarks.data import DAYS, TZ
from benchmarks.report import Table, percentile, save_results
from benchmarks.stats import compact, load
from tracking_system.common import keys
from tracking_system.common.progress import Progress
from tracking_system.common.redis import create_client
from tracking_system.tracking.stats import queries
from tracking_system.tracking.stats.params import Period
from tracking_system.worker.rebuild import rebuild_rollups

NEW_ZONE = "America/New_York"
REPEAT = 7


async def summaries(
    url: str, site_id: str, tz: str, days: int
) -> tuple[list[float], dict[str, Any]]:
    """The last `days` days' summary in `tz`, REPEAT times (ms each, after a warming one) and its
    answer."""
    redis = create_client(url)
    today = datetime.now(UTC).date()
    period = Period(tz, today - timedelta(days=days - 1), today)
    times, answer = [], {}
    try:
        for _ in range(REPEAT + 1):
            started = time.perf_counter()
            answer = await queries.get_summary(redis=redis, site_id=site_id, period=period,
                                               filters=[])  # fmt: skip
            times.append((time.perf_counter() - started) * 1000)
    finally:
        await redis.aclose()
    return times[1:], answer  # the first one warms the caches


async def timed_rebuild(url: str, site_id: str, events: int) -> tuple[float, int]:
    """Rebuild the site's rollups with a progress bar; (seconds, events replayed)."""
    redis = create_client(url)
    try:
        with Progress(events, label="  rebuilding", unit="events") as bar:

            def report(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.done)

            started = time.perf_counter()
            rebuilt = await rebuild_rollups(redis, site_id, on_progress=report, grace_seconds=0)
            seconds = time.perf_counter() - started
    finally:
        await redis.aclose()
    assert rebuilt is not None, "the site was busy"
    return seconds, rebuilt.events


def run_size(events: int) -> dict[str, Any]:
    """One data set: load, compact, change zone, rebuild; the figures."""
    print(f"== zone change, {events:,} events")
    start_ms = int((datetime.now(UTC) - timedelta(days=DAYS)).timestamp() * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = start_redis(root / "redis")
        try:
            site_id = "rebuildbench"
            server.client().json().set(keys.site(site_id), "$", {"id": site_id, "timezone": TZ})
            rows_dir = root / "rows"
            rows_dir.mkdir()
            load(server, site_id, events=events, seed=3, visitors=max(1000, events // 20),
                 rows_dir=rows_dir, start_ms=start_ms, label="site")  # fmt: skip
            compact(server, [site_id])
            server.client().json().set(keys.site(site_id), "$.timezone", NEW_ZONE)
            raw_times, raw_answer = asyncio.run(summaries(server.url, site_id, NEW_ZONE, 30))
            seconds, replayed = asyncio.run(timed_rebuild(server.url, site_id, events))
            rollup_times, rollup_answer = asyncio.run(summaries(server.url, site_id, NEW_ZONE, 30))
        finally:
            server.stop()
    return {
        "events": replayed,
        "rebuild_seconds": seconds,
        "raw_ms": raw_times,
        "rollup_ms": rollup_times,
        "raw_answer": raw_answer,
        "rollup_answer": rollup_answer,
    }


def table(results: list[dict[str, Any]]) -> Table:
    """The figures, the answers side by side."""
    rows = []
    for r in results:
        before, after = r["raw_answer"], r["rollup_answer"]
        rows.append((
            f"{r['events']:,}",
            f"{r['rebuild_seconds']:.1f} s ({r['events'] / r['rebuild_seconds']:,.0f} events/s)",
            f"p95 {percentile(r['raw_ms'], 95):.1f} → {percentile(r['rollup_ms'], 95):.1f} ms",
            f"{before['events']:,} / {before['visitors']:,} / {before['bounceRate']} → "
            f"{after['events']:,} / {after['visitors']:,} / {after['bounceRate']}",
        ))  # fmt: skip
    out = Table(
        "Zone change: rollups rebuilt from the columnar tier",
        ("events", "rebuild", "summary in the new zone, before (raw path) → after (rollups)",
         "events / visitors / bounce rate, before → after"),
        rows,
    )  # fmt: skip
    return out


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
    save_results("rebuild", {"sizes": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

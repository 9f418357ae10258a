"""Memory benchmark: Redis bytes per stored event, everything included, for a site with 90 days
and with a year of history (the same generated traffic as the dashboard benchmark), stored and
compacted as the worker does, before and after the hot window (EVENTS_HOT_DAYS = 30) removes
the older days' event hashes; and where the bytes go, by key family. The history is loaded in
minutes, so what its TTLs would have removed by now (idle sessions' state, realtime minutes) is
removed before measuring.

Run: python -m benchmarks.memory [--events 1000000] [--short]"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.redis_server import RedisServer, start_redis

from benchmarks.data import CHUNK, TZ
from benchmarks.report import Table, save_results
from benchmarks.stats import compact, load
from tracking_system.common import keys, rollups
from tracking_system.common.progress import Progress
from tracking_system.common.redis import create_client
from tracking_system.worker.hot import evict_site

HOT_DAYS = 30
HISTORIES = (90, 365)
# Key families: patterns over the key's name, `{a}` standing for the site's hash tag and `{z}`
# for a zone's label (first match wins).
FAMILIES = (
    ("event hashes", r"Event:{a}:"),
    ("columnar blobs", r"Col:{a}:d:"),
    ("evicted markers", r"Col:{a}:seen:"),
    ("columnar tail + catalog", r"Col:"),
    ("rollups: session state", r"R:{a}:{z}:sess:"),
    ("rollups: day counters + HLLs", r"R:{a}:{z}:d:"),
    ("rollups: top ZSETs", r"R:{a}:{z}:z:"),
    ("rollups: per-value visitor HLLs", r"R:{a}:{z}:h:[^:]+:[^:]+:[^:]+:u$"),
    ("rollups: per-value session HLLs", r"R:{a}:{z}:h:"),
    ("rollups: exit-page visitors", r"R:{a}:{z}:x:"),
    ("rollups: filter HLLs", r"R:{a}:{z}:f:.*:[us]$"),
    ("rollups: filter counters", r"R:{a}:{z}:f:"),
    ("rollups: lifetime", r"R:{a}:L:"),
    ("realtime minutes", r"R:{a}:rt:"),
    ("rollups: other", r"R:"),
)


def family(key: str, site_id: str) -> str:
    """The family a key belongs to."""
    for name, pattern in _compiled(site_id):
        if pattern.match(key):
            return name
    return "other"


@functools.cache
def _compiled(site_id: str) -> list[tuple[str, re.Pattern[str]]]:
    zone = r"[^:]+"
    tag = re.escape(keys.site_tag(site_id))
    return [(name, re.compile(p.replace("{a}", tag).replace("{z}", zone)))
            for name, p in FAMILIES]  # fmt: skip


def index_bytes(server: RedisServer, site_id: str) -> int:
    """The site's search index, after a forced garbage collection of deleted documents."""
    client = server.client()
    index = keys.event_index(site_id)
    try:
        client.execute_command("FT.DEBUG", "GC_FORCEINVOKE", index)  # type: ignore[no-untyped-call]
    except Exception as exc:  # older modules: the figure then includes garbage not yet collected
        print(f"  (no forced index GC: {exc})")
    info = client.execute_command("FT.INFO", index)  # type: ignore[no-untyped-call]
    fields = info if isinstance(info, dict) else dict(zip(info[0::2], info[1::2], strict=False))
    names = ("inverted_sz_mb", "offset_vectors_sz_mb", "doc_table_size_mb",
             "sortable_values_size_mb", "key_table_size_mb", "tag_overhead_sz_mb")  # fmt: skip
    return int(sum(float(fields.get(name, 0) or 0) for name in names) * 1024 * 1024)


def by_family(server: RedisServer, site_id: str) -> dict[str, int]:
    """MEMORY USAGE of every key, summed by family, plus the search index."""
    client = server.client()
    total = int(client.dbsize())
    out: dict[str, int] = defaultdict(int)
    with Progress(total, label="  measuring keys", unit="keys") as bar:
        pipe = client.pipeline(transaction=False)
        names: list[str] = []
        for name in client.scan_iter(count=5000):
            names.append(name)
            pipe.memory_usage(name, samples=0)
            if len(names) == 5000:
                for key, size in zip(names, pipe.execute(), strict=True):
                    out[family(key, site_id)] += int(size or 0)
                bar.update(len(names))
                names = []
        for key, size in zip(names, pipe.execute(), strict=True):
            out[family(key, site_id)] += int(size or 0)
        bar.update(len(names))
    out["search index"] = index_bytes(server, site_id)
    return dict(out)


def _batches(names: Iterator[str], size: int = 5000) -> Iterator[list[str]]:
    while batch := list(itertools.islice(names, size)):
        yield batch


def expire_as_time_would(server: RedisServer, site_id: str, now_ms: int) -> int:
    """Delete what a site live for its history would no longer hold, though a load in minutes
    still does: session states idle past their TTL and realtime minutes past theirs (keys the
    store script gives a TTL counted from when it stored); the keys deleted."""
    client = server.client()
    deleted = 0
    sessions = client.scan_iter(match=f"{rollups.site_prefix(site_id)}*:sess:*", count=5000)
    idle_since = now_ms - rollups.SESSION_TTL_SECONDS * 1000
    for names in _batches(sessions):
        lasts = client.pipeline(transaction=False)
        for name in names:
            lasts.hget(name, "l")
        old = [n for n, last in zip(names, lasts.execute(), strict=True) if int(last) < idle_since]
        deleted += int(client.delete(*old)) if old else 0
    minutes = client.scan_iter(match=f"{rollups.realtime_prefix(site_id)}*", count=5000)
    recent = (now_ms - rollups.REALTIME_TTL_SECONDS * 1000) // 60_000
    for names in _batches(minutes):
        old = [n for n in names if int(n.removeprefix(rollups.realtime_prefix(site_id))
                                        .split(":")[0]) < recent]  # fmt: skip
        deleted += int(client.delete(*old)) if old else 0
    return deleted


async def _evict(url: str, site_id: str) -> tuple[int, float]:
    redis = create_client(url)
    started = time.perf_counter()
    try:
        done = await evict_site(redis, site_id, now_ms=int(time.time() * 1000), hot_days=HOT_DAYS)
    finally:
        await redis.aclose()
    return done.events, time.perf_counter() - started


def run_size(events: int, days: int) -> dict[str, Any]:
    """One site with `events` events over `days` days: memory before and after the hot window."""
    print(f"== memory, {events:,} events over {days} days")
    start_ms = int((datetime.now(UTC) - timedelta(days=days)).timestamp() * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = start_redis(root / "redis")
        try:
            site_id = "memorybench"
            client = server.client()
            client.json().set(keys.site(site_id), "$", {"id": site_id, "timezone": TZ})
            base = int(client.info("memory")["used_memory"])
            rows_dir = root / "rows"
            rows_dir.mkdir()
            load(server, site_id, events=events, seed=5, visitors=max(1000, events // 20),
                 rows_dir=rows_dir, start_ms=start_ms, label="site", days=days)  # fmt: skip
            compact(server, [site_id])
            expire_as_time_would(server, site_id, int(time.time() * 1000))
            stored = max(1, events // CHUNK) * CHUNK
            before_total = int(client.info("memory")["used_memory"]) - base
            before = by_family(server, site_id)
            evicted, seconds = asyncio.run(_evict(server.url, site_id))
            after = by_family(server, site_id)
            after_total = int(client.info("memory")["used_memory"]) - base
        finally:
            server.stop()
    return {"events": stored, "days": days, "before_total": before_total,
            "after_total": after_total, "before": before, "after": after, "evicted": evicted,
            "evict_seconds": seconds}  # fmt: skip


def table(results: list[dict[str, Any]]) -> Table:
    """Bytes per event: used_memory's growth, then by family, before → after the hot window."""
    rows = []
    for r in results:
        n = r["events"]
        rows.append((f"{n:,} events, {r['days']} days", "used_memory growth, all of it",
                     f"{r['before_total'] / n:,.0f}", f"**{r['after_total'] / n:,.0f}**",
                     "target < 400 " + ("✓" if r["after_total"] / n < 400 else "✗")))  # fmt: skip
        names = sorted(set(r["before"]) | set(r["after"]), key=lambda k: -r["before"].get(k, 0))
        for name in names:
            rows.append(("", name, f"{r['before'].get(name, 0) / n:,.1f}",
                         f"{r['after'].get(name, 0) / n:,.1f}", ""))  # fmt: skip
        rate = r["evicted"] / max(r["evict_seconds"], 1e-9)
        took = f"{r['evicted']:,} in {r['evict_seconds']:.1f} s"
        rows.append(("", "hashes removed (one pass)", took, f"{rate:,.0f}/s", ""))
    return Table(
        f"Redis memory per stored event (bytes), before → after the {HOT_DAYS}-day hot window",
        ("site", "what", "before", "after", "against target"),
        rows,
    )


def run(short: bool, events: int | None = None, days: int | None = None) -> list[dict[str, Any]]:
    """Both histories (or one) at one size."""
    size = events or (200_000 if short else 1_000_000)
    return [run_size(size, history) for history in ((days,) if days else HISTORIES)]


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--short", action="store_true", help="200,000 events")
    parser.add_argument("--days", type=int, default=None, help="one history only")
    args = parser.parse_args(argv)
    results = run(args.short, args.events, args.days)
    out = table(results)
    print(out.markdown())
    save_results("memory", {"results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Dashboard benchmark: 1M and 10M generated events for one account (plus noise in two others),
the dashboard's set of requests timed through the real gateway, side by side with ClickHouse
(chdb) computing the same numbers from the same raw events; Redis memory per event.

Run: python -m benchmarks.stats [--events 1000000,10000000] [--short]"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from tests.support.accounts import Account, register
from tests.support.redis_server import RedisServer, start_redis
from tests.support.system import System, build_system

from benchmarks import chdb
from benchmarks.data import CHUNK, DAYS, FUNNEL_STEPS, TZ, chunk
from benchmarks.report import Table, percentile, save_results
from tracking_system.common import keys
from tracking_system.common.redis import create_client
from tracking_system.worker.compaction import compact_all
from tracking_system.worker.consumer import ensure_group
from tracking_system.worker.store import Store, prepare

REPEAT = 20


# --- loading ----------------------------------------------------------------------------------


@contextmanager
def bench_system(root: Path) -> Iterator[tuple[RedisServer, System]]:
    """Redis and the users, tracking and gateway services, for one data set."""
    server = start_redis(root / "redis")
    # Latency is measured here, not the per-account query budget (tracking/guard.py).
    env = {"LOG_LEVEL": "WARNING", "QUERY_BUDGET_SECONDS_PER_MINUTE": "3600"}
    system = build_system(redis_url=server.url, log_dir=root / "logs", extra_env=env)
    try:
        for name in ("users", "tracking", "gateway"):
            system.start(name)
        yield server, system
    finally:
        system.stop_all()
        server.stop()


def _load_part(args: tuple[str, str, int, list[int], int, int, str, int, int]) -> int:
    """Prepare + store chunks into Redis; write the same events as JSON rows for chdb."""
    redis_url, account_id, seed, indices, start_ms, visitors, rows_path, size, days = args

    async def run() -> int:
        redis = create_client(redis_url)
        await ensure_group(redis, f"bench-{os.getpid()}")
        store = Store(redis)
        written = 0
        with open(rows_path, "wb") as rows_file:
            for index in indices:
                batch = []
                for k, row in enumerate(
                    chunk(
                        seed=seed,
                        index=index,
                        size=size,
                        start_ms=start_ms,
                        days=days,
                        visitors=visitors,
                    )
                ):
                    event = {**row.event, "userAgent": row.user_agent, "ip": row.ip,
                             "receivedAt": row.event["eventTime"]}  # fmt: skip
                    prepared = prepare(f"{index}-{k}", account_id, event, tz=TZ)
                    batch.append(prepared)
                    fields = prepared.description["f"]
                    stored = dict(zip(fields[::2], fields[1::2], strict=True))
                    rows_file.write(chdb.row(account_id, stored))
                    if len(batch) == 500:
                        await store.store(batch)
                        batch = []
                if batch:
                    await store.store(batch)
                written += size
        await redis.aclose()
        return written

    return asyncio.run(run())


def load(server: RedisServer, account_id: str, *, events: int, seed: int, visitors: int,
         rows_dir: Path, start_ms: int, label: str, days: int = DAYS) -> float:  # fmt: skip
    """Load `events` events over `days` days with two processes, one chunk per task; seconds
    taken."""
    chunks = max(1, events // CHUNK)
    tasks = [
        (server.url, account_id, seed, [i], start_ms, visitors,
         str(rows_dir / f"{label}-{i}.ndjson"), CHUNK, days)
        for i in range(chunks)
    ]  # fmt: skip
    started = time.perf_counter()
    in_two_processes(_load_part, tasks, total=chunks * CHUNK, label=f"loading {label}")
    return time.perf_counter() - started


def in_two_processes(work: Callable[[Any], int], tasks: list[Any], *, total: int,
                     label: str) -> int:  # fmt: skip
    """Run the tasks in two processes, printing the events done so far; the events done."""
    started = time.perf_counter()
    done = 0
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        for written in pool.imap_unordered(work, tasks):
            done += written
            rate = done / (time.perf_counter() - started)
            print(f"\r  {label}: {done:>10,}/{total:,} events ({rate:,.0f}/s)", end="",
                  flush=True)  # fmt: skip
    print()
    return done


def compact(server: RedisServer, site_ids: list[str]) -> tuple[int, float]:
    """What the worker does in the background: every site's tail into day blobs; (rows moved,
    seconds)."""

    async def run() -> int:
        redis = create_client(server.url)
        moved = 0
        for site_id in site_ids:
            moved += await compact_all(redis, site_id, max_rows=500_000)
            print(f"\r  compacting: {moved:>10,} rows", end="", flush=True)
        await redis.aclose()
        return moved

    started = time.perf_counter()
    moved = asyncio.run(run())
    print()
    return moved, time.perf_counter() - started


INDEX_MEMORY = (
    "inverted_sz_mb",
    "offset_vectors_sz_mb",
    "doc_table_size_mb",
    "sortable_values_size_mb",
    "key_table_size_mb",
    "tag_overhead_sz_mb",
)


def memory_parts(server: RedisServer, site_id: str, events: int) -> dict[str, float]:
    """Bytes per event of the event hashes (a sample's MEMORY USAGE), the site's search index
    (FT.INFO) and the columnar blobs; the rest of the growth is rollups and session state."""
    client = server.client()
    found = client.scan_iter(match=keys.event_prefix(site_id) + "*", count=1000)
    sample = list(itertools.islice(found, 2000))
    per_hash = sum(int(client.memory_usage(k) or 0) for k in sample) / max(1, len(sample))
    info = client.execute_command("FT.INFO", keys.event_index(site_id))  # type: ignore[no-untyped-call]
    fields = info if isinstance(info, dict) else dict(zip(info[0::2], info[1::2], strict=False))
    index_mb = sum(float(fields.get(name, 0) or 0) for name in INDEX_MEMORY)
    client.close()
    return {"hashes": per_hash, "index": index_mb * 1024 * 1024 / events,
            "columnar": blob_bytes(server, site_id) / events}  # fmt: skip


def blob_bytes(server: RedisServer, site_id: str) -> int:
    """Bytes of the site's day blobs (the columnar tier)."""
    client = server.client()
    blobs = client.scan_iter(match=keys.columnar_prefix(site_id) + "d:*", count=1000)
    total = sum(int(client.strlen(key)) for key in blobs)
    client.close()
    return total


# --- queries ----------------------------------------------------------------------------------


@dataclass
class Timings:
    per_query: dict[str, list[float]]
    sets: list[float]

    def p(self, name: str, pct: float) -> float:
        """Percentile of one query in ms."""
        return percentile(self.per_query[name], pct)


# Beyond the dashboard's first screen, over the last 30 days unless said: summaries under one
# session filter (the filter rollups answer) and two (the raw path), a 4-step funnel and a
# 12-week retention.
def extra_requests() -> dict[str, tuple[str, dict[str, Any]]]:
    """name -> (stats path, parameters)."""
    today = datetime.now(ZoneInfo(TZ)).date()
    last30 = {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
    weeks12 = {"from": (today - timedelta(days=83)).isoformat(), "to": today.isoformat()}
    return {
        "filtered": ("summary", {"filter": ["country:IN"], **last30}),
        "filtered2": ("summary", {"filter": ["country:IN", "referrerDomain:google.com"], **last30}),
        "filtered_ctx": ("summary", {"filter": ["country:IN", "context.plan:pro"], **last30}),
        "funnel": ("funnel", {"step": FUNNEL_STEPS, "window": "1d", **last30}),
        "retention": ("retention", {"unit": "week", **weeks12}),
    }


def dashboard_requests() -> dict[str, tuple[str, dict[str, Any]]]:
    """The dashboard's set (as its first screen asks), and one filtered query."""
    today = datetime.now(ZoneInfo(TZ)).date()
    last30 = {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
    return {
        "overview": ("overview", {}),
        "daily30": ("daily", {"days": 30}),
        "summary": ("summary", last30),
        "topEvents": ("events", {}),
        "topPages": ("pages", {}),
        "topReferrers": ("breakdown", {"dimension": "referrerDomain", **last30}),
    }


def time_gateway(system: System, account: Account) -> tuple[Timings, Timings, dict[str, Any]]:
    """The dashboard set through the gateway; then the filtered query."""
    requests = dashboard_requests()
    per: dict[str, list[float]] = {name: [] for name in requests}
    sets: list[float] = []
    answers: dict[str, Any] = {}
    with httpx.Client(base_url=system.gateway_url, headers=account.auth(), timeout=120) as api:
        for i in range(REPEAT + 2):
            total = 0.0
            for name, (path, params) in requests.items():
                started = time.perf_counter()
                response = api.get(f"/api/v1/stats/{path}", params=params)
                elapsed = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                answers[name] = response.json()["data"]
                if i >= 2:  # two warm-up rounds
                    per[name].append(elapsed)
                    total += elapsed
            if i >= 2:
                sets.append(total)
        filtered: dict[str, list[float]] = {name: [] for name in extra_requests()}
        for name, (path, params) in extra_requests().items():
            for i in range(7):
                started = time.perf_counter()
                response = api.get(f"/api/v1/stats/{path}", params=params)
                response.raise_for_status()
                if i == 0:  # the first reads and decodes the day blobs
                    filtered[f"{name} (cold)"] = [(time.perf_counter() - started) * 1000]
                if i >= 2:
                    filtered[name].append((time.perf_counter() - started) * 1000)
                answers[name] = response.json()["data"]
    return Timings(per, sets), Timings(filtered, []), answers


def time_chdb(rows_dir: Path, account_id: str) -> tuple[Timings, Timings, dict[str, Any]]:
    """Load the raw rows into chdb (MergeTree) and time the same set."""
    db = chdb.session(rows_dir)
    queries = chdb.queries(account_id)
    per: dict[str, list[float]] = {name: [] for name in dashboard_requests()}
    sets: list[float] = []
    answers: dict[str, Any] = {}
    for i in range(REPEAT + 2):
        total = 0.0
        for name in per:
            started = time.perf_counter()
            answers[name] = db.query(queries[name], "CSV").bytes()
            elapsed = (time.perf_counter() - started) * 1000
            if i >= 2:
                per[name].append(elapsed)
                total += elapsed
        if i >= 2:
            sets.append(total)
    filtered: dict[str, list[float]] = {name: [] for name in extra_requests()}
    for name in extra_requests():
        for i in range(7):
            started = time.perf_counter()
            answers[name] = db.query(queries[name], "CSV").bytes()
            if i >= 2:
                filtered[name].append((time.perf_counter() - started) * 1000)
    db.close()
    return Timings(per, sets), Timings(filtered, []), answers


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_export(system: System, account: Account) -> tuple[int, float, float]:
    """Stream the whole account as NDJSON through the gateway; (lines, seconds, peak RSS growth
    of the tracking process in MB)."""
    pid = system.processes["tracking"].pid
    before = peak = _rss_mb(pid)
    lines = 0
    started = time.perf_counter()
    api = httpx.Client(base_url=system.gateway_url, headers=account.auth(), timeout=600)
    with api, api.stream("GET", "/api/v1/events/export", params={"format": "ndjson"}) as resp:
        resp.raise_for_status()
        for chunk in resp.iter_bytes():
            lines += chunk.count(b"\n")
            if lines % 50_000 < chunk.count(b"\n") + 1:
                peak = max(peak, _rss_mb(pid))
                print(f"\r  export: {lines:>10,} events", end="", flush=True)
    print()
    return lines, time.perf_counter() - started, max(peak, _rss_mb(pid)) - before


# --- the run ----------------------------------------------------------------------------------


def run_size(events: int) -> dict[str, Any]:
    """One data set size, end to end."""
    print(f"== {events:,} events")
    start_ms = int((datetime.now(UTC) - timedelta(days=DAYS)).timestamp() * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with bench_system(root) as (server, system):
            with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
                account = register(api, timezone=TZ)
                noise = [register(api, timezone="UTC") for _ in range(2)]
            client = server.client()
            before = int(client.info("memory")["used_memory"])
            rows_dir = root / "rows"
            rows_dir.mkdir()
            seconds = load(server, account.user["id"], events=events, seed=1,
                           visitors=max(1000, events // 20), rows_dir=rows_dir,
                           start_ms=start_ms, label="main")  # fmt: skip
            compacted, compact_seconds = compact(server, [account.user["id"]])
            after = int(client.info("memory")["used_memory"])
            columnar_bytes = blob_bytes(server, account.user["id"])
            parts = memory_parts(server, account.user["id"], events)
            noise_dir = root / "noise"
            noise_dir.mkdir()
            for k, other in enumerate(noise):
                load(server, other.user["id"], events=max(CHUNK, events // 20), seed=10 + k,
                     visitors=1000, rows_dir=noise_dir, start_ms=start_ms,
                     label=f"noise{k}")  # fmt: skip
            compact(server, [other.user["id"] for other in noise])
            for path in noise_dir.glob("*.ndjson"):
                path.rename(rows_dir / path.name)
            redis_set, redis_filtered, redis_answers = time_gateway(system, account)
            exported, export_seconds, rss_growth = measure_export(system, account)
            ch_set, ch_filtered, ch_answers = time_chdb(rows_dir, account.user["id"])
    loaded = max(1, events // CHUNK) * CHUNK
    return {
        "events": loaded,
        "load_seconds": seconds,
        "bytes_per_event": (after - before) / loaded,
        "columnar_bytes_per_event": columnar_bytes / loaded,
        "memory_parts": parts,
        "compacted": compacted,
        "compact_seconds": compact_seconds,
        "redis": redis_set,
        "redis_filtered": redis_filtered,
        "chdb": ch_set,
        "chdb_filtered": ch_filtered,
        "exported": exported,
        "export_seconds": export_seconds,
        "export_rss_growth_mb": rss_growth,
        "lifetime_redis": redis_answers["overview"]["eventsRecorded"]["lifetime"],
        "lifetime_chdb": int(ch_answers["overview"].decode().split(",")[2]),
        "agreement": chdb.agreement(redis_answers, ch_answers),
    }


def table(results: list[dict[str, Any]]) -> Table:
    """Dashboard figures against DESIGN.md's targets."""
    rows = []
    for r in results:
        redis_set: Timings = r["redis"]
        ch: Timings = r["chdb"]
        p95 = percentile(redis_set.sets, 95)
        ch95 = percentile(ch.sets, 95)
        rows.append((f"{r['events']:,}", "dashboard set (6 requests)",
                     f"{percentile(redis_set.sets, 50):.1f} / {p95:.1f} ms",
                     f"{percentile(ch.sets, 50):.1f} / {ch95:.1f} ms",
                     f"{ch95 / p95:.1f}x faster" if p95 else "-"))  # fmt: skip
        for name in redis_set.per_query:
            rows.append(("", name, f"{redis_set.p(name, 50):.1f} / {redis_set.p(name, 95):.1f} ms",
                         f"{ch.p(name, 50):.1f} / {ch.p(name, 95):.1f} ms", ""))  # fmt: skip
        rf, cf = r["redis_filtered"], r["chdb_filtered"]
        labels = {"filtered": "filtered summary (`country:IN`, filter rollups)",
                  "filtered2": "filtered summary (`country:IN` + a referrer, raw path)",
                  "filtered_ctx": "filtered summary (`country:IN` + `context.plan:pro`, raw path)",
                  "funnel": "funnel, 4 steps, 1 day window (columnar tier, DuckDB)",
                  "retention": "retention, 12 weekly cohorts (columnar tier, DuckDB)"}  # fmt: skip
        for name, label in labels.items():
            rows.append(("", label, f"{rf.p(name, 50):.1f} / {rf.p(name, 95):.1f} ms",
                         f"{cf.p(name, 50):.1f} / {cf.p(name, 95):.1f} ms",
                         f"{cf.p(name, 95) / rf.p(name, 95):.2f}x"))  # fmt: skip
            if f"{name} (cold)" in rf.per_query:
                cold = rf.per_query[f"{name} (cold)"][0]
                rows.append(("", f"{label}, first request (blobs read and decoded)",
                             f"{cold:.1f} ms", "", ""))  # fmt: skip
        rows.append(("", "Redis memory per event (hashes + index + rollups + columnar)",
                     f"{r['bytes_per_event']:.0f} bytes", "", "target < 400"))  # fmt: skip
        if "memory_parts" in r:
            parts = r["memory_parts"]
            rest = r["bytes_per_event"] - sum(parts.values())
            rows.append(("", "of which event hashes / search index / columnar blobs / the rest "
                         "(rollups, session state)", f"{parts['hashes']:.0f} / {parts['index']:.0f}"
                         f" / {parts['columnar']:.1f} / {rest:.0f} bytes", "", ""))  # fmt: skip
            rows.append(
                (
                    "",
                    "compaction of the loaded tail (the worker's job)",
                    f"{r['compacted'] / r['compact_seconds']:,.0f} rows/s",
                    "",
                    "",
                )
            )
        if "exported" in r:
            growth = f"tracking RSS +{r['export_rss_growth_mb']:.0f} MB"
            rows.append(("", "export, NDJSON through the gateway",
                         f"{r['exported']:,} events in {r['export_seconds']:.0f} s",
                         growth, "flat memory"))  # fmt: skip
        rows.append(
            (
                "",
                "lifetime events: Redis / chdb",
                f"{r['lifetime_redis']:,}",
                f"{r['lifetime_chdb']:,}",
                "agree" if r["lifetime_redis"] == r["lifetime_chdb"] else "DIFFER",
            )
        )
        for what, (ours, theirs) in r.get("agreement", {}).items():
            rows.append(("", f"{what}: Redis / chdb", ours, theirs,
                         "agree" if ours == theirs else "DIFFER"))  # fmt: skip
    return Table(title="Dashboard (p50 / p95 through the gateway vs chdb in-process)",
                 header=("events", "request", "Tracking System", "chdb", "ratio (target ≥ 10x, "
                         "set p95 < 50 ms)"), rows=rows)  # fmt: skip


def sizes(argv: list[str] | None, description: str | None) -> list[int]:
    """The data set sizes asked for: `--events 1000000,10000000` (default) or `--short`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--events", default="1000000,10000000")
    parser.add_argument("--short", action="store_true", help="200k events only")
    args = parser.parse_args(argv)
    return [200_000] if args.short else [int(x) for x in args.events.split(",")]


def main(argv: list[str] | None = None) -> int:
    """Run and print the dashboard benchmark."""
    results = [run_size(n) for n in sizes(argv, __doc__)]
    print(table(results).markdown())
    save_results("stats", {"results": [
        {k: (v.__dict__ if isinstance(v, Timings) else v) for k, v in r.items()} for r in results
    ]})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

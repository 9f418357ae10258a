"""The raw questions at any size: generated events written straight into the columnar tier
(the day blobs compaction writes, through the same `prepare` and Parquet code), then the
two-filter summary, a 4-step funnel and a 12-week retention timed through the real gateway, side
by side with ClickHouse (chdb) on the same rows. Loading skips the ingest pipeline (measured by
`benchmarks.ingest`), so 10M events load in minutes rather than an hour.

Run: python -m benchmarks.raw [--events 1000000,10000000] [--short]"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.feather as feather
from tests.support.accounts import register
from tests.support.redis_server import RedisServer
from tests.support.system import System

from benchmarks import chdb, stats
from benchmarks.data import CHUNK, DAYS, TZ, chunk
from benchmarks.report import Table, save_results
from tracking_system.common import columnar, keys
from tracking_system.common.columnar import DayMeta
from tracking_system.worker.store import prepare

# The questions the filter rollups cannot answer (stats.extra_requests' raw ones).
QUESTIONS = ("filtered2", "filtered_ctx", "funnel", "retention")
LABELS = {
    "filtered2": "summary under two filters (`country:IN` + a session's referrer)",
    "filtered_ctx": "summary under two filters (`country:IN` + `context.plan:pro`)",
    "funnel": "funnel, 4 steps, 1 day window, last 30 days",
    "retention": "retention, 12 weekly cohorts",
}
REPEAT = 9


def _build_part(args: tuple[str, int, list[int], int, int, str]) -> int:
    """Prepare chunks of events; write their columnar rows per UTC day (Arrow files) and the
    same events as JSON rows for chdb."""
    site_id, seed, indices, start_ms, visitors, out = args
    days: dict[int, list[list[Any]]] = defaultdict(list)
    written = 0
    with open(f"{out}/rows-{indices[0]}.ndjson", "wb") as rows_file:
        for index in indices:
            events = chunk(seed=seed, index=index, size=CHUNK, start_ms=start_ms,
                           days=DAYS, visitors=visitors)  # fmt: skip
            for k, row in enumerate(events):
                event = {**row.event, "userAgent": row.user_agent, "ip": row.ip,
                         "receivedAt": row.event["eventTime"]}  # fmt: skip
                prepared = prepare(f"{index}-{k}", site_id, event, tz=TZ).description
                fields = prepared["f"]
                stored = dict(zip(fields[::2], fields[1::2], strict=True))
                rows_file.write(chdb.row(site_id, stored))
                values = columnar.decode_row(prepared["r"])
                days[columnar.utc_day(values[1])].append(values)
                written += 1
    for day, values in days.items():
        feather.write_feather(columnar.table_of_rows(values), f"{out}/day-{day}-{indices[0]}.arrow")
    return written


def load(server: RedisServer, site_id: str, *, events: int, out: Path) -> tuple[int, float]:
    """Build `events` events with two processes, then one blob per UTC day into the site's
    columnar tier; (events, seconds)."""
    start_ms = int((datetime.now(UTC) - timedelta(days=DAYS)).timestamp() * 1000)
    chunks = max(1, events // CHUNK)
    per_task = 10
    tasks = [(site_id, 1, list(range(i, min(i + per_task, chunks))), start_ms,
              max(1000, events // 20), str(out)) for i in range(0, chunks, per_task)]  # fmt: skip
    started = time.perf_counter()
    done = stats.in_two_processes(_build_part, tasks, total=chunks * CHUNK, label="building")
    parts: dict[int, list[Path]] = defaultdict(list)
    for path in out.glob("day-*.arrow"):
        parts[int(path.name.split("-")[1])].append(path)
    client = server.client()
    for n, (day, paths) in enumerate(sorted(parts.items()), 1):
        table = pa.concat_tables([feather.read_table(p) for p in paths])
        times = table.column("eventTime")
        meta = DayMeta(f"bench{day}", table.num_rows, min(times.to_pylist()),
                       max(times.to_pylist()))  # fmt: skip
        client.set(keys.columnar_blob(site_id, day, meta.version), columnar.to_blob(table))
        client.hset(keys.columnar_catalog(site_id), str(day), meta.dump())
        for path in paths:
            path.unlink()
        print(f"\r  writing day blobs: {n}/{len(parts)}", end="", flush=True)
    print()
    return done, time.perf_counter() - started


def time_gateway(system: System, auth: dict[str, str]) -> tuple[dict[str, list[float]],
                                                                 dict[str, Any]]:  # fmt: skip
    """Each question REPEAT times through the gateway (the first reads and decodes blobs)."""
    timings: dict[str, list[float]] = {}
    answers: dict[str, Any] = {}
    requests = stats.extra_requests()
    with httpx.Client(base_url=system.gateway_url, headers=auth, timeout=300) as api:
        for name in QUESTIONS:
            path, params = requests[name]
            times = []
            for _ in range(REPEAT):
                started = time.perf_counter()
                response = api.get(f"/api/v1/stats/{path}", params=params)
                response.raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
                answers[name] = response.json()["data"]
            timings[name] = times
    return timings, answers


def time_chdb(rows_dir: Path, site_id: str) -> tuple[dict[str, list[float]], dict[str, bytes]]:
    """The same questions in chdb (MergeTree), loaded from the same rows."""
    db = chdb.session(rows_dir)
    queries = chdb.queries(site_id)
    timings: dict[str, list[float]] = {}
    answers: dict[str, bytes] = {}
    for name in QUESTIONS:
        times = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            answers[name] = db.query(queries[name], "CSV").bytes()
            times.append((time.perf_counter() - started) * 1000)
        timings[name] = times
    db.close()
    return timings, answers


def run_size(events: int) -> dict[str, Any]:
    """One data set size, end to end."""
    print(f"== raw questions, {events:,} events")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with stats.bench_system(root) as (server, system):
            with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
                account = register(api, timezone=TZ)
            rows_dir = root / "rows"
            rows_dir.mkdir()
            site_id = account.user["id"]
            loaded, seconds = load(server, site_id, events=events, out=rows_dir)
            ours, our_answers = time_gateway(system, account.auth())
            theirs, their_answers = time_chdb(rows_dir, site_id)
    return {"events": loaded, "load_seconds": seconds, "ours": ours, "chdb": theirs,
            "agreement": chdb.agreement(our_answers, their_answers, QUESTIONS)}  # fmt: skip


def median(values: list[float]) -> float:
    """The warm median of a question's timings."""
    warm = sorted(values[2:])  # the first two read and decode the day blobs
    return warm[len(warm) // 2]


def table(results: list[dict[str, Any]]) -> Table:
    """Figures side by side: warm median and the first (cold) request."""
    rows: list[tuple[str, ...]] = []
    for r in results:
        for name in QUESTIONS:
            ours, theirs = median(r["ours"][name]), median(r["chdb"][name])
            rows.append((f"{r['events']:,}", LABELS[name], f"{ours:.1f} ms",
                         f"{r['ours'][name][0]:.0f} ms", f"{theirs:.1f} ms",
                         f"{theirs / ours:.2f}x" if ours else "-"))  # fmt: skip
        for what, (ours_answer, theirs_answer) in r["agreement"].items():
            rows.append(("", f"{what}: ours / chdb", ours_answer, "", theirs_answer,
                         "agree" if ours_answer == theirs_answer else "DIFFER"))  # fmt: skip
    return Table(
        title="Raw questions (columnar tier + DuckDB through the gateway vs chdb in-process)",
        header=(
            "events",
            "question",
            "Tracking System, warm median",
            "first request",
            "chdb",
            "chdb time / ours (target ≥ 1)",
        ),
        rows=rows,
    )


def main(argv: list[str] | None = None) -> int:
    """Run and print the raw-question benchmark."""
    results = [run_size(n) for n in stats.sizes(argv, __doc__)]
    print(table(results).markdown())
    save_results("raw", {"results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Ingestion benchmark: the real gateway against a bare XADD endpoint, side by side; worker
throughput; accepted -> stored latency at a steady 1k events/s.

Run: python -m benchmarks.ingest [--short]"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import orjson
from tests.support.accounts import register
from tests.support.processes import free_port, http_ok, stop_process, wait_until
from tests.support.redis_server import RedisServer, start_redis
from tests.support.system import System, start_system

from benchmarks.report import Table, percentile, save_results
from benchmarks.wrk import WrkResult, run_wrk
from tracking_system.common import keys
from tracking_system.common.stream import encode_entry

UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
]
PAGES = [f"https://shop.example.com/{p}" for p in
         ("", "pricing", "docs", "blog/launch", "signup", "features", "about", "cart")]  # fmt: skip
REFERRERS = ["", "", "https://www.google.com/", "https://news.ycombinator.com/",
             "https://twitter.com/"]  # fmt: skip


def event(i: int, now: int) -> dict[str, Any]:
    """A plausible event: sessions of ~6 events, 2,000 users, a few pages and agents."""
    session = i // 6
    return {
        "sessionId": f"s{session}",
        "userId": f"u{session % 2000}",
        "eventTime": now - (50_000 - i % 50_000) * 10,  # the last ~8 minutes
        "eventName": "PAGE_VIEW" if i % 4 else random.choice(["signup", "add_to_cart"]),
        "page": PAGES[i % len(PAGES)] + ("?utm_source=newsletter" if session % 7 == 0 else ""),
        "referrer": REFERRERS[session % len(REFERRERS)] or None,
        "eventId": f"bench-{i}",
        "context": {"plan": "pro"} if i % 4 == 0 else None,
    }


# The SDK batches: 1k events/s arrive as 100 requests of 10 events.
PER_REQUEST = 10


@dataclass
class IngestFigures:
    bare_single: WrkResult
    gateway_single: WrkResult
    bare_batch: WrkResult
    gateway_batch: WrkResult
    plausible_single: WrkResult
    single_ratios: list[float]
    plausible_ratios: list[float]
    worker_events_per_second: float
    worker_events: int
    e2e_p50_ms: float
    e2e_p95_ms: float
    e2e_p99_ms: float
    e2e_events: int


@contextmanager
def bare_endpoint(redis_url: str) -> Iterator[str]:
    """The bare XADD app under uvicorn, like the services (uvloop, httptools, one process)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.bare_xadd", str(port), redis_url])
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/") or proc.poll() is not None,
                   within=30, what="bare endpoint")  # fmt: skip
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_process(proc)


def measure_ingest(
    system: System, server: RedisServer, api_key: str, domain: str, seconds: int, rounds: int
) -> tuple[dict[str, WrkResult], dict[str, list[float]]]:
    """wrk in interleaved rounds: single events (the bare endpoint, the gateway, the gateway's
    Plausible route), then batches of 50 (bare, gateway). The median run of each, and each
    round's ratios to the bare endpoint's single events (this machine's speed drifts by a third
    within minutes; interleaving gives every side the same drift)."""
    now = int(time.time() * 1000)
    single = orjson.dumps({"apiKey": api_key, **event(1, now)})
    batch = orjson.dumps({"apiKey": api_key, "events": [event(i, now) for i in range(50)]})
    plausible = orjson.dumps({"n": "pageview", "u": f"https://{domain}/pricing", "d": domain})
    runs: dict[str, list[WrkResult]] = {}
    client = server.client()

    def reset() -> None:
        client.delete(keys.EVENTS_STREAM, "bench:bare")
        client.xgroup_create(keys.EVENTS_STREAM, keys.EVENTS_GROUP, id="0", mkstream=True)

    with bare_endpoint(server.url) as bare_url:
        ours = system.gateway_url + "/api/v1/events"
        groups = (
            ("single", [("bare", bare_url, single), ("gateway", ours, single),
                        ("plausible", system.gateway_url + "/api/event", plausible)]),
            ("batch", [("bare", bare_url, batch), ("gateway", ours, batch)]),
        )  # fmt: skip
        for kind, sides in groups:
            for _, url, body in sides:
                run_wrk(url, body, seconds=1)  # warm-up: connections opened, caches filled
            reset()
            for n in range(1, rounds + 1):
                for name, url, body in sides:
                    print(f"  wrk {name}_{kind:<7} round {n}/{rounds}, {seconds}s ...", flush=True)
                    runs.setdefault(f"{name}_{kind}", []).append(
                        run_wrk(url, body, seconds=seconds)
                    )
                    reset()
    ratios = {
        side: [ours.requests_per_second / bare.requests_per_second
               for bare, ours in zip(runs["bare_single"], runs[side], strict=True)]
        for side in ("gateway_single", "plausible_single")
    }  # fmt: skip
    return {name: median_run(results) for name, results in runs.items()}, ratios


def median_run(results: list[WrkResult]) -> WrkResult:
    """The run of median throughput."""
    return sorted(results, key=lambda r: r.requests_per_second)[len(results) // 2]


def measure_worker(system: System, server: RedisServer, account_id: str, count: int) -> float:
    """Fill the stream with `count` events, start the worker, time the drain."""
    client = server.client()
    now = int(time.time() * 1000)
    ua = UAS
    pipe = client.pipeline(transaction=False)
    for i in range(count):
        body = {**event(i + 1_000_000, now), "userAgent": ua[i % len(ua)], "receivedAt": now,
                "ip": "8.8.8.8"}  # fmt: skip
        body["userId"] = body["userId"] or f"temp:{body['sessionId']}"
        pipe.xadd(keys.EVENTS_STREAM, encode_entry(account_id, body))  # type: ignore[arg-type]
        if i % 5000 == 4999:
            pipe.execute()
            print(f"\r  stream filled: {i + 1:>7}/{count}", end="", flush=True)
    pipe.execute()
    print()
    system.start("worker")
    first: tuple[float, int] | None = None
    while True:
        group = next(g for g in client.xinfo_groups(keys.EVENTS_STREAM)
                     if g["name"] == keys.EVENTS_GROUP)  # fmt: skip
        done = int(group.get("entries-read") or 0) - int(group["pending"])
        now = time.perf_counter()
        if first is None and done > 0:
            first = (now, done)  # timing starts with the first stored batch, not process start
        print(f"\r  worker: {done:>7}/{count} events stored", end="", flush=True)
        if group.get("lag") == 0 and group["pending"] == 0:
            break
        time.sleep(0.05)
    print()
    assert first is not None
    elapsed = time.perf_counter() - first[0]
    count -= first[1]
    return count / elapsed


async def _e2e(system: System, server: RedisServer, api_key: str, account_id: str,
               seconds: int, rate: int) -> list[float]:  # fmt: skip
    """Send `rate` single-event requests a second; time accepted -> published after storing."""
    import redis.asyncio as aioredis

    sub = aioredis.Redis.from_url(server.url)
    pubsub = sub.pubsub()
    await pubsub.ssubscribe(keys.live_channel(account_id))
    sent_at: dict[str, float] = {}
    latencies: list[float] = []

    async def listen() -> None:
        async for message in pubsub.listen():
            if message["type"] != "smessage":
                continue
            data = orjson.loads(message["data"])
            started = sent_at.pop(data["sessionId"], None)
            if started is not None:
                latencies.append((time.perf_counter() - started) * 1000)

    listener = asyncio.create_task(listen())
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as http:
        url = system.gateway_url + "/api/v1/events"

        async def one(i: int) -> None:
            ids = [f"e2e-{i}-{j}" for j in range(PER_REQUEST)]
            events = [{**event(i, int(time.time() * 1000)), "sessionId": sid, "eventId": sid}
                      for sid in ids]  # fmt: skip
            body = {"apiKey": api_key, "events": events}
            start = time.perf_counter()
            for sid in ids:
                sent_at[sid] = start
            headers = {"User-Agent": UAS[0], "Content-Type": "text/plain"}
            async with http.post(url, data=orjson.dumps(body), headers=headers) as response:
                if response.status != 202:
                    for sid in ids:
                        sent_at.pop(sid, None)

        tasks = []
        begin = time.perf_counter()
        requests_per_second = rate // PER_REQUEST
        for i in range(seconds * requests_per_second):
            delay = begin + i / requests_per_second - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    deadline = time.perf_counter() + 10
    while sent_at and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    listener.cancel()
    await pubsub.aclose()
    await sub.aclose()
    return latencies


def run(short: bool) -> IngestFigures:
    """Every ingestion figure, in one run on this machine."""
    seconds = 5 if short else 15
    worker_events = 50_000 if short else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        server = start_redis(Path(tmp) / "redis")
        system = start_system(
            redis_url=server.url,
            log_dir=Path(tmp) / "logs",
            extra_env={
                "INGEST_RATE_LIMIT_PER_SECOND": "1000000000",
                "LOG_LEVEL": "WARNING",
                "INGEST_MAX_BACKLOG": "100000000",
            },
        )
        try:
            domain = "bench.example"
            with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
                account = register(api)
                api.patch(f"/api/v1/sites/{account.user['id']}", json={"domain": domain},
                          headers=account.auth()).raise_for_status()  # fmt: skip
            api_key, account_id = account.user["apiKey"], account.user["id"]
            system.stop("worker")  # ingestion alone first: the worker would compete for CPU
            print("ingest (worker stopped):", flush=True)
            wrk, ratios = measure_ingest(system, server, api_key, domain,
                                         seconds=3 if short else 10, rounds=3)  # fmt: skip
            print(f"worker throughput ({worker_events} events):", flush=True)
            worker_rate = measure_worker(system, server, account_id, worker_events)
            print("end-to-end at 1,000 events/s:", flush=True)
            latencies = asyncio.run(_e2e(system, server, api_key, account_id,
                                         seconds=seconds, rate=1000))  # fmt: skip
        finally:
            system.stop_all()
            server.stop()
    return IngestFigures(
        bare_single=wrk["bare_single"], gateway_single=wrk["gateway_single"],
        bare_batch=wrk["bare_batch"], gateway_batch=wrk["gateway_batch"],
        single_ratios=ratios["gateway_single"],
        plausible_single=wrk["plausible_single"], plausible_ratios=ratios["plausible_single"],
        worker_events_per_second=worker_rate, worker_events=worker_events,
        e2e_p50_ms=percentile(latencies, 50), e2e_p95_ms=percentile(latencies, 95),
        e2e_p99_ms=percentile(latencies, 99), e2e_events=len(latencies),
    )  # fmt: skip


def table(f: IngestFigures) -> Table:
    """The figures against DESIGN.md's targets."""

    def ratio(ratios: list[float]) -> str:
        each = ", ".join(f"{r:.2f}" for r in ratios)
        return f"ratio {statistics.median(ratios):.2f}, median of rounds {each} (target ≥ 0.50)"

    batch_events = f.gateway_batch.requests_per_second * 50
    rows = [
        ("bare XADD endpoint, single events", f"{f.bare_single.requests_per_second:,.0f} req/s",
         f"p50 {f.bare_single.p50_ms:.1f} ms, p99 {f.bare_single.p99_ms:.1f} ms", "ceiling"),
        ("gateway → tracking, single events", f"{f.gateway_single.requests_per_second:,.0f} req/s",
         f"p50 {f.gateway_single.p50_ms:.1f} ms, p99 {f.gateway_single.p99_ms:.1f} ms",
         ratio(f.single_ratios)),
        ("gateway → tracking, Plausible's /api/event",
         f"{f.plausible_single.requests_per_second:,.0f} req/s",
         f"p50 {f.plausible_single.p50_ms:.1f} ms, p99 {f.plausible_single.p99_ms:.1f} ms",
         ratio(f.plausible_ratios)),
        ("bare XADD endpoint, batches of 50",
         f"{f.bare_batch.requests_per_second * 50:,.0f} events/s",
         f"p99 {f.bare_batch.p99_ms:.1f} ms", "ceiling"),
        ("gateway → tracking, batches of 50", f"{batch_events:,.0f} events/s",
         f"p99 {f.gateway_batch.p99_ms:.1f} ms", "target ≥ 50,000 events/s"),
        ("worker, stream → stored + rolled up", f"{f.worker_events_per_second:,.0f} events/s",
         f"{f.worker_events:,} events", "target ≥ 20,000 events/s"),
        ("accepted → stored (1k events/s)", f"p99 {f.e2e_p99_ms:,.0f} ms",
         f"p50 {f.e2e_p50_ms:,.0f} ms, p95 {f.e2e_p95_ms:,.0f} ms, n={f.e2e_events}",
         "target p99 < 2,000 ms"),
    ]  # fmt: skip
    runs = (f.bare_single, f.gateway_single, f.plausible_single, f.bare_batch, f.gateway_batch)
    errors = sum(r.errors for r in runs)
    sockets = "; ".join(r.socket_errors for r in runs if r.socket_errors) or "none"
    return Table(
        title="Ingestion",
        header=("what", "throughput", "latency", "against target"),
        rows=rows,
        note=f"wrk errors/non-2xx: {errors} (socket errors: {sockets})",
    )


def main(argv: list[str] | None = None) -> int:
    """Run and print the ingestion benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--short", action="store_true", help="a few seconds per measurement")
    args = parser.parse_args(argv)
    figures = run(args.short)
    result = table(figures)
    print(result.markdown())
    save_results("ingest", {k: (asdict(v) if hasattr(v, "__dataclass_fields__") else v)
                            for k, v in figures.__dict__.items()})  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m benchmarks.cluster [--short]`: the same system on one Redis and on a local 3-shard
Redis Cluster, side by side: ingestion through the gateway (batches of 50 for three sites at
once, one wrk each), the worker draining what was ingested, and the dashboard set's p95.

Every shard here shares this machine's 2 cores with every service, so the figures show what a
cluster costs per request, not how it scales (that needs a machine per shard)."""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.support.accounts import Account, register
from tests.support.redis_server import RedisServer, start_redis, start_redis_cluster
from tests.support.system import System, start_system

from benchmarks.ingest import event
from benchmarks.report import Table, percentile, save_results
from benchmarks.stats import dashboard_requests
from benchmarks.wrk import run_wrk
from tracking_system.common import keys

SITES = 3
BATCH = 50


@dataclass
class ClusterFigures:
    shards: int
    ingest_events_per_second: float
    wrk_errors: int
    worker_events_per_second: float
    worker_events: int
    dashboard_p95_ms: float


def _server(root: Path, shards: int) -> RedisServer:
    if shards == 1:
        return start_redis(root / "redis")
    return start_redis_cluster(root / "redis-cluster", shards=shards)


def _sites(api: httpx.Client, streams: int) -> list[Account]:
    """Accounts whose sites go to different stream shards (when there are several)."""
    chosen: dict[int, Account] = {}
    while len(chosen) < SITES:
        account = register(api)
        shard = keys.events_streams(streams).index(keys.site_stream(account.user["id"], streams))
        chosen.setdefault(shard if streams > 1 else len(chosen), account)
    return list(chosen.values())


def _ingest(system: System, accounts: list[Account], seconds: int) -> tuple[float, int]:
    """Batches of 50 for every site at once, one wrk each; events accepted a second."""
    import orjson

    now = int(time.time() * 1000)
    url = system.gateway_url + "/api/v1/events"
    bodies = [
        orjson.dumps({"apiKey": a.user["apiKey"], "events": [event(i, now) for i in range(BATCH)]})
        for a in accounts
    ]
    with ThreadPoolExecutor(len(bodies)) as pool:
        runs = list(pool.map(lambda b: run_wrk(url, b, seconds=seconds, connections=16), bodies))
    return sum(r.requests_per_second for r in runs) * BATCH, sum(r.errors for r in runs)


def _backlog(client: object, streams: int) -> tuple[int, int]:
    """(entries, still owed) over every stream shard."""
    total = owed = 0
    for stream in keys.events_streams(streams):
        total += int(client.xlen(stream))  # type: ignore[attr-defined]
        for group in client.xinfo_groups(stream):  # type: ignore[attr-defined]
            owed += int(group.get("lag") or 0) + int(group["pending"])
    return total, owed


def _drain(system: System, server: RedisServer, streams: int) -> tuple[float, int]:
    """Start the worker on what ingestion left and time the drain; events stored a second."""
    client = server.client()
    total, owed = _backlog(client, streams)
    system.start("worker")
    started = time.perf_counter()
    while owed:
        time.sleep(0.1)
        _, owed = _backlog(client, streams)
        print(f"\r  worker: {max(0, total - owed):>8,}/{total:,} stored", end="", flush=True)
    print()
    client.close()
    return total / (time.perf_counter() - started), total


def _dashboard_p95(system: System, account: Account, rounds: int) -> float:
    """p95 of the dashboard's first-screen set for one site, through the gateway."""
    sets = []
    with httpx.Client(base_url=system.gateway_url, headers=account.auth(), timeout=60) as api:
        for i in range(rounds + 2):
            started = time.perf_counter()
            for path, params in dashboard_requests().values():
                api.get(f"/api/v1/stats/{path}", params=params).raise_for_status()
            if i >= 2:  # two warm-up rounds
                sets.append((time.perf_counter() - started) * 1000)
    return percentile(sets, 95)


def run_shards(shards: int, *, seconds: int) -> ClusterFigures:
    """Every figure on one Redis (1) or a local cluster of `shards`."""
    print(f"== {shards} shard{'s' if shards > 1 else ''}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = _server(Path(tmp), shards)
        env = {"INGEST_RATE_LIMIT_PER_SECOND": "1000000000", "INGEST_MAX_BACKLOG": "100000000",
               "LOG_LEVEL": "WARNING", "INGEST_STREAMS": str(shards)}  # fmt: skip
        if shards > 1:
            env["REDIS_CLUSTER"] = "1"
        system = start_system(redis_url=server.url, log_dir=Path(tmp) / "logs", extra_env=env)
        try:
            with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
                accounts = _sites(api, shards)
            system.stop("worker")  # ingestion alone first
            print(f"  ingest {seconds}s, {SITES} sites at once ...", flush=True)
            ingest, errors = _ingest(system, accounts, seconds)
            worker, stored = _drain(system, server, shards)
            dashboard = _dashboard_p95(system, accounts[0], rounds=10 if seconds < 10 else 30)
        finally:
            system.stop_all()
            server.stop()
    return ClusterFigures(shards, ingest, errors, worker, stored, dashboard)


def table(figures: list[ClusterFigures]) -> Table:
    """One Redis against the cluster, with ratios."""
    one = figures[0]
    rows = []
    for f in figures:
        label = "1 Redis" if f.shards == 1 else f"{f.shards}-shard cluster"
        rows.append((
            label,
            f"{f.ingest_events_per_second:,.0f} events/s "
            f"({f.ingest_events_per_second / one.ingest_events_per_second:.2f}x)",
            f"{f.worker_events_per_second:,.0f} events/s "
            f"({f.worker_events_per_second / one.worker_events_per_second:.2f}x)",
            f"{f.dashboard_p95_ms:,.1f} ms ({f.dashboard_p95_ms / one.dashboard_p95_ms:.2f}x)",
        ))  # fmt: skip
    errors = sum(f.wrk_errors for f in figures)
    return Table(
        title="Redis Cluster (all shards on this 2-core machine)",
        header=("Redis", "ingestion, batches of 50", "worker drain", "dashboard set p95"),
        rows=rows,
        note=f"wrk errors/non-2xx: {errors}; worker drained {figures[0].worker_events:,} and "
        f"{figures[-1].worker_events:,} events; ratios against one Redis",
    )


def run(short: bool) -> list[ClusterFigures]:
    """One Redis, then three shards."""
    seconds = 5 if short else 15
    return [run_shards(1, seconds=seconds), run_shards(3, seconds=seconds)]


def main(argv: list[str] | None = None) -> int:
    """Run and print the cluster benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--short", action="store_true", help="5 s of ingestion instead of 15")
    args = parser.parse_args(argv)
    figures = run(args.short)
    print(table(figures).markdown())
    save_results("cluster", {"results": [f.__dict__ for f in figures]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

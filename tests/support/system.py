"""The real service processes (users, tracking, worker, gateway) started for a test session."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import redis
from redis.cluster import RedisCluster

from tests.support.processes import (
    REPO_ROOT,
    free_port,
    http_ok,
    start_tracking_process,
    stop_process,
    wait_until,
)
from tests.support.redis_server import RedisServer, start_test_redis
from tracking_system.common import keys

TEST_INTERNAL_SECRET = "test-internal-secret-" + "x" * 24


@dataclass
class System:
    redis_url: str
    log_dir: Path
    ports: dict[str, int]
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        """Public entry point."""
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def service_url(self, name: str) -> str:
        """Direct URL of a service (bypassing the gateway)."""
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def on_cluster(self) -> bool:
        """Whether the processes use a Redis Cluster."""
        return self.env.get("REDIS_CLUSTER") == "1"

    def redis_client(self) -> redis.Redis:
        """A synchronous client to the system's Redis (a cluster client on a cluster)."""
        if self.on_cluster:
            return cast(redis.Redis, RedisCluster.from_url(self.redis_url, decode_responses=True))
        return redis.Redis.from_url(self.redis_url, decode_responses=True)

    def log_path(self, name: str) -> Path:
        """Where the process's output goes."""
        return self.log_dir / f"{name}.log"

    def logs(self) -> str:
        """Everything every process has written so far."""
        return "".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))

    def start(self, name: str) -> None:
        """Start (or restart) one process and wait until it is ready."""
        command = name
        self.processes[name] = start_tracking_process(
            command, env=self.env, log_path=self.log_path(name)
        )
        self.wait_ready(name)

    def wait_ready(self, name: str) -> None:
        """Block until the process answers (services) or heartbeats (worker)."""
        proc = self.processes[name]

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{self.log_path(name).read_text()}")
            if name == "worker":  # this process's own heartbeat (a killed one's outlives it)
                consumer = self.env.get("WORKER_NAME") or f"{socket.gethostname()}-{proc.pid}"
                client = self.redis_client()
                found = client.exists(keys.worker_heartbeat(consumer))
                client.close()
                return bool(found)
            return http_ok(self.service_url(name) + "/health")

        wait_until(ready, within=60, what=name)

    def stop(self, name: str) -> None:
        """Stop one process gracefully."""
        stop_process(self.processes[name])

    def stop_all(self) -> None:
        """Stop every process."""
        for name in reversed(list(self.processes)):
            self.stop(name)


def build_system(
    *, redis_url: str, log_dir: Path, extra_env: Mapping[str, str] | None = None
) -> System:
    """Describe a system on free ports (nothing started yet)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in ("gateway", "users", "tracking")}
    env = {
        "APP_ENV": "test",
        "REDIS_URL": redis_url,
        "INTERNAL_SECRET": TEST_INTERNAL_SECRET,
        "GATEWAY_PORT": str(ports["gateway"]),
        "USERS_PORT": str(ports["users"]),
        "TRACKING_PORT": str(ports["tracking"]),
        "USERS_URL": f"http://127.0.0.1:{ports['users']}",
        "TRACKING_URL": f"http://127.0.0.1:{ports['tracking']}",
        "DASHBOARD_DIR": str(REPO_ROOT / "dashboard" / "dist"),
        "SDK_FILE": str(REPO_ROOT / "sdk" / "dist" / "sdk.js"),
        "LOG_FORMAT": "json",
        # Tests pose as many clients through X-Forwarded-For, as a reverse proxy would send.
        "TRUSTED_PROXIES": "127.0.0.1",
        "WORKER_CLAIM_IDLE_MS": "1500",
        "WORKER_MAINTENANCE_SECONDS": "0.5",
        "LIVE_RECHECK_SECONDS": "0.5",
        "WORKER_METRICS_PORT": str(free_port()),
        # Tails are compacted when a test says so (tests/support/columnar.py), so the columnar
        # tier's tail and blobs are both what a test chose; the kill tests compact all along.
        "COLUMNAR_COMPACT_SECONDS": "3600",
        "COLUMNAR_COMPACT_ROWS": "1000000",
        # Tests send events of any past day and read them back from the index; a site's
        # retention is applied within a second.
        "EVENTS_HOT_DAYS": "100000",
        "EVENTS_HOT_CHECK_SECONDS": "1",
        **(extra_env or {}),
    }
    return System(redis_url=redis_url, log_dir=log_dir, ports=ports, env=env)


def start_system(
    *, redis_url: str, log_dir: Path, extra_env: Mapping[str, str] | None = None
) -> System:
    """Start users, tracking, worker and gateway, each waited for."""
    system = build_system(redis_url=redis_url, log_dir=log_dir, extra_env=extra_env)
    try:
        for name in ("users", "tracking", "worker", "gateway"):
            system.start(name)
    except BaseException:
        system.stop_all()
        raise
    return system


@contextmanager
def own_system(
    tmp_path: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[tuple[System, RedisServer]]:
    """A Redis (a cluster on a cluster run) and a full system of their own, for tests that kill,
    stop or flood them."""
    server = start_test_redis(tmp_path / "redis")
    env = {**({"REDIS_CLUSTER": "1"} if server.is_cluster else {}), **(extra_env or {})}
    try:
        system = start_system(redis_url=server.url, log_dir=tmp_path / "logs", extra_env=env)
        try:
            yield system, server
        finally:
            system.stop_all()
    finally:
        server.stop()

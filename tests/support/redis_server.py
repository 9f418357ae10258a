"""A real Redis server for tests: the embedded Redis Stack, a plain one without modules, or a
local Redis Cluster of several shards from the same binaries."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import redis
from redis.cluster import RedisCluster
from redis.crc import key_slot

from tests.support.processes import free_port, wait_until
from tracking_system.common import embedded_redis
from tracking_system.common.embedded_cluster import BUS_PORT_OFFSET, EmbeddedCluster, start_cluster


@dataclass
class RedisServer:
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """Connection URL."""
        return embedded_redis.redis_url(self.port)

    @property
    def is_cluster(self) -> bool:
        """Whether this is a Redis Cluster (clients must be cluster clients)."""
        return False

    def client(self) -> redis.Redis:
        """A synchronous client with decoded responses."""
        return redis.Redis(port=self.port, decode_responses=True)

    def kill(self, key: str) -> None:
        """SIGKILL the server (on a cluster, the shard owning `key`'s slot)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def restart(self) -> None:
        """Start the killed server again from its AOF, on the same port."""
        self.process = start_redis(self.data_dir, port=self.port).process

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _ping(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.2).ping())
    except redis.RedisError:
        return False


def start_redis(
    data_dir: Path, *, with_modules: bool = True, port: int | None = None
) -> RedisServer:
    """Start redis-server on a free port and wait until it answers PING."""
    port = port or free_port()
    files = embedded_redis.locate_files()
    if not with_modules:
        files = embedded_redis.EmbeddedRedisFiles(server=files.server, modules=())
    argv = embedded_redis.server_command(port=port, data_dir=data_dir, files=files)
    log = (data_dir / "redis.log").open("ab")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    wait_until(lambda: _ping(port) or proc.poll() is not None, within=20, what="redis")
    if proc.poll() is not None:
        raise RuntimeError(f"redis-server exited: {(data_dir / 'redis.log').read_text()}")
    return RedisServer(port=port, data_dir=data_dir, process=proc)


@dataclass
class ClusterServer(RedisServer):
    """A local Redis Cluster; `port`, `data_dir` and `process` are its first shard's."""

    cluster: EmbeddedCluster | None = None
    killed: int = 0

    @property
    def url(self) -> str:
        """Any node's URL: cluster clients find the others from it."""
        assert self.cluster is not None
        return self.cluster.url

    @property
    def is_cluster(self) -> bool:
        """Always: clients must be cluster clients."""
        return True

    def client(self) -> redis.Redis:
        """A synchronous cluster client with decoded responses (typed as the plain one)."""
        return cast(redis.Redis, RedisCluster.from_url(self.url, decode_responses=True))

    def kill(self, key: str) -> None:
        """SIGKILL the shard owning `key`'s slot."""
        assert self.cluster is not None
        self.killed = self.cluster.owner_of(key_slot(key.encode()))
        self.cluster.kill_node(self.killed)

    def restart(self) -> None:
        """Start the killed shard again from its AOF and wait until the cluster is ok."""
        assert self.cluster is not None
        self.cluster.restart_node(self.killed)

    def stop(self) -> None:
        """Stop every shard."""
        if self.cluster is not None:
            self.cluster.stop()


def bindable(port: int) -> bool:
    """Whether nothing listens on the port (it can be bound)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_base_port(count: int) -> int:
    """A first port such that it, the next count - 1 and their cluster bus ports are free."""
    for _ in range(100):
        base = free_port()
        ports = range(base, base + count)
        if base + count - 1 + BUS_PORT_OFFSET <= 65535 and all(
            bindable(p) and bindable(p + BUS_PORT_OFFSET) for p in ports
        ):
            return base
    raise RuntimeError(f"no {count} consecutive free ports (with their bus ports) found")


def start_redis_cluster(data_dir: Path, *, shards: int) -> ClusterServer:
    """Start a local cluster of `shards` shards on free ports and wait until it is ok."""
    cluster = start_cluster(
        shards=shards, base_port=free_base_port(shards), data_dir=data_dir, say=lambda _: None
    )
    first = cluster.nodes[0]
    assert first.process is not None
    return ClusterServer(port=first.port, data_dir=data_dir, process=first.process, cluster=cluster)


# TEST_REDIS_SHARDS=3: the test run's Redis is a local cluster of that many shards.
TEST_SHARDS = int(os.environ.get("TEST_REDIS_SHARDS", "1"))


def start_test_redis(data_dir: Path) -> RedisServer:
    """The Redis a test run uses: one server, or a local cluster with TEST_REDIS_SHARDS > 1."""
    if TEST_SHARDS > 1:
        return start_redis_cluster(data_dir, shards=TEST_SHARDS)
    return start_redis(data_dir)

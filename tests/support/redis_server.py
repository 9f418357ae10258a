"""A real Redis server for tests: the embedded Redis Stack, or a plain one without modules."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.support.processes import free_port, wait_until
from tracking_system.common import embedded_redis


@dataclass
class RedisServer:
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """Connection URL."""
        return embedded_redis.redis_url(self.port)

    def client(self) -> redis.Redis:
        """A synchronous client with decoded responses."""
        return redis.Redis(port=self.port, decode_responses=True)

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

"""`tracking-system up`: start Redis (when embedded), the services and the worker; prefix their
output; restart any of them that dies (with backoff); stop them all on Ctrl-C or SIGTERM, or
when one keeps dying."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

from tracking_system.common import embedded_redis, keys
from tracking_system.common.embedded_cluster import ClusterError, EmbeddedCluster, start_cluster
from tracking_system.common.redis import (
    MissingModulesError,
    check_capabilities,
    create_client,
    wait_for_redis,
)
from tracking_system.common.urls import redact_url

STOP_GRACE_SECONDS = 8.0
READY_TIMEOUT_SECONDS = 60.0
# A dead child is restarted after 0.5 s, then 1, 2, 4 ... 30 s while it keeps dying; the delay
# starts again at 0.5 s once it has stayed up for BACKOFF_RESET_SECONDS.
RESTART_DELAY_SECONDS = 0.5
RESTART_DELAY_MAX_SECONDS = 30.0
BACKOFF_RESET_SECONDS = 30.0
# So many deaths of one child within the window stop everything: restarting does not help.
GIVE_UP_DEATHS = 5
GIVE_UP_WINDOW_SECONDS = 60.0
PUMP_DRAIN_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


class StartupError(RuntimeError):
    """The system could not be brought up; the message says why in one line."""


@dataclass(frozen=True)
class UpConfig:
    """Where each part listens; derived from the same environment variables the parts read."""

    redis_url: str | None
    redis_port: int
    data_dir: Path
    gateway_host: str
    gateway_port: int
    users_port: int
    tracking_port: int
    # An external Redis Cluster (REDIS_CLUSTER=1), or the embedded one's shards (1: one server).
    redis_cluster: bool = False
    redis_shards: int = 1
    workers: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> UpConfig:
        """Read the layout from the environment, with the documented defaults."""
        return cls(
            redis_url=env.get("REDIS_URL") or None,
            redis_port=int(env.get("REDIS_PORT", "6380")),
            data_dir=Path(env.get("DATA_DIR", ".data")),
            gateway_host=env.get("GATEWAY_HOST", "127.0.0.1"),
            gateway_port=int(env.get("GATEWAY_PORT", "8000")),
            users_port=int(env.get("USERS_PORT", "8001")),
            tracking_port=int(env.get("TRACKING_PORT", "8002")),
            redis_cluster=env.get("REDIS_CLUSTER", "0").lower() in ("1", "true", "yes"),
            redis_shards=max(1, int(env.get("EMBEDDED_REDIS_SHARDS", "1"))),
            workers=max(1, int(env.get("WORKERS", "1"))),
        )

    @property
    def embedded_cluster(self) -> bool:
        """Whether `up` starts a local multi-shard cluster."""
        return self.redis_url is None and self.redis_shards > 1

    @property
    def cluster(self) -> bool:
        """Whether every process uses the cluster client."""
        return self.redis_cluster or self.embedded_cluster

    @property
    def effective_redis_url(self) -> str:
        """The server (or, on a cluster, the node) every process connects to."""
        return self.redis_url or embedded_redis.redis_url(self.redis_port)

    @property
    def public_url(self) -> str:
        """Where a person opens the dashboard."""
        host = "localhost" if self.gateway_host in ("127.0.0.1", "0.0.0.0") else self.gateway_host
        return f"http://{host}:{self.gateway_port}"


@dataclass
class Child:
    name: str
    argv: list[str]
    process: asyncio.subprocess.Process | None = None
    pump: asyncio.Task[None] | None = field(default=None, repr=False)
    started_at: float = 0.0
    delay: float = RESTART_DELAY_SECONDS
    deaths: deque[float] = field(default_factory=deque, repr=False)

    def record_death(self, now: float) -> int:
        """Note a death; how many happened within the give-up window."""
        self.deaths.append(now)
        while self.deaths and now - self.deaths[0] > GIVE_UP_WINDOW_SECONDS:
            self.deaths.popleft()
        return len(self.deaths)

    def next_delay(self, now: float) -> float:
        """How long to wait before restarting: doubling, reset after a long enough run."""
        if now - self.started_at >= BACKOFF_RESET_SECONDS:
            self.delay = RESTART_DELAY_SECONDS
        delay = self.delay
        self.delay = min(delay * 2, RESTART_DELAY_MAX_SECONDS)
        return delay


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: if the supervisor is killed outright (SIGKILL),
    # the kernel sends SIGTERM to the child, so no process outlives `up`.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:
        os.kill(os.getpid(), signal.SIGTERM)


def describe_exit(code: int) -> str:
    """Human words for a return code."""
    if code < 0:
        return _killed_by(code)
    return f"exited with code {code}"


def _killed_by(code: int) -> str:
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


def exit_reason(code: int) -> str:
    """Why a process exited, to go in parentheses: `killed by SIGKILL`, `code 2`."""
    return _killed_by(code) if code < 0 else f"code {code}"


class Supervisor:
    """Owns the child processes of `up` and their lifetime."""

    def __init__(self, config: UpConfig, *, out: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.children: list[Child] = []
        self._out = out or (lambda line: print(line, flush=True))
        self._stopping = False
        self._halted = asyncio.Event()
        self._watchers: list[asyncio.Task[str | None]] = []
        self._width = 8
        self._cluster: EmbeddedCluster | None = None

    @property
    def running(self) -> bool:
        """Whether anything was started (a child or the embedded cluster)."""
        return bool(self.children) or self._cluster is not None

    def say(self, message: str) -> None:
        """A line from the supervisor itself."""
        self._out(f"{'up':<{self._width}}| {message}")

    def _env(self) -> dict[str, str]:
        c = self.config
        env = dict(os.environ)
        env.update(
            REDIS_URL=c.effective_redis_url,
            REDIS_CLUSTER="1" if c.cluster else "0",
            USERS_URL=f"http://127.0.0.1:{c.users_port}",
            TRACKING_URL=f"http://127.0.0.1:{c.tracking_port}",
            PYTHONUNBUFFERED="1",
        )
        return env

    async def _spawn(self, name: str, argv: list[str]) -> Child:
        child = Child(name=name, argv=argv)
        self.children.append(child)
        await self._launch(child)
        return child

    async def _launch(self, child: Child) -> None:
        """Start (or start again) the child's process and the pump of its output."""
        child.process = await asyncio.create_subprocess_exec(
            *child.argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
            env=self._env(),
            start_new_session=True,  # Ctrl-C reaches only us; we stop children in order.
            preexec_fn=_die_with_parent,
        )
        child.started_at = time.monotonic()
        child.pump = asyncio.create_task(self._pump(child))

    async def _pump(self, child: Child) -> None:
        process = child.process
        if process is None or process.stdout is None:
            return
        prefix = f"{child.name:<{self._width}}| "
        while line := await process.stdout.readline():
            self._out(prefix + line.decode(errors="replace").rstrip())

    def _python(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tracking_system", *args]

    async def start(self) -> None:
        """Start every part in dependency order and wait until each is ready."""
        c = self.config
        if c.embedded_cluster:
            try:
                self._cluster = await asyncio.to_thread(
                    start_cluster, shards=c.redis_shards, base_port=c.redis_port,
                    data_dir=c.data_dir / "redis-cluster", say=self.say,
                )  # fmt: skip
            except ClusterError as exc:
                raise StartupError(str(exc)) from exc
            self.say(
                f"embedded Redis Cluster of {c.redis_shards} shards on 127.0.0.1:{c.redis_port}"
                f"..{c.redis_port + c.redis_shards - 1}, data in {c.data_dir}/redis-cluster"
            )
        elif c.redis_url is None:
            argv = embedded_redis.server_command(port=c.redis_port, data_dir=c.data_dir / "redis")
            await self._spawn("redis", argv)
            self.say(
                f"embedded Redis Stack on 127.0.0.1:{c.redis_port}, data in {c.data_dir}/redis"
            )
        else:
            kind = "Redis Cluster" if c.redis_cluster else "Redis"
            self.say(f"using {kind} at {redact_url(c.redis_url)}")
        await self._check_redis()
        await self._migrate()
        await self._spawn("users", self._python("users"))
        await self._spawn("tracking", self._python("tracking"))
        for i in range(c.workers):
            name = "worker" if c.workers == 1 else f"worker{i + 1}"
            await self._spawn(name, self._python("worker"))
        await self._spawn("gateway", self._python("gateway"))
        await self._wait_ready()

    async def _check_redis(self) -> None:
        client = create_client(self.config.effective_redis_url, cluster=self.config.cluster)
        try:
            ready = asyncio.create_task(wait_for_redis(client, within=READY_TIMEOUT_SECONDS))
            while not ready.done():
                self._raise_if_any_died()
                await asyncio.sleep(0.05)
            try:
                ready.result()
            except TimeoutError as exc:
                raise StartupError("Redis did not answer within 60 s") from exc
            try:
                await check_capabilities(client)
            except MissingModulesError as exc:
                raise StartupError(str(exc)) from exc
        finally:
            await client.aclose()

    async def _migrate(self) -> None:
        """Run `tracking-system migrate` to completion before any service reads the data."""
        child = await self._spawn("migrate", self._python("migrate"))
        code = await self._exited(child)
        self.children.remove(child)
        if code != 0:
            raise StartupError(f"migrate {describe_exit(code)}")

    def _raise_if_any_died(self) -> None:
        for child in self.children:
            if child.process is not None and child.process.returncode is not None:
                raise StartupError(
                    f"{child.name} {describe_exit(child.process.returncode)} during start-up"
                )

    async def _wait_ready(self) -> None:
        c = self.config
        urls = {
            "users": f"http://127.0.0.1:{c.users_port}/health",
            "tracking": f"http://127.0.0.1:{c.tracking_port}/health",
            "gateway": f"http://127.0.0.1:{c.gateway_port}/health",
        }
        pending = set(urls) | {"worker"}
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        client = create_client(c.effective_redis_url, cluster=c.cluster)
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as http:
                while pending:
                    self._raise_if_any_died()
                    if time.monotonic() > deadline:
                        raise StartupError("not ready within 60 s: " + ", ".join(sorted(pending)))
                    for name in sorted(pending):
                        if await self._is_ready(name, urls.get(name), http, client):
                            pending.discard(name)
                    await asyncio.sleep(0.1)
        finally:
            await client.aclose()

    @staticmethod
    async def _is_ready(
        name: str, url: str | None, http: aiohttp.ClientSession, redis: aioredis.Redis
    ) -> bool:
        if url is None:
            found = [k async for k in redis.scan_iter(match=keys.WORKER_HEARTBEAT_PREFIX + "*")]
            return bool(found)
        try:
            async with http.get(url) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def supervise(self, stop: asyncio.Event) -> str | None:
        """Restart children as they die until `stop` is set (None) or one keeps dying (why)."""
        self._watchers = [asyncio.create_task(self._watch(child)) for child in self.children]
        if self._cluster is not None:
            self._watchers.append(asyncio.create_task(self._watch_cluster(self._cluster)))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait(
            {*self._watchers, stopper}, return_when=asyncio.FIRST_COMPLETED
        )
        stopper.cancel()
        for task in self._watchers:
            if task in done and (reason := task.result()) is not None:
                return reason
        return None

    async def _watch(self, child: Child) -> str | None:
        """Restart `child` each time it dies; say why and return once it keeps dying."""
        while True:
            code = await self._exited(child)
            if self._stopping:
                return None
            now = time.monotonic()
            why = exit_reason(code)
            if (deaths := child.record_death(now)) >= GIVE_UP_DEATHS:
                return (
                    f"{child.name} keeps dying ({deaths} exits within "
                    f"{GIVE_UP_WINDOW_SECONDS:g} s, the last: {why})"
                )
            delay = child.next_delay(now)
            self.say(f"{child.name} exited ({why}); restarting in {delay:g} s")
            if not await self._pause(delay):
                return None
            await self._restart(child)
            if self._stopping:  # stop_all may have passed this child while it was starting
                await self._stop(child)
                return None

    async def _watch_cluster(self, cluster: EmbeddedCluster) -> str | None:
        """Start each shard of the embedded cluster again, from its AOF, when it dies; say why
        and return once one keeps dying."""
        shards = [Child(name=f"redis{i + 1}", argv=[]) for i in range(len(cluster.nodes))]
        while not self._stopping:
            await asyncio.sleep(0.2)
            for node, shard in zip(cluster.nodes, shards, strict=True):
                if self._stopping or node.running or node.process is None:
                    continue
                why = exit_reason(node.process.returncode or 0)
                now = time.monotonic()
                if (deaths := shard.record_death(now)) >= GIVE_UP_DEATHS:
                    return f"{shard.name} keeps dying ({deaths} exits, the last: {why})"
                self.say(f"{shard.name} exited ({why}); restarting it from its AOF")
                try:
                    await asyncio.to_thread(cluster.restart_node, node.index)
                except ClusterError as exc:
                    return f"{shard.name} could not be restarted: {exc}"
                self.say(f"{shard.name} restarted; the cluster is ok")
        return None

    async def _restart(self, child: Child) -> None:
        """Start the child again; a failure to start counts as one more death."""
        try:
            await self._launch(child)
        except OSError as exc:
            self.say(f"{child.name} could not be started: {exc}")
            return
        assert child.process is not None
        self.say(f"{child.name} restarted (pid {child.process.pid})")

    async def _exited(self, child: Child) -> int:
        """Wait for the child's process to end and its last output lines to be printed."""
        assert child.process is not None
        code = await child.process.wait()
        if child.pump is not None:
            await asyncio.wait({child.pump}, timeout=PUMP_DRAIN_SECONDS)
        return code

    async def _pause(self, seconds: float) -> bool:
        """Sleep unless everything is being stopped (then False at once)."""
        try:
            await asyncio.wait_for(self._halted.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    async def stop_all(self) -> None:
        """SIGTERM every child, newest first (Redis last), then SIGKILL what is left."""
        if self._stopping:
            return
        self._stopping = True
        self._halted.set()
        for child in reversed(self.children):
            await self._stop(child)
        if self._cluster is not None:
            await asyncio.to_thread(self._cluster.stop)
        if self._watchers:
            await asyncio.wait(self._watchers, timeout=STOP_GRACE_SECONDS + 1)
        for child in self.children:
            if child.pump is not None:
                try:
                    await asyncio.wait_for(child.pump, timeout=1)
                except (TimeoutError, asyncio.CancelledError):
                    child.pump.cancel()

    async def _stop(self, child: Child) -> None:
        proc = child.process
        if proc is None or proc.returncode is not None:
            return
        try:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), timeout=STOP_GRACE_SECONDS)
        except TimeoutError:
            self.say(f"{child.name} did not stop in {STOP_GRACE_SECONDS:.0f} s; killing it")
            proc.kill()
            await proc.wait()
        except ProcessLookupError:
            pass


async def run_up(config: UpConfig) -> int:
    """Bring the system up and keep it up until Ctrl-C, SIGTERM or a child that keeps dying."""
    supervisor = Supervisor(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        starting = asyncio.create_task(supervisor.start())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            supervisor.say("stopping before start-up finished")
            return 130
        stopper.cancel()
        starting.result()
        supervisor.say(f"Tracking System is running: {config.public_url}  (Ctrl-C to stop)")
        supervisor.say(f"health: {config.public_url}/api/v1/health")
        supervisor.say(
            "demo data: run `.venv/bin/tracking-system demo` in another terminal, then sign in"
            " as demo@example.com / demo-password-123"
        )
        reason = await supervisor.supervise(stop)
        if reason is None:
            supervisor.say("stopping (signal received)")
            return 0
        supervisor.say(f"{reason}; stopping everything else")
        return 1
    except StartupError as exc:
        print(f"tracking-system: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        if supervisor.running:
            await supervisor.stop_all()
            supervisor.say("all processes stopped")

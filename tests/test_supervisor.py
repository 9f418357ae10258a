"""`tracking-system up`: everything starts, a dead child is restarted while the rest keeps
serving, one that keeps dying (or cannot start) stops everything, Ctrl-C stops everything."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.accounts import register
from tests.support.events import make_event, send
from tests.support.processes import REPO_ROOT, alive, descendants, free_port, wait_until
from tests.support.redis_server import free_base_port
from tracking_system.common import keys

WORKER = "tracking_system worker"


@dataclass
class Up:
    process: subprocess.Popen[bytes]
    output: Path
    gateway_port: int
    redis_port: int

    def text(self) -> str:
        return self.output.read_text(errors="replace")


def _start_up(tmp_path: Path, extra_env: dict[str, str] | None = None) -> Up:
    """`tracking-system up` with embedded Redis, in its own process group like a terminal job."""
    names = ("REDIS_PORT", "GATEWAY_PORT", "USERS_PORT", "TRACKING_PORT", "WORKER_METRICS_PORT")
    ports = {k: free_port() for k in names}
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({k: str(v) for k, v in ports.items()})
    env.update(DATA_DIR=str(tmp_path / "data"), DASHBOARD_DIR=str(tmp_path / "none"))
    env.update(extra_env or {})
    output = tmp_path / "up.log"
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tracking_system", "up"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
    return Up(proc, output, gateway_port=ports["GATEWAY_PORT"], redis_port=ports["REDIS_PORT"])


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    """A running `up`, killed with its whole group after the test."""
    running = _start_up(tmp_path)
    proc = running.process
    try:
        wait_until(
            lambda: "is running" in running.text() or proc.poll() is not None, within=90, what="up"
        )
        assert proc.poll() is None, running.text()
        yield running
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _names_of(pids: set[int]) -> list[str]:
    names = []
    for pid in pids:
        with contextlib.suppress(OSError):
            names.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
    return names


def test_up_prints_the_url_and_everything_is_healthy(up: Up) -> None:
    assert f"http://localhost:{up.gateway_port}" in up.text()
    health = httpx.get(f"http://127.0.0.1:{up.gateway_port}/api/v1/health").json()["data"]
    assert health["status"] == "ok"


def test_ctrl_c_stops_every_child_within_seconds(up: Up) -> None:
    children = descendants(up.process.pid)
    names = " ".join(_names_of(children))
    assert len(children) >= 5, names
    assert "redis-server" in names
    # A terminal's Ctrl-C sends SIGINT to the whole foreground process group.
    os.killpg(up.process.pid, signal.SIGINT)
    up.process.wait(timeout=15)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(alive(p) for p in children):
        time.sleep(0.05)
    assert [p for p in children if alive(p)] == []
    assert up.process.returncode == 0
    assert "all processes stopped" in up.text()


def _pids_running(up: Up, command: str) -> set[int]:
    return {pid for pid in descendants(up.process.pid) if command in " ".join(_names_of({pid}))}


def _new_pid(up: Up, command: str, *, other_than: set[int], within: float = 30) -> int:
    """Wait for a process running `command` that is none of `other_than`."""
    found: set[int] = set()

    def appeared() -> bool:
        found.update(_pids_running(up, command) - other_than)
        return bool(found) or up.process.poll() is not None

    wait_until(appeared, within=within, what=f"a new {command}")
    assert found, up.text()
    return found.pop()


def _heartbeat_pids(up: Up) -> set[int]:
    client = redis.Redis(port=up.redis_port)
    try:
        beats = [client.get(k) for k in client.scan_iter(match=keys.WORKER_HEARTBEAT_PREFIX + "*")]
    finally:
        client.close()
    return {int(json.loads(beat)["pid"]) for beat in beats if beat}


def _started_by(up: Up) -> set[int]:
    """Every live process, anywhere (orphans too), of this `up`: by environment or address."""
    mark = f"REDIS_PORT={up.redis_port}".encode()
    address = f"127.0.0.1:{up.redis_port}"  # redis-server's title (it overwrites its environ)
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == up.process.pid:
            continue
        with contextlib.suppress(OSError):
            environ = (entry / "environ").read_bytes().split(b"\0")
            title = (entry / "cmdline").read_bytes().decode(errors="replace")
            if (mark in environ or address in title) and alive(int(entry.name)):
                found.add(int(entry.name))
    return found


def _all_dead(pids: set[int], *, within: float = 5) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def test_a_killed_worker_is_restarted_while_the_rest_keeps_serving(up: Up) -> None:
    (old,) = _pids_running(up, WORKER)
    others = descendants(up.process.pid) - {old}
    os.kill(old, signal.SIGKILL)
    answers: list[int] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{up.gateway_port}", timeout=5) as gateway:

        def worker_back() -> bool:
            assert gateway.get("/health").status_code == 200
            answers.append(gateway.get("/api/v1/health").status_code)
            new = _pids_running(up, WORKER) - {old}
            return bool(new) and new <= _heartbeat_pids(up)

        wait_until(worker_back, within=30, what="the restarted worker's heartbeat")
        health = gateway.get("/api/v1/health")
    assert set(answers) <= {200, 503}, answers  # the gateway answered throughout
    assert health.status_code == 200, health.text
    assert health.json()["data"]["components"]["worker"]["status"] == "up"
    (new,) = _pids_running(up, WORKER)
    assert new != old
    assert others <= descendants(up.process.pid)  # nothing else was stopped or restarted
    assert up.process.poll() is None
    text = up.text()
    assert "worker exited (killed by SIGKILL); restarting in 0.5 s" in text
    assert f"worker restarted (pid {new})" in text


def test_a_killed_redis_is_restarted_and_everything_reconnects(up: Up) -> None:
    (old,) = _pids_running(up, "redis-server")
    services = descendants(up.process.pid) - {old}
    os.kill(old, signal.SIGKILL)
    new = _new_pid(up, "redis-server", other_than={old})
    with httpx.Client(base_url=f"http://127.0.0.1:{up.gateway_port}", timeout=5) as gateway:
        wait_until(
            lambda: gateway.get("/api/v1/health").status_code == 200,
            within=30,
            what="a healthy system after Redis came back",
        )
    assert services <= descendants(up.process.pid)  # the services reconnected by themselves
    assert "redis exited (killed by SIGKILL); restarting in 0.5 s" in up.text()
    assert f"redis restarted (pid {new})" in up.text()


def test_a_child_that_keeps_dying_stops_everything_and_is_named(up: Up) -> None:
    first = descendants(up.process.pid)
    killed: set[int] = set()
    for _ in range(5):
        worker = _new_pid(up, WORKER, other_than=killed)
        os.kill(worker, signal.SIGKILL)
        killed.add(worker)
    up.process.wait(timeout=30)
    assert up.process.returncode == 1
    text = up.text()
    for delay in ("0.5", "1", "2", "4"):
        assert f"worker exited (killed by SIGKILL); restarting in {delay} s" in text
    assert (
        "worker keeps dying (5 exits within 60 s, the last: killed by SIGKILL);"
        " stopping everything else"
    ) in text
    assert "all processes stopped" in text
    assert _all_dead(first | killed) == []
    assert _started_by(up) == set()


def test_a_child_that_cannot_start_stops_up_and_is_named(tmp_path: Path) -> None:
    running = _start_up(tmp_path, {"WORKER_BATCH_SIZE": "lots"})
    try:
        running.process.wait(timeout=90)
    finally:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGKILL)
    assert running.process.returncode == 1
    text = running.text()
    assert "worker exited with code 2 during start-up" in text
    assert "all processes stopped" in text


def test_ctrl_c_while_a_child_waits_to_restart_leaves_nothing_behind(up: Up) -> None:
    children = descendants(up.process.pid)
    assert children <= _started_by(up)  # the helper below sees what `up` started
    (worker,) = _pids_running(up, WORKER)
    os.kill(worker, signal.SIGKILL)
    wait_until(lambda: "restarting in" in up.text(), within=10, what="the restart notice")
    os.killpg(up.process.pid, signal.SIGINT)
    up.process.wait(timeout=15)
    assert up.process.returncode == 0
    assert _all_dead(children) == []
    time.sleep(1)  # past the restart delay: nothing may start after `up` is gone
    assert _started_by(up) == set()
    assert "all processes stopped" in up.text()


def test_killing_up_itself_leaves_no_orphans(up: Up) -> None:
    children = descendants(up.process.pid)
    up.process.kill()
    up.process.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(alive(p) for p in children):
        time.sleep(0.1)
    assert [p for p in children if alive(p)] == []


@pytest.mark.cluster
def test_up_runs_copies_on_a_local_cluster_and_ctrl_c_stops_them_all(tmp_path: Path) -> None:
    shards = {"EMBEDDED_REDIS_SHARDS": "3", "REDIS_PORT": str(free_base_port(3))}
    copies = {"WORKERS": "2", "GATEWAY_PROCESSES": "2", "TRACKING_PROCESSES": "2"}
    running = _start_up(tmp_path, {**shards, **copies})
    proc = running.process
    try:
        wait_until(lambda: "is running" in running.text() or proc.poll() is not None,
                   within=90, what="up")  # fmt: skip
        assert proc.poll() is None, running.text()
        assert "embedded Redis Cluster of 3 shards" in running.text()
        names = " ".join(_names_of(descendants(proc.pid)))
        assert names.count("redis-server") == 3, names
        assert names.count(WORKER) == 2, names
        base = f"http://127.0.0.1:{running.gateway_port}"
        with httpx.Client(base_url=base, timeout=30) as api:
            health = api.get("/api/v1/health").json()["data"]
            assert health["status"] == "ok", health
            assert health["components"]["worker"]["consumers"] == 2
            account = register(api)
            assert send(api, account.user["apiKey"], [make_event() for _ in range(3)]).is_success

            def counted() -> int:
                answer = api.get("/api/v1/stats/summary", headers=account.auth())
                return int(answer.json()["data"]["events"])

            wait_until(lambda: counted() == 3, within=30, what="3 events counted")
            time.sleep(1.5)  # AOF everysec: let the last second reach the disk

            # A shard SIGKILLed is started again from its AOF; the system serves on.
            shard = min(_pids_running(running, "redis-server"))
            os.kill(shard, signal.SIGKILL)
            wait_until(lambda: "restarted; the cluster is ok" in running.text(), within=60,
                       what="the shard restarted")  # fmt: skip
            assert "exited (killed by SIGKILL); restarting it from its AOF" in running.text()
            assert len(_pids_running(running, "redis-server")) == 3
            wait_until(lambda: api.get("/api/v1/health").json()["data"]["status"] == "ok",
                       within=30, what="healthy again")  # fmt: skip
            assert counted() == 3
        children = descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(p) for p in children):
            time.sleep(0.05)
        assert [p for p in children if alive(p)] == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

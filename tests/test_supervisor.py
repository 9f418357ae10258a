"""`tracking-system up`: everything starts, Ctrl-C stops everything, a death stops the rest."""

from __future__ import annotations

import contextlib
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

from tests.support.processes import REPO_ROOT, alive, descendants, free_port, wait_until


@dataclass
class Up:
    process: subprocess.Popen[bytes]
    output: Path
    gateway_port: int

    def text(self) -> str:
        return self.output.read_text(errors="replace")


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    """`tracking-system up` with embedded Redis, in its own process group like a terminal job."""
    names = ("REDIS_PORT", "GATEWAY_PORT", "USERS_PORT", "TRACKING_PORT", "WORKER_METRICS_PORT")
    ports = {k: free_port() for k in names}
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({k: str(v) for k, v in ports.items()})
    env.update(DATA_DIR=str(tmp_path / "data"), DASHBOARD_DIR=str(tmp_path / "none"))
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
    running = Up(process=proc, output=output, gateway_port=ports["GATEWAY_PORT"])
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


def test_a_dying_child_stops_the_rest_and_is_named(up: Up) -> None:
    children = descendants(up.process.pid)
    worker = next(p for p in children if "tracking_system worker" in " ".join(_names_of({p})))
    os.kill(worker, signal.SIGKILL)
    up.process.wait(timeout=30)
    assert up.process.returncode == 1
    assert "worker killed by SIGKILL" in up.text()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(alive(p) for p in children):
        time.sleep(0.05)
    assert [p for p in children if alive(p)] == []


def test_killing_up_itself_leaves_no_orphans(up: Up) -> None:
    children = descendants(up.process.pid)
    up.process.kill()
    up.process.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(alive(p) for p in children):
        time.sleep(0.1)
    assert [p for p in children if alive(p)] == []

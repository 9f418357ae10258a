"""The gateway in front of an echo upstream, shared by the gateway's test modules."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.helpers import EchoGateway
from tests.support.processes import (
    REPO_ROOT,
    free_port,
    http_ok,
    start_tracking_process,
    stop_process,
    wait_until,
)
from tests.support.redis_server import RedisServer
from tests.support.system import TEST_INTERNAL_SECRET


@pytest.fixture(scope="package")
def echo_gateway(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EchoGateway]:
    """A real gateway whose users and tracking services are one echo app (200 to anything)."""
    logs = tmp_path_factory.mktemp("echo-gateway")
    echo_port, gateway_port = free_port(), free_port()
    echo = subprocess.Popen(
        [sys.executable, "-m", "tests.support.echo_app", str(echo_port)], cwd=REPO_ROOT
    )
    env = {
        "APP_ENV": "test",
        "REDIS_URL": redis_server.url,
        "INTERNAL_SECRET": TEST_INTERNAL_SECRET,
        "GATEWAY_PORT": str(gateway_port),
        "USERS_URL": f"http://127.0.0.1:{echo_port}",
        "TRACKING_URL": f"http://127.0.0.1:{echo_port}",
        "GATEWAY_MAX_BODY_BYTES": "1000",
        "CORS_ORIGINS": "https://dash.example",
        "DASHBOARD_DIR": str(Path(logs) / "no-dashboard"),
    }
    gateway = start_tracking_process("gateway", env=env, log_path=logs / "gateway.log")
    try:
        wait_until(lambda: http_ok(f"http://127.0.0.1:{echo_port}/ping"), within=30, what="echo")
        wait_until(
            lambda: http_ok(f"http://127.0.0.1:{gateway_port}/health"), within=30, what="gateway"
        )
        yield EchoGateway(url=f"http://127.0.0.1:{gateway_port}", port=gateway_port)
    finally:
        stop_process(gateway)
        stop_process(echo)

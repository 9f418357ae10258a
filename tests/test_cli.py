"""The `tracking-system` command's refusals: a Redis without modules, insecure settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.processes import REPO_ROOT, free_port
from tests.support.redis_server import RedisServer
from tracking_system.common import keys, rollups


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracking_system", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        check=False,
    )


@pytest.mark.parametrize("command", ["up", "gateway", "users", "tracking", "worker"])
def test_plain_redis_is_refused_with_one_line_naming_the_modules(
    plain_redis: RedisServer, command: str
) -> None:
    env = {
        "REDIS_URL": plain_redis.url,
        "GATEWAY_PORT": str(free_port()),
        "USERS_PORT": str(free_port()),
        "TRACKING_PORT": str(free_port()),
    }
    result = _run([command], env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "search" in lines[0]
    assert "JSON" in lines[0]


def test_production_with_the_default_secret_refuses_to_start(redis_server: RedisServer) -> None:
    result = _run(
        ["users"], {"APP_ENV": "production", "REDIS_URL": redis_server.url, "INTERNAL_SECRET": ""}
    )
    assert result.returncode == 2
    assert "INTERNAL_SECRET" in result.stderr


def test_help_lists_every_command() -> None:
    result = _run(["--help"], {})
    for command in ("up", "gateway", "users", "tracking", "worker", "redis"):
        assert command in result.stdout


def test_rebuild_rollups_rebuilds_a_site_and_names_an_unknown_one(
    redis_server: RedisServer,
) -> None:
    client = redis_server.client()
    site_id = f"cli{os.getpid()}"
    client.json().set(keys.site(site_id), "$", {"id": site_id, "timezone": "Asia/Kolkata"})
    result = _run(["rebuild-rollups", site_id, "no-such-site"], {"REDIS_URL": redis_server.url})
    assert result.returncode == 1
    assert f"{site_id}: 0 events rolled up in Asia/Kolkata (as Asia/Kolkata#1)" in result.stdout
    assert "no-such-site: no such site" in result.stderr
    assert client.hget(rollups.meta(site_id), rollups.generation_field("Asia/Kolkata")) == "1"

"""An installation holding data in the layout before sites is migrated (by `migrate`, which
`up` runs) without losing or double counting an event: every number is the same afterwards."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.support.accounts import Account, register
from tests.support.events import CHROME, make_event, send, wait_for_stored
from tests.support.legacy import downgrade, to_layout_2, to_layout_3
from tests.support.processes import REPO_ROOT
from tests.support.redis_server import RedisServer, start_redis
from tests.support.system import System, start_system
from tracking_system.common import keys

pytestmark = pytest.mark.slow
DAY = 86_400_000
PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
STATS: list[tuple[str, dict[str, Any]]] = [
    ("/api/v1/stats/overview", {}),
    ("/api/v1/stats/daily", PERIOD),
    ("/api/v1/stats/events", {}),
    ("/api/v1/stats/pages", PERIOD),
    ("/api/v1/stats/summary", PERIOD),
    ("/api/v1/stats/summary", {**PERIOD, "source": "raw"}),
    ("/api/v1/stats/breakdown", {**PERIOD, "dimension": "referrerDomain"}),
    ("/api/v1/stats/breakdown", {**PERIOD, "dimension": "entryPage"}),
    ("/api/v1/stats/breakdown", {**PERIOD, "dimension": "exitPage"}),
    ("/api/v1/stats/breakdown", {**PERIOD, "dimension": "browser"}),
    ("/api/v1/stats/daily", {**PERIOD, "filter": "page:/a"}),
    ("/api/v1/stats/funnel", {**PERIOD, "step": ["page:/a", "event:Signup"], "window": "7d"}),
    ("/api/v1/stats/retention", {**PERIOD, "unit": "week"}),
    ("/api/v1/events", {"limit": 500}),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of its own."""
    started = start_redis(tmp_path / "redis")
    yield started
    started.stop()


def _events(n: int, base: int) -> list[dict[str, Any]]:
    pages = ["/a", "/b", "/c"]
    return [
        make_event(
            userId=f"u{i % 7}", sessionId=f"s{i % 11}", eventTime=base - (i % 9) * DAY - i * 1000,
            eventName="PAGE_VIEW" if i % 4 else "Signup", page=f"https://x.example{pages[i % 3]}",
            referrer="https://www.google.com/" if i % 5 == 0 else None, eventId=f"e{i}",
        )
        for i in range(n)
    ]  # fmt: skip


def _snapshot(api: httpx.Client, account: Account) -> list[Any]:
    out = []
    for path, params in STATS:
        response = api.get(path, params=params, headers=account.auth())
        assert response.status_code == 200, (path, response.text)
        out.append(response.json()["data"])
    return out


def _login(api: httpx.Client, account: Account) -> None:
    response = api.post("/api/v1/auth/login", json={"email": account.email,
                                                    "password": account.password})  # fmt: skip
    assert response.status_code == 200
    account.session = response.json()["data"]


def _cli(command: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracking_system", command],
        env={"PATH": "/usr/bin:/bin", "REDIS_URL": url, "APP_ENV": "test"},
        capture_output=True, text=True, timeout=120, cwd=REPO_ROOT, check=False,
    )  # fmt: skip


def _indexes(client: redis.Redis) -> set[str]:
    return {str(n) for n in client.execute_command("FT._LIST")}  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("layout", [1, 2, 3])
def test_a_migrated_installation_shows_the_same_numbers(
    server: RedisServer, tmp_path: Path, layout: int
) -> None:
    client: redis.Redis = server.client()
    base = 1796083200000  # 2026-11-30T00:00Z
    system: System = start_system(redis_url=server.url, log_dir=tmp_path / "before")
    try:
        with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
            accounts = [register(api, timezone="UTC"), register(api, timezone="Asia/Kolkata")]
            sent = {0: _events(300, base), 1: _events(120, base + 3600_000)}
            for i, account in enumerate(accounts):
                for j in range(0, len(sent[i]), 100):
                    batch = sent[i][j : j + 100]
                    assert (
                        send(api, account.user["apiKey"], batch, user_agent=CHROME).status_code
                        == 202
                    )
                assert wait_for_stored(client, account.user["id"], len(sent[i])) == len(sent[i])
            time.sleep(1)
            before = [_snapshot(api, account) for account in accounts]
    finally:
        system.stop_all()

    if layout == 1:
        downgrade(client)
        assert not list(client.scan_iter(match="Event:{*", count=1000))
    elif layout == 2:
        to_layout_2(client)
    else:
        to_layout_3(client)
    assert not list(client.scan_iter(match="Col:{*", count=1000))
    if layout < 3:
        assert _indexes(client) - {"User:index"} == {"Event:index"}
    refused = _cli("tracking", server.url)
    assert refused.returncode == 1
    assert "tracking-system migrate" in refused.stderr

    migrated = _cli("migrate", server.url)
    assert migrated.returncode == 0, migrated.stderr
    if layout == 1:
        assert "events (keys scanned)" in migrated.stderr
        assert "420 events" in migrated.stderr
    assert "2 site indexes" in migrated.stderr
    assert "420 columnar rows" in migrated.stderr
    assert _indexes(client) - {"User:index"} == {keys.event_index(a.user["id"]) for a in accounts}
    again = _cli("migrate", server.url)
    assert again.returncode == 0
    assert "nothing to migrate" in again.stderr

    system = start_system(redis_url=server.url, log_dir=tmp_path / "after")
    try:
        with httpx.Client(base_url=system.gateway_url, timeout=30) as api:
            for account, numbers in zip(accounts, before, strict=True):
                _login(api, account)
                assert _snapshot(api, account) == numbers
                sites = api.get("/api/v1/sites", headers=account.auth()).json()["data"]
                assert [s["apiKey"] for s in sites] == [account.user["apiKey"]]
            # Retries of events stored before the upgrade are still recognised.
            first = accounts[0]
            assert send(api, first.user["apiKey"], sent[0][:100]).status_code == 202
            time.sleep(2)
            assert _snapshot(api, first) == before[0]
            assert client.get(keys.SCHEMA_VERSION) == str(keys.CURRENT_SCHEMA)
    finally:
        system.stop_all()
        client.close()

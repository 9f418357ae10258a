"""GET /api/v1/events/export through the real gateway: CSV and NDJSON, filters, isolation, and
flat memory while streaming many events."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis
from ulid import ULID

from tests.support.accounts import Account, register
from tests.support.columnar import compact
from tests.support.events import (
    make_event,
    now_ms,
    send_stored,
)
from tests.support.redis_server import RedisServer
from tests.support.system import System
from tracking_system.common import columnar, keys
from tracking_system.tracking.explorer import COLUMNS


def _export(api: httpx.Client, account: Account, **params: Any) -> httpx.Response:
    return api.get("/api/v1/events/export", params=params, headers=account.auth())


def _explorer_items(api: httpx.Client, account: Account, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/api/v1/events", params={"limit": 500, **params}, headers=account.auth())
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]["items"]
    return items


@pytest.fixture
def two_accounts(api: httpx.Client, redis_sync: redis.Redis) -> tuple[Account, Account]:
    """An account with varied events, and another whose events must never show."""
    owner, other = register(api), register(api)
    t = now_ms() - 60_000
    send_stored(
        api,
        redis_sync,
        owner,
        [
            make_event(eventName='Say "hi", ok', eventTime=t, context={"plan": "pro", "n": 2}),
            make_event(eventName="PAGE_VIEW", eventTime=t + 1, page="https://x.example/a?b=1"),
            make_event(eventName="PAGE_VIEW", eventTime=t + 2, userId="u-9"),
            make_event(eventName="Line\u2028Sep é 漢字", eventTime=t + 3),
        ],
    )
    send_stored(api, redis_sync, other, [make_event(eventName="other-secret", eventTime=t)])
    return owner, other


def test_csv_has_a_header_and_exactly_the_accounts_events(
    api: httpx.Client, two_accounts: tuple[Account, Account]
) -> None:
    owner, _ = two_accounts
    response = _export(api, owner, format="csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="events.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == COLUMNS
    records = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    explorer = {item["id"]: item for item in _explorer_items(api, owner)}
    assert len(records) == 4
    assert {r["id"] for r in records} == set(explorer)
    assert "other-secret" not in response.text
    quoted = next(r for r in records if r["eventName"] == 'Say "hi", ok')
    assert orjson.loads(quoted["context"]) == {"plan": "pro", "n": 2}
    assert quoted["bot"] == "false"
    assert quoted["eventTime"] == str(explorer[quoted["id"]]["eventTime"])
    assert quoted["browser"] == "Chrome"
    assert quoted["referrer"] == ""
    assert any(r["eventName"] == "Line\u2028Sep é 漢字" for r in records)
    page_view = next(r for r in records if r["page"] == "https://x.example/a?b=1")
    assert page_view["path"] == "/a"
    assert page_view["context"] == ""


def test_ndjson_items_are_the_explorers_items(
    api: httpx.Client, two_accounts: tuple[Account, Account]
) -> None:
    owner, _ = two_accounts
    response = _export(api, owner, format="ndjson")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["content-disposition"] == 'attachment; filename="events.ndjson"'
    lines = response.content.splitlines()
    assert response.content.endswith(b"\n")
    exported = {item["id"]: item for item in map(orjson.loads, lines)}
    assert len(exported) == len(lines) == 4
    assert exported == {item["id"]: item for item in _explorer_items(api, owner)}


def test_export_applies_the_explorers_filters(
    api: httpx.Client, two_accounts: tuple[Account, Account]
) -> None:
    owner, _ = two_accounts

    def exported(**params: Any) -> list[dict[str, Any]]:
        response = _export(api, owner, format="ndjson", **params)
        assert response.status_code == 200, response.text
        return [orjson.loads(line) for line in response.content.splitlines()]

    assert {i["userId"] for i in exported(eventName="PAGE_VIEW")} == {"user-1", "u-9"}
    assert [i["userId"] for i in exported(userId="u-9")] == ["u-9"]
    assert [i["page"] for i in exported(page="/a")] == ["https://x.example/a?b=1"]
    assert len(exported(filter="browser:Chrome")) == 4
    assert exported(filter="browser:Firefox") == []
    assert exported(**{"from": "2000-01-01", "to": "2000-01-02"}) == []
    hostile = f"x}} | @site:{{{two_accounts[1].user['id']}"
    assert exported(eventName=hostile) == []
    # An empty CSV export is still a header.
    response = _export(api, owner, format="csv", eventName="nothing")
    assert response.text.splitlines() == [",".join(COLUMNS)]


def test_export_rejects_bad_input(api: httpx.Client, two_accounts: tuple[Account, Account]) -> None:
    owner, _ = two_accounts
    for params, field in (
        ({"format": "xml"}, "format"),
        ({"format": "csv", "filter": "nope:1"}, "filter"),
        ({"format": "csv", "from": "2024-99-01"}, "from"),
        ({"format": "ndjson", "tz": "Nowhere/Land", "from": "2024-01-01"}, "tz"),
    ):
        response = _export(api, owner, **params)
        assert response.status_code == 400, params
        assert field in response.json()["errors"]
    assert api.get("/api/v1/events/export").status_code == 401
    assert _export(api, owner).headers["content-type"].startswith("text/csv")  # the default


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


BULK = 60_000


@pytest.fixture
def bulk_account(
    api: httpx.Client, redis_sync: redis.Redis, redis_server: RedisServer
) -> Iterator[Account]:
    """An account with BULK stored events, written where the export reads them (sending them
    through the rate-limited ingestion would take minutes): rows of the columnar tier's tail,
    compacted into day blobs as the worker does; removed afterwards."""
    account = register(api)
    account_id = account.user["id"]
    base = now_ms() - 86_400_000
    tail = keys.columnar_tail(account_id)
    pipe = redis_sync.pipeline(transaction=False)
    for i in range(BULK):
        fields = {
            "eventId": f"bulk-{i}", "sessionId": f"s{i % 300}", "userId": f"u{i % 900}",
            "eventTime": str(base - (i % 10) * 86_400_000 + i // 30), "eventName": "PAGE_VIEW",
            "page": f"https://shop.example.com/p/{i % 50}?ref={i}", "path": f"/p/{i % 50}",
            "createdAt": str(base + i), "bot": "0", "browser": "Chrome", "os": "Windows",
            "device": "desktop", "_context": f'{{"i": {i}}}', "ctx_i": str(i),
        }  # fmt: skip
        row = columnar.row_of_hash(str(ULID()), fields)
        pipe.xadd(tail, {"r": columnar.encode_row(row)})
        if i % 2000 == 1999:
            pipe.execute()
    pipe.execute()
    assert compact(redis_server, [account_id]) == BULK
    yield account
    redis_sync.unlink(*redis_sync.keys(f"{keys.columnar_prefix(account_id)}*"))


def test_export_of_many_events_streams_in_flat_memory(
    system: System, bulk_account: Account, redis_sync: redis.Redis
) -> None:
    # What the first columnar read of a process costs once (its allocator heaps) is
    # paid by a small export first: what follows must not grow with the events exported.
    few = httpx.get(f"{system.gateway_url}/api/v1/events/export", headers=bulk_account.auth(),
                    params={"format": "ndjson", "userId": "u1"}, timeout=60)  # fmt: skip
    assert len(few.text.splitlines()) == len(range(1, BULK, 900))
    pid = system.processes["tracking"].pid
    baseline = _rss_kb(pid)
    peak = baseline
    count = 0
    ids: set[str] = set()
    started = time.monotonic()
    with (
        httpx.Client(base_url=system.gateway_url, timeout=60) as client,
        client.stream(
            "GET",
            "/api/v1/events/export",
            params={"format": "ndjson"},
            headers=bulk_account.auth(),
        ) as response,
    ):
        assert response.status_code == 200
        assert "content-length" not in response.headers  # streamed, not buffered
        for line in response.iter_lines():
            if not line:
                continue
            count += 1
            ids.add(orjson.loads(line)["id"])
            if count % 2000 == 0:
                peak = max(peak, _rss_kb(pid))
    elapsed = time.monotonic() - started
    assert count == len(ids) == BULK
    growth_mb = (peak - baseline) / 1024
    assert growth_mb < 50, f"tracking RSS grew {growth_mb:.0f} MB exporting {BULK} events"
    assert elapsed < 30, f"export of {BULK} events took {elapsed:.1f} s"

    # A client that leaves mid-export leaves nothing behind: the next export is whole.
    with (
        httpx.Client(base_url=system.gateway_url, timeout=60) as client,
        client.stream(
            "GET", "/api/v1/events/export", params={"format": "csv"}, headers=bulk_account.auth()
        ) as response,
    ):
        lines = response.iter_lines()
        assert next(lines).split(",")[:2] == ["id", "eventId"]
        next(lines)
    again = httpx.get(f"{system.gateway_url}/api/v1/events/export", params={"format": "ndjson"},
                      headers=bulk_account.auth(), timeout=60)  # fmt: skip
    assert len(again.text.splitlines()) == BULK


def test_csv_cells_a_spreadsheet_would_run_are_made_inert(
    api: httpx.Client, redis_sync: redis.Redis
) -> None:
    account = register(api)
    hostile = ['=HYPERLINK("http://x.example","a")', "@SUM(1+1)", "-2+3", "+1"]
    events = [make_event(eventName=name, userId=f"=u{i}", eventTime=now_ms() - i)
              for i, name in enumerate(hostile)]  # fmt: skip
    send_stored(api, redis_sync, account, events)
    rows = list(csv.reader(io.StringIO(_export(api, account, format="csv").content.decode())))
    names = {row[COLUMNS.index("eventName")] for row in rows[1:]}
    assert names == {"'" + name for name in hostile}
    assert {row[COLUMNS.index("userId")][:3] for row in rows[1:]} == {"'=u"}
    ndjson = _export(api, account, format="ndjson").text.splitlines()
    assert {orjson.loads(line)["eventName"] for line in ndjson} == set(hostile)  # untouched

"""Ingestion's Redis steps, the drop-in visitors script and the worker's stream steps against a
local 3-shard Redis Cluster through redis-py's cluster client: no step crosses slots, and the
outcomes are those of one node (accepted, rate limited, backlog full, dead-lettered)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any, cast

import anyio
import orjson
import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from tracking_system.common import keys, refusals
from tracking_system.common.embedded_cluster import EmbeddedCluster
from tracking_system.common.errors import RateLimited, ServiceUnavailable
from tracking_system.tracking.ingest.apikeys import ApiKeyResolver
from tracking_system.tracking.ingest.pipeline import IngestPolicy, IngestRequest, ingest
from tracking_system.tracking.ingest.validation import Limits
from tracking_system.tracking.ingest.visitors import Visit, Visitors
from tracking_system.worker.consumer import Consumer
from tracking_system.worker.settings import WorkerSettings

pytestmark = [pytest.mark.cluster, pytest.mark.anyio]

SHARDS = 3
STREAMS = keys.events_streams(SHARDS)


@pytest.fixture
async def rc(cluster: EmbeddedCluster) -> AsyncIterator[aioredis.Redis]:
    """redis-py's asyncio cluster client, typed as the services hold it (common/redis.py)."""
    client = RedisCluster.from_url(cluster.url, decode_responses=True)
    await client.initialize()
    yield cast(aioredis.Redis, client)
    await client.aclose()


_sites = iter(range(1_000_000))


async def _site_on(rc: aioredis.Redis, shard: int) -> tuple[str, str]:
    """A new site (id, API key) whose events go to `shard`, its keys in another slot."""
    for n in _sites:
        site_id = f"cl{time.time_ns()}x{n}"
        stream = keys.events_stream(shard)
        if keys.site_stream(site_id, SHARDS) != stream:
            continue
        assert key_slot(keys.site_tag(site_id).encode()) != key_slot(stream.encode())
        api_key = f"key-{site_id}"
        await rc.set(keys.api_key(api_key), site_id)
        await rc.json().set(keys.site(site_id), "$", {"id": site_id, "allowedOrigins": []})
        return site_id, api_key
    raise AssertionError("unreachable")


def _body(count: int) -> bytes:
    now = int(time.time() * 1000)
    events = [{"sessionId": "s1", "userId": "u1", "eventTime": now, "eventName": "PAGE_VIEW",
               "page": "https://shop.example/", "eventId": f"e{time.time_ns()}-{i}"}
              for i in range(count)]  # fmt: skip
    return orjson.dumps({"events": events})


async def _ingest(
    rc: aioredis.Redis, api_key: str, count: int, *, rate: int = 1000, backlog: int = 1000
) -> int:
    policy = IngestPolicy(
        limits=Limits(), rate_limit_per_second=rate, max_backlog=backlog, streams=SHARDS
    )
    request = IngestRequest(
        body=_body(count), header_api_key=api_key, origin=None, user_agent="Mozilla/5.0",
        client_ip="203.0.113.9",
    )  # fmt: skip
    resolver = ApiKeyResolver(rc, cache_seconds=0)
    result = await ingest(redis=rc, resolver=resolver, request=request, policy=policy)
    return result.accepted


async def _refused(rc: aioredis.Redis, site_id: str) -> dict[str, int]:
    return (await refusals.read(rc, site_id=site_id, now_s=time.time()))["lastHour"]


async def _owed(rc: aioredis.Redis, stream: str) -> int:
    """The shard's backlog as ingestion counts it: its group's lag + pending, else its length."""
    for group in await rc.xinfo_groups(stream):
        if group["name"] == keys.EVENTS_GROUP:
            return int(group["lag"]) + int(group["pending"])
    return int(await rc.xlen(stream))


async def _fresh_second() -> int:
    """Wait for the start of a second, so a few steps surely fall within it; that second."""
    await anyio.sleep(1 - time.time() % 1 + 0.01)
    return int(time.time())


async def test_each_site_s_events_land_on_its_own_shard_on_every_shard(rc: aioredis.Redis) -> None:
    for shard, stream in enumerate(STREAMS):
        site_id, api_key = await _site_on(rc, shard)
        before = await rc.xlen(stream)
        assert await _ingest(rc, api_key, 7) == 7
        assert await rc.xlen(stream) == before + 7
        entries: Any = await rc.xrevrange(stream, count=7)
        assert {fields["a"] for _, fields in entries} == {site_id}
        assert await _refused(rc, site_id) == dict.fromkeys(refusals.REASONS, 0)


async def test_rate_limit_refuses_whole_batches_and_counts_them(rc: aioredis.Redis) -> None:
    site_id, api_key = await _site_on(rc, 1)
    stream = keys.site_stream(site_id, SHARDS)
    before = await rc.xlen(stream)
    second = await _fresh_second()
    assert await _ingest(rc, api_key, 3, rate=5) == 3
    with pytest.raises(RateLimited):
        await _ingest(rc, api_key, 3, rate=5)  # 6 > 5 in this second: none of the 3 is added
    assert int(time.time()) == second, "the steps spanned two seconds; rerun"
    assert await rc.xlen(stream) == before + 3
    assert (await _refused(rc, site_id))[refusals.RATE_LIMITED] == 3


async def test_full_backlog_refuses_adds_nothing_and_gives_the_budget_back(
    rc: aioredis.Redis,
) -> None:
    site_id, api_key = await _site_on(rc, 2)
    stream = keys.site_stream(site_id, SHARDS)
    backlog = await _owed(rc, stream) + 4
    length = await rc.xlen(stream)
    second = await _fresh_second()
    assert await _ingest(rc, api_key, 4, backlog=backlog) == 4
    with pytest.raises(ServiceUnavailable) as refused:
        await _ingest(rc, api_key, 2, backlog=backlog)
    assert refused.value.headers == {"Retry-After": "5"}
    used = await rc.get(keys.ingest_rate(site_id, second))
    assert int(time.time()) == second, "the steps spanned two seconds; rerun"
    assert used == "4"  # the refused batch's share of the budget was given back
    assert await rc.xlen(stream) == length + 4
    assert (await _refused(rc, site_id))[refusals.BACKLOG] == 2


async def test_visitors_script_keeps_to_the_site_s_slot(rc: aioredis.Redis) -> None:
    site_id, _ = await _site_on(rc, 0)
    visitors = Visitors(rc)
    first = await visitors.hashed(site_id=site_id, ip="203.0.113.5", user_agent="Mozilla/5.0")
    again = await visitors.hashed(site_id=site_id, ip="203.0.113.5", user_agent="Mozilla/5.0")
    assert again == first
    other = await visitors.hashed(site_id=site_id, ip="203.0.113.6", user_agent="Mozilla/5.0")
    assert other.visitor != first.visitor
    known = await visitors.known(site_id=site_id, visitor=first.visitor, user_id="u-7")
    assert known == Visit(visitor=first.visitor, session_id=first.session_id, user_id="u-7")


async def test_worker_reads_reclaims_and_dead_letters_each_shard(rc: aioredis.Redis) -> None:
    env = {"INGEST_STREAMS": SHARDS, "WORKER_NAME": "cluster-test", "WORKER_CLAIM_IDLE_MS": 1,
           "WORKER_MAX_DELIVERIES": 1, "WORKER_BLOCK_MS": 100}  # fmt: skip
    settings = WorkerSettings.model_validate(env)
    consumer = Consumer(rc, settings)
    await consumer.ensure_groups()
    poison = {}
    for stream in STREAMS:
        marker = f"poison-{time.time_ns()}"
        poison[stream] = str(await rc.xadd(stream, {"a": "no-site", "e": f'"{marker}"'}))
        while await consumer.read_new(stream):
            pass  # delivered once and left pending (a worker that died before its XACK)
    await anyio.sleep(0.01)
    await consumer.maintain()  # reclaimed: delivered twice > 1, so dead-lettered
    dead: Any = await rc.xrange(keys.DEAD_LETTER_STREAM)
    by_source = {fields["sourceId"]: fields for _, fields in dead}
    for stream, entry_id in poison.items():
        assert by_source[entry_id]["stream"] == stream
        assert await rc.xpending_range(stream, keys.EVENTS_GROUP, entry_id, entry_id, 1) == []

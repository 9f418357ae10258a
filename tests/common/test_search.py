"""Query escaping against the real RediSearch: any value matches exactly itself, in its own
account, and hostile values never widen a query."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.redis_server import RedisServer
from tracking_system.common import keys
from tracking_system.common.indexes import ensure_site_event_index
from tracking_system.common.redis import create_client
from tracking_system.common.search import escape_tag, tag_clause
from tracking_system.tracking.ingest.validation import has_control_chars

_ids = itertools.count()
# One index holds every document below; their `site` TAG values are what the clauses tell apart.
INDEXED_SITE = "search-test"
tag_values = st.text(min_size=1, max_size=60).filter(
    lambda s: not has_control_chars(s) and s.strip() == s and s.strip()
)


@pytest.fixture(scope="module")
def indexed(redis_server: RedisServer) -> Iterator[redis.Redis]:
    async def create() -> None:
        client = create_client(redis_server.url)
        await ensure_site_event_index(client, INDEXED_SITE)
        await client.aclose()

    asyncio.run(create())
    client = redis_server.client()
    yield client
    client.close()


def _search(client: redis.Redis, query: str) -> set[str]:
    result = client.execute_command(  # type: ignore[no-untyped-call]
        "FT.SEARCH",
        keys.event_index(INDEXED_SITE),
        query,
        "NOCONTENT",
        "LIMIT",
        "0",
        "100",
        "DIALECT",
        "2",
    )
    if isinstance(result, dict):
        return {str(r["id"]) for r in result["results"]}
    return {str(r) for r in result[1:]}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=tag_values, other=tag_values)
def test_a_value_matches_exactly_itself_within_its_account(
    indexed: redis.Redis, value: str, other: str
) -> None:
    n = next(_ids)
    mine, theirs = f"acct-a-{n}", f"acct-b-{n}"
    for suffix, account, name in (("1", mine, value), ("2", theirs, value), ("3", mine, other)):
        indexed.hset(
            keys.event(INDEXED_SITE, f"p{n}-{suffix}"),
            mapping={"site": account, "eventName": name, "eventTime": 1},
        )
    found = _search(indexed, f"{tag_clause('site', mine)} {tag_clause('eventName', value)}")
    expected = {keys.event(INDEXED_SITE, f"p{n}-1")}
    if other == value:
        expected.add(keys.event(INDEXED_SITE, f"p{n}-3"))
    assert found == expected


def test_hostile_value_matches_nothing_and_never_errors(indexed: redis.Redis) -> None:
    victim: Any = {"site": "victim", "eventName": "PAGE_VIEW", "eventTime": 1}
    indexed.hset(keys.event(INDEXED_SITE, "victim"), mapping=victim)
    for hostile in ("x} | @site:{victim", "*", "victim}", "-@bot:{1}", "\\", "{}|()"):
        query = f"{tag_clause('site', 'attacker')} {tag_clause('eventName', hostile)}"
        assert _search(indexed, query) == set()


def test_escape_leaves_letters_and_digits_alone() -> None:
    assert escape_tag("PAGE_VIEW 2") == "PAGE\\_VIEW\\ 2"
    assert escape_tag("खरीदें") == "खरीदें"

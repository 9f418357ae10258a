"""The one small TTL cache: fresh entries are served, stale ones are not, size stays bounded."""

from __future__ import annotations

import time

from tracking_system.common.ttlcache import TtlCache


def test_an_entry_is_served_until_it_expires() -> None:
    cache: TtlCache[str, str | None] = TtlCache(ttl=0.05)
    cache.put("key", None)  # a negative answer is cached too
    assert cache.get("key") == (True, None)
    time.sleep(0.06)
    assert cache.get("key") == (False, None)


def test_the_cache_never_holds_more_than_its_limit() -> None:
    cache: TtlCache[int, int] = TtlCache(ttl=60, max_entries=3)
    for i in range(10):
        cache.put(i, i)
    assert cache.get(9) == (True, 9)
    assert sum(cache.get(i)[0] for i in range(10)) <= 3

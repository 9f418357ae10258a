"""`tracking-system migrate`: bring data stored by an earlier release to the current key layout.

Layout 1 (before sites): an account was one site. Its API key, zone and origins sat in the
`User:<id>` document, events were `Event:<ulid>` hashes scoped by an `internalUserId` field, and
rollups `R:<accountId>:...`. Layout 2: the account's first site has the account's id, so every
event and rollup keeps its owner id and only its key name changes, to carry the site's hash tag:
`Event:{<site>}:<ulid>` with a `site` field, `R:{<site>}:...`, and a `Site:{<id>}` document.
Layout 3: one search index per site. Layout 4: the columnar tier (`Col:{<site>}:...`), built
here from the event hashes of each site.

Idempotent and resumable: each step handles only what is still in the old layout, one atomic
script per chunk, so a crash at any point leaves every event stored exactly once and the next
run finishes the job. The event ids (hashes of site and eventId) do not change, so a client
retrying an event after the upgrade is still recognised as a duplicate."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

import orjson
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from tracking_system.common import columnar, keys, rollups
from tracking_system.common.indexes import (
    drop_legacy_event_index,
    ensure_site_event_index,
    wait_indexed,
)
from tracking_system.common.progress import Progress
from tracking_system.common.zones import DEFAULT_ZONE
from tracking_system.users.sites import new_site_doc
from tracking_system.worker.compaction import compact_all

LEGACY_ACCOUNT_FIELD = "internalUserId"
CHUNK = 500
# Sites whose columnar tier is built (a run that crashed goes on from there).
COLUMNAR_PROGRESS = "migrate:columnar"
COMPACT_EVERY = 100_000

# KEYS: user doc, site doc, account's site set. ARGV: site id, site doc, creation score.
# Creates the first site from the account's old fields, then drops them from the account.
_ACCOUNT = """
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('JSON.SET', KEYS[2], '$', ARGV[2])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
end
redis.call('JSON.DEL', KEYS[1], '$.apiKey')
redis.call('JSON.DEL', KEYS[1], '$.timezone')
redis.call('JSON.DEL', KEYS[1], '$.allowedOrigins')
return 1
"""

# KEYS: old event key, new event key (pairs). ARGV: the site of each pair.
# An event already present under its new name (a run that crashed mid-way) is not stored twice.
_EVENTS = f"""
local moved = 0
for i = 1, #KEYS, 2 do
  local old, new, site = KEYS[i], KEYS[i + 1], ARGV[(i + 1) / 2]
  if redis.call('EXISTS', old) == 1 then
    if redis.call('EXISTS', new) == 1 then
      redis.call('DEL', old)
    else
      redis.call('RENAME', old, new)
      redis.call('HSET', new, 'site', site)
      redis.call('HDEL', new, '{LEGACY_ACCOUNT_FIELD}')
      moved = moved + 1
    end
  end
end
return moved
"""

# KEYS: old rollup key, new rollup key (pairs). Never overwrites a key of the new layout.
_ROLLUPS = """
local moved = 0
for i = 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    moved = moved + redis.call('RENAMENX', KEYS[i], KEYS[i + 1])
  end
end
return moved
"""


def _score(created_at: str | None) -> int:
    try:
        return int(datetime.fromisoformat(str(created_at)).timestamp() * 1_000_000)
    except ValueError:
        return 0


def legacy_rollup_site(key: str) -> str | None:
    """The account id of a rollup key in the old layout (`R:<id>:...`), else None."""
    if not key.startswith("R:") or key.startswith("R:{"):
        return None
    owner, sep, _ = key[2:].partition(":")
    return owner if sep and owner else None


def legacy_event(key: str) -> bool:
    """True for an event key of the old layout (`Event:<ulid>`)."""
    rest = key.removeprefix(keys.EVENT_PREFIX)
    return key.startswith(keys.EVENT_PREFIX) and not rest.startswith("{") and ":" not in rest


class Migration:
    """One run of the migration against a Redis server."""

    def __init__(self, redis: aioredis.Redis, *, stream: TextIO | None = None) -> None:
        self.redis = redis
        self.stream = stream if stream is not None else sys.stderr
        self.counts = {"accounts": 0, "events": 0, "rollups": 0, "site indexes": 0,
                       "columnar rows": 0}  # fmt: skip

    def say(self, message: str) -> None:
        """One line of output."""
        print(message, file=self.stream, flush=True)

    async def run(self) -> dict[str, int]:
        """Migrate what is left in the old layout; the counts moved."""
        if not await needs_migration(self.redis):
            self.say(f"data layout is current (version {keys.CURRENT_SCHEMA}); nothing to migrate")
            return self.counts
        if await self.redis.get(keys.SCHEMA_VERSION) is None:  # layout 1: before sites
            total = int(await self.redis.dbsize())
            await self._accounts()
            await self._scan("events", total, legacy_event, self._move_events)
            await self._scan("rollups", total, lambda k: legacy_rollup_site(k) is not None,
                             self._move_rollups)  # fmt: skip
        await self._site_indexes()
        await self._columnar()
        await self.redis.delete(COLUMNAR_PROGRESS)
        await self.redis.set(keys.SCHEMA_VERSION, keys.CURRENT_SCHEMA)
        moved = ", ".join(f"{n:,} {what}" for what, n in self.counts.items())
        self.say(f"migrated to layout {keys.CURRENT_SCHEMA}: {moved}")
        return self.counts

    async def _accounts(self) -> None:
        script = self.redis.register_script(_ACCOUNT)
        users = self.redis.scan_iter(match=f"{keys.USER_PREFIX}*", count=1000, _type="ReJSON-RL")
        found = [str(k) async for k in users]
        with Progress(len(found), label="accounts", stream=self.stream) as bar:
            for user_key in found:
                doc: Any = await self.redis.json().get(user_key)
                if isinstance(doc, dict) and "apiKey" in doc and doc.get("id"):
                    account_id = str(doc["id"])
                    site = new_site_doc(
                        site_id=account_id,
                        account_id=account_id,
                        name=doc.get("name") or "My site",
                        timezone=doc.get("timezone") or DEFAULT_ZONE,
                        allowed_origins=doc.get("allowedOrigins") or [],
                        created_at=doc.get("createdAt"),
                        api_key=doc["apiKey"],
                    )
                    site["updatedAt"] = doc.get("updatedAt")
                    await script(
                        keys=[user_key, keys.site(account_id), keys.account_sites(account_id)],
                        args=[account_id, orjson.dumps(site), _score(doc.get("createdAt"))],
                    )
                    self.counts["accounts"] += 1
                bar.update()

    async def _sites(self) -> list[str]:
        docs = self.redis.scan_iter(match=f"{keys.SITE_PREFIX}*", count=1000, _type="ReJSON-RL")
        return [keys.tagged_site(str(k)) async for k in docs]

    async def _columnar(self) -> None:
        """Each site's columnar tier built from its event hashes, through its tail and the
        worker's compaction. A site left half-built by a crash is built again from scratch."""
        sites = await self._sites()
        done = set(await self.redis.smembers(COLUMNAR_PROGRESS))
        with Progress(len(sites), label="columnar tier (sites)", stream=self.stream) as bar:
            for site_id in sites:
                if site_id not in done:
                    await self._columnar_site(site_id)
                    await self.redis.sadd(COLUMNAR_PROGRESS, site_id)
                bar.update()

    async def _columnar_site(self, site_id: str) -> None:
        stale = [k async for k in self.redis.scan_iter(match=keys.columnar_prefix(site_id) + "*")]
        if stale:
            await self.redis.delete(*stale)
        prefix, tail, pending = keys.event_prefix(site_id), keys.columnar_tail(site_id), 0
        found = [str(k) async for k in self.redis.scan_iter(match=prefix + "*", count=1000)]
        for i in range(0, len(found), CHUNK):
            chunk = found[i : i + CHUNK]
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in chunk:
                    pipe.hgetall(key)
                hashes = await pipe.execute()
            async with self.redis.pipeline(transaction=False) as pipe:
                for key, fields in zip(chunk, hashes, strict=True):
                    if fields.get("eventTime"):
                        row = columnar.row_of_hash(key.removeprefix(prefix), fields)
                        pipe.xadd(tail, {"r": columnar.encode_row(row)})
                        pending += 1
                await pipe.execute()
            if pending >= COMPACT_EVERY:
                self.counts["columnar rows"] += await compact_all(self.redis, site_id)
                pending = 0
        self.counts["columnar rows"] += await compact_all(self.redis, site_id)

    async def _site_indexes(self) -> None:
        """One index per site in place of the one over every site's events (which goes first,
        so the two never hold the same events at once); waits until each has caught up."""
        await drop_legacy_event_index(self.redis)
        sites = await self._sites()
        with Progress(len(sites), label="site indexes", stream=self.stream) as bar:
            for site_id in sites:
                await ensure_site_event_index(self.redis, site_id)
                await wait_indexed(self.redis, keys.event_index(site_id))
                self.counts["site indexes"] += 1
                bar.update()

    async def _scan(
        self,
        label: str,
        total: int,
        wanted: Callable[[str], bool],
        move: Callable[[list[str]], Any],
    ) -> None:
        pattern = f"{keys.EVENT_PREFIX}*" if label == "events" else "R:*"
        with Progress(total, label=f"{label} (keys scanned)", stream=self.stream) as bar:
            cursor = 0
            while True:
                cursor, batch = await self.redis.scan(cursor=cursor, match=pattern, count=CHUNK)
                chosen = [str(k) for k in batch if wanted(str(k))]
                if chosen:
                    await move(chosen)
                bar.update(len(batch))
                if cursor == 0:
                    break

    async def _move_events(self, old_keys: list[str]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in old_keys:
                pipe.hget(key, LEGACY_ACCOUNT_FIELD)
            owners = await pipe.execute()
        pairs: list[str] = []
        sites: list[str] = []
        for key, owner in zip(old_keys, owners, strict=True):
            if owner:
                pairs += [key, keys.event(str(owner), key.removeprefix(keys.EVENT_PREFIX))]
                sites.append(str(owner))
        if pairs:
            script = self.redis.register_script(_EVENTS)
            self.counts["events"] += int(await script(keys=pairs, args=sites))

    async def _move_rollups(self, old_keys: list[str]) -> None:
        pairs: list[str] = []
        for key in old_keys:
            owner = legacy_rollup_site(key)
            if owner:
                rest = key[len("R:") + len(owner) + 1 :]
                pairs += [key, rollups.site_prefix(owner) + rest]
        script = self.redis.register_script(_ROLLUPS)
        self.counts["rollups"] += int(await script(keys=pairs, args=[]))


async def needs_migration(redis: aioredis.Redis) -> bool:
    """True when the server holds data of an older layout that `migrate` has not converted.

    A server whose version key is missing is new (it is then marked current) unless it already
    has accounts, which only an older release can have written without the key."""
    version = await redis.get(keys.SCHEMA_VERSION)
    if version is not None:
        return int(str(version)) < keys.CURRENT_SCHEMA
    try:
        found: Any = await redis.execute_command(  # type: ignore[no-untyped-call]
            "FT.SEARCH", keys.USER_INDEX, "*", "LIMIT", "0", "0"
        )
    except ResponseError:
        found = 0  # no account index: no release has run here yet
    total = found.get("total_results", 0) if isinstance(found, dict) else found
    total = total[0] if isinstance(total, list) else total
    if int(total):
        return True
    await redis.set(keys.SCHEMA_VERSION, keys.CURRENT_SCHEMA, nx=True)
    return False


async def migrate(
    url: str, *, cluster: bool = False, stream: TextIO | None = None
) -> dict[str, int]:
    """Run the migration against the server (or cluster) at `url`."""
    from tracking_system.common.redis import create_client, wait_for_redis

    client = create_client(url, cluster=cluster)
    try:
        await wait_for_redis(client)
        return await Migration(client, stream=stream).run()
    finally:
        await client.aclose()


def main(url: str, *, cluster: bool = False) -> int:
    """Entry point of `tracking-system migrate`."""
    asyncio.run(migrate(url, cluster=cluster))
    return 0
